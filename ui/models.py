"""Models shared by every browser session of the process, and the lock that serialises generation.

    editor = editor_for("tiny", EditSettings(steps=2))    # the preset's Models load once per process
    with generation():                                    # one turn that runs models at a time
        reply = session.send("把猫换成狗")
"""
from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

import streamlit as st

from agent.editor import Editor, EditSettings
from tools.errors import EditError
from tools.models import Models, load_models
from tools.prefetch import fetch_preset
from tools.transfer import ProgressCallback


@st.cache_resource(show_spinner=False)
def shared_models(preset: str) -> Models:
    """The preset's models (each component loads lazily on first use), one object per process."""
    return load_models(preset)


@st.cache_resource(show_spinner=False)
def generation_lock() -> threading.Lock:
    """One lock for the whole process: a CPU runs one diffusion at a time faster than two."""
    return threading.Lock()


@st.cache_resource(show_spinner=False)
def chat_model():
    """The instruction parser's chat model from EDIT_LLM_* settings, or None when none is set."""
    from agent.parse.llm_models import load_chat_model

    return load_chat_model()


def editor_for(preset: str, settings: EditSettings) -> Editor:
    """An Editor over the shared models of `preset` (cheap: it only holds them and the settings)."""
    return Editor(shared_models(preset), settings)


@contextlib.contextmanager
def generation(on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the process-wide generation lock; `on_wait` is called once if another session holds it."""
    lock = generation_lock()
    if not lock.acquire(blocking=False):
        if on_wait is not None:
            on_wait()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def fetch_for_turn(models: Models, language: str, on_progress: ProgressCallback) -> None:
    """Before a turn in `language`: download (reporting progress) the models it will load that are not
    loaded yet and not in the cache. One that cannot be fetched is left to the turn, which says so."""
    missing = [component for component in models.components(language) if not models.is_loaded(component)]
    if missing and not models.preset.tiny:
        with contextlib.suppress(EditError):
            fetch_preset(models.preset, components=missing, check=False, on_progress=on_progress)
