"""Edit Everything's chat page. It only draws the session (agent/) and passes the user's events on.

    make run                                          # the default preset
    streamlit run ui/app.py -- --preset tiny          # or EDIT_EVERYTHING_PRESET=tiny
    streamlit run ui/app.py -- --server http://127.0.0.1:8000   # sessions on an `edit-everything serve`
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

if __package__ in (None, ""):  # `streamlit run ui/app.py` runs this file as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from tools.errors import EditError
from ui import turns, widgets
from ui.backend import Backend, backend_for, choices_for
from ui.events import Event
from ui.state import AppState, app_state, resume
from ui.strings import plain, t

st.set_page_config(page_title="Edit Everything", page_icon="🖌️", layout="wide")


def interface_language(choice: str, state: AppState) -> str:
    """The chosen language, or the chat's, or the browser's (Chinese unless it says English)."""
    if choice != "auto":
        return choice
    if state.session is not None and state.session.log:
        return state.session.language
    return "en" if (st.context.locale or "zh").lower().startswith("en") else "zh"


def page() -> None:
    state = app_state()
    choice = widgets.language_choice()
    language = interface_language(choice, state)
    st.title(t("title", language))
    try:
        settings = widgets.settings(state, language, choices_for(state.server))  # sets state.preset
        backend = backend_for(server=state.server, preset=state.preset, settings=settings, parse=state.parse)
        body(state, language, backend)
    except EditError as error:  # a preset's local model path is missing, a server out of reach: one line
        st.warning(plain(error.message_for(language)))


def body(state: AppState, language: str, backend: Backend) -> None:
    """The start page (no picture yet) or the picture, its tools and the chat."""
    resume(state, backend, language)
    session = state.session
    if session is not None:
        backend.attach(session)
    event = widgets.files(state, language)
    if session is None:
        st.markdown(t("welcome", language))
        if state.notice:
            st.warning(plain(state.notice))
        live = st.container()
        picked = event or widgets.new_picture(language)
        words = st.chat_input(t("chat_placeholder_new", language), max_chars=2000, key="chat")
        turns.handle(state, Event("words", words) if words is not None else picked, language, backend, live)
        return
    picture_column, chat_column = st.columns([3, 2], gap="large")
    with picture_column:
        shown = [draw(state, language) for draw in (widgets.picture, widgets.toolbar, widgets.candidates,
                                                    widgets.history)]
        event = next((e for e in shown if e is not None), event)
    with chat_column.container(height=720, autoscroll=True, border=False):
        widgets.conversation(state, language)
        live = st.container()
    hint = "chat_placeholder_region" if state.selection is not None else "chat_placeholder"
    text = st.chat_input(t(hint, language), max_chars=2000, key="chat")
    turns.handle(state, Event("send", text) if text is not None else event, language, backend, live)


try:
    page()
except Exception:  # a bug: the traceback goes to the log, the page says one sentence
    logging.getLogger("edit-everything.app").exception("the page failed")
    st.error(t("internal", "zh") + " / " + t("internal", "en"))
