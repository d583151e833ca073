"""What one browser session holds: one typed object in st.session_state, tied to the URL.

The session id lives in the URL (`?session=<id>`), the session itself in the data directory
($EDIT_EVERYTHING_DATA or ~/.local/share/edit-everything, under sessions/) or on the server the app
drives (ui/backend.py), so a refresh or a restart opens the same conversation. Ids are unguessable;
two browsers never share a session object.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass
from typing import Literal

import numpy as np
import streamlit as st

from agent.session.reply import Reply
from agent.session.session import Session
from server.client import HttpSession
from tools.errors import EditError
from tools.images import LoadedImage
from tools.presets import DEFAULT_PRESET, PRESET_NAMES
from ui.backend import Backend, startup_server

logger = logging.getLogger("edit-everything.app")
PRESET_ENV = "EDIT_EVERYTHING_PRESET"
QUERY_KEY = "session"
STATE_KEY = "edit_everything"


def startup_preset(argv: list[str] | None = None) -> str:
    """`streamlit run ui/app.py -- --preset X`, else $EDIT_EVERYTHING_PRESET, else "auto"."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--preset")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    name = (known.preset or os.environ.get(PRESET_ENV) or DEFAULT_PRESET).strip().lower()
    return name if name in PRESET_NAMES else DEFAULT_PRESET


@dataclass(frozen=True, eq=False)
class Selection:
    """A click (`value` = (x, y)) or a dragged box (`value` = (x0, y0, x1, y1)), in image pixels, and
    the mask SAM gives for it (bool HxW), shown before the user says what to do with it."""

    kind: Literal["point", "box"]
    value: tuple[float, ...]
    mask: np.ndarray

    @property
    def prompt(self) -> dict:
        """The keyword for Session.send: {"point": (x, y)} or {"box": (x0, y0, x1, y1)}."""
        return {self.kind: self.value}


@dataclass
class AppState:
    """Everything the page needs between reruns; the Session holds the conversation itself.

    session: an agent.session.Session, or a server.client.HttpSession against a server (the same calls).
    server: the server's address when the app drives one (--server / $EDIT_EVERYTHING_SERVER), else None.
    reply: the last turn's answer (its numbered candidates while a pick is pending).
    notice: a message that did not come from a turn (an upload refused, a click outside the picture).
    seen: ids of inputs already handled (an uploaded file, a click), so a rerun does not redo them.
    """

    preset: str
    server: str | None = None
    session: Session | HttpSession | None = None
    reply: Reply | None = None
    selection: Selection | None = None
    notice: str | None = None
    llm: bool = False
    seen: tuple[str, ...] = ()

    def parse(self, text: str):
        """The session's parser: the rules, plus the chat model when the LLM switch is on."""
        from agent import parse_instruction
        from ui.models import chat_model

        return parse_instruction(text, llm=chat_model() if self.llm else None)

    def start(self, image: LoadedImage, backend: Backend, language: str) -> None:
        """A new conversation over `image`; its id goes into the URL. EditError: the server cannot
        take it (nothing starts), or it could not be saved (it goes on, unsaved)."""
        self.session = backend.start(image, language=language)
        backend.save(self.session)
        self.reply = self.selection = self.notice = None
        st.query_params[QUERY_KEY] = self.session.id

    def start_from_words(self, text: str, backend: Backend, *, on_progress=None) -> Reply:
        """A new conversation over a picture drawn from `text` ("画一张海边日落的图片"); its id goes into
        the URL. Returns the drawing turn's reply; raises EditError (one line) when `text` asks for no
        picture, and then nothing is made."""
        self.session = backend.start_from_words(text, on_progress=on_progress)
        self.reply, self.selection, self.notice = self.session.opening, None, None
        st.query_params[QUERY_KEY] = self.session.id
        return self.session.opening

    def close(self) -> None:
        """Leave the conversation (it stays on disk) and go back to the start page."""
        self.session = self.reply = self.selection = self.notice = None
        st.query_params.pop(QUERY_KEY, None)

    def handled(self, key: str) -> bool:
        """True if the input `key` was seen before; remembers it otherwise."""
        if key in self.seen:
            return True
        self.seen = (self.seen + (key,))[-50:]
        return False


def app_state() -> AppState:
    """This browser session's state (created on its first run)."""
    state = st.session_state.get(STATE_KEY)
    if state is None:
        state = st.session_state[STATE_KEY] = AppState(preset=startup_preset(), server=startup_server())
    return state


def resume(state: AppState, backend: Backend, language: str) -> None:
    """Open the conversation named in the URL if this browser session has none yet (a refresh, a
    server restart, a shared link); a failure becomes a notice and a fresh start. The replies keep
    the session's saved language (`language`, the page's, only for an old session that has none)."""
    from ui.strings import t

    session_id = st.query_params.get(QUERY_KEY)
    if state.session is not None or not session_id or state.handled(f"restore:{session_id}"):
        return
    try:
        state.session = backend.restore(session_id, language=language)
        st.rerun()  # draw everything in the conversation's language
    except EditError as error:
        state.notice = t("restore_failed", language, reason=error.message_for(language))
        st.query_params.pop(QUERY_KEY, None)
    except Exception:  # a bug: the log gets the traceback, the page a sentence
        logger.exception("restoring session %r failed", session_id)
        state.notice = t("restore_failed", language, reason=t("internal", language))
        st.query_params.pop(QUERY_KEY, None)
