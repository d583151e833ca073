"""Where the app's sessions live: in this process (the default) or on an `edit-everything serve`.

    streamlit run ui/app.py -- --preset tiny                        # embedded: models in this process
    streamlit run ui/app.py -- --server http://127.0.0.1:8000       # or $EDIT_EVERYTHING_SERVER

One interface, two implementations: `EmbeddedBackend` makes `agent.session.Session`s over the local
Editor and SessionStore, `ServerBackend` makes `server.client.HttpSession`s. Both sessions answer the
same calls with the same `Reply`s; this module is the only place in ui/ that knows which one runs.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import streamlit as st

from agent.editor import Editor, EditSettings
from agent.session.session import Session
from agent.session.store import SessionStore
from server.client import SERVER_ENV
from tools.language import detect_language
from tools.presets import PRESET_NAMES
from ui.models import editor_for, fetch_for_turn, generation

DATA_ENV = "EDIT_EVERYTHING_DATA"


def startup_server(argv: list[str] | None = None) -> str | None:
    """`streamlit run ui/app.py -- --server URL`, else $EDIT_EVERYTHING_SERVER, else None (embedded)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--server")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    url = (known.server or os.environ.get(SERVER_ENV) or "").strip()
    return url.rstrip("/") or None


def data_dir() -> Path:
    """$EDIT_EVERYTHING_DATA or ~/.local/share/edit-everything."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".local" / "share" / "edit-everything").expanduser()


def session_store() -> SessionStore:
    return SessionStore(data_dir() / "sessions")


@dataclass(frozen=True)
class Choices:
    """What the settings sidebar offers: the presets to choose from (one: fixed, shown only), whether
    the LLM switch applies, and notes to show under the settings (prompts/ui.yaml keys and fields)."""

    presets: tuple[str, ...]
    llm: bool = True
    notes: tuple[tuple[str, dict], ...] = ()


def choices_for(server: str | None) -> Choices:
    """Every preset and the LLM switch here; against a server, its preset (it owns the models and the
    parser) and a note that steps, guidance and seed apply to the conversations started from now on."""
    if server is None:
        return Choices(PRESET_NAMES)
    return Choices((server_preset(server),), llm=False, notes=(("served_by", {"url": server}),))


@st.cache_data(ttl=300, show_spinner=False)
def server_preset(url: str) -> str:
    """The preset `url` serves (GET /v1/health, also while its workers load); ModelUnavailableError
    (one line, both languages) when it cannot be reached. A failure is not cached."""
    import httpx

    from server.client import auth, unreachable

    try:
        answer = httpx.get(f"{url}/v1/health", headers=auth(None), timeout=10)
        return str(answer.json()["preset"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise unreachable(url) from error


class EmbeddedBackend:
    """Sessions in this process over the shared models of a preset, saved under the data directory."""

    def __init__(self, editor: Editor, parse: Callable) -> None:
        self.editor, self.parse = editor, parse

    def start(self, image, *, language: str) -> Session:
        """A new session over `image` (a LoadedImage), not saved yet (`save` does)."""
        return Session(image, self.editor, store=session_store(), parse=self.parse, language=language)

    def save(self, session: Session) -> None:
        session.save()

    def start_from_words(self, text: str, *, on_progress=None) -> Session:
        """A session whose first picture is drawn from `text`; its reply in `session.opening`."""
        return Session.from_words(text, self.editor, store=session_store(), parse=self.parse, on_progress=on_progress)

    def restore(self, session_id: str, *, language: str) -> Session:
        return Session.restore(session_store(), session_id, self.editor, parse=self.parse, language=language)

    def attach(self, session: Session) -> None:
        """Give a kept session this run's editor (the sidebar's settings apply to its next turn)."""
        session.editor = self.editor

    def slot(self, on_wait: Callable[[], None] | None = None) -> contextlib.AbstractContextManager:
        """Held while a turn runs models: the process-wide generation lock."""
        return generation(on_wait)

    def prepare(self, language: str, on_progress) -> None:
        """Before a turn in `language`: download the models it needs that are missing (with progress)."""
        fetch_for_turn(self.editor.models, language, on_progress=on_progress)


class ServerBackend:
    """Sessions on the server at `url`; `settings` (steps, guidance, seed) go with each new session."""

    def __init__(self, url: str, settings: EditSettings) -> None:
        self.url, self.settings = url, settings

    def start(self, image, *, language: str):
        from server.client import HttpSession

        return HttpSession.create(self.url, image, steps=self.settings.steps, guidance=self.settings.guidance,
                                  seed=self.settings.seed, language=language)

    def save(self, session) -> None:
        """The server saves every session itself."""

    def start_from_words(self, text: str, *, on_progress=None):
        """A server session drawn from `text` (`session.opening`: the drawing's reply). The server
        reports no progress for this call, so `on_progress` is not called."""
        from server.client import HttpSession

        return HttpSession.from_words(self.url, text, steps=self.settings.steps, guidance=self.settings.guidance,
                                      seed=self.settings.seed, language=detect_language(text))

    def restore(self, session_id: str, *, language: str):
        from server.client import HttpSession

        return HttpSession(self.url, session_id, accept_language=language)

    def attach(self, session) -> None:
        """A server session keeps the settings it was made with."""

    def slot(self, on_wait: Callable[[], None] | None = None) -> contextlib.AbstractContextManager:
        """The server schedules the work (Ray Serve): nothing to hold here."""
        return contextlib.nullcontext()

    def prepare(self, language: str, on_progress) -> None:
        """The server holds the models: nothing to download here."""


Backend = EmbeddedBackend | ServerBackend


def backend_for(*, server: str | None, preset: str, settings: EditSettings, parse: Callable) -> Backend:
    """The server's backend when `server` is set, else the embedded one over `preset` (EditError when
    its models cannot be loaded, e.g. a local model path is missing)."""
    if server is not None:
        return ServerBackend(server, settings)
    return EmbeddedBackend(editor_for(preset, settings), parse)

