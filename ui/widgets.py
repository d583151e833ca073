"""The page's pieces. Each draws part of the session and returns what the user did as an `Event`;
nothing here decides anything (ui/turns.py passes events to the session, agent/ decides).
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict

import streamlit as st
from PIL import Image
from streamlit_image_coordinates import streamlit_image_coordinates

from agent.editor import EditSettings
from agent.session.version import LogEntry
from tools.masks import overlay
from ui.backend import Choices
from ui.events import Event
from ui.state import AppState
from ui.strings import plain, t

SAMPLES = ("chelsea", "coffee", "astronaut")
SELECTION_COLOUR, EDIT_COLOUR = (40, 120, 255), (255, 150, 0)
DISPLAY_SIDE = 1024  # the picture is sent to the browser at most this large
HISTORY_PER_ROW = 6


# ------------------------------------------------------------------------------------- sidebar
def language_choice() -> str:
    """The interface language the user chose: "auto" (follow the chat), "zh" or "en"."""
    def both(key: str) -> str:  # said in both languages: no language is chosen yet
        return f"{t(key, 'zh')} · {t(key, 'en')}"

    labels = {"auto": both("language.auto"), "zh": "中文", "en": "English"}
    return st.sidebar.radio(both("language"), list(labels), format_func=labels.get, horizontal=True,
                            key="ui_language")


def settings(state: AppState, language: str, choices: Choices) -> EditSettings:
    """Preset, generation settings and the LLM switch, as far as `choices` offers them (state.preset /
    state.llm are updated). A single preset is shown, not switchable (a server's)."""
    bar = st.sidebar
    bar.subheader(t("settings", language))
    fixed = len(choices.presets) == 1
    key = "preset-fixed" if fixed else "preset"
    st.session_state.setdefault(key, state.preset if state.preset in choices.presets else choices.presets[0])
    state.preset = bar.selectbox(t("preset", language), choices.presets, help=t("preset_help", language), key=key,
                                 disabled=fixed)
    tiny = state.preset == "tiny"
    steps = bar.number_input(t("steps", language), 1, 150, 2 if tiny else 30, key=f"steps-{state.preset}")
    guidance = bar.slider(t("guidance", language), 1.0, 15.0, 7.5, 0.5, key="guidance")
    seed = bar.number_input(t("seed", language), 0, 2**31 - 1, 0, key="seed")
    for key, fields in choices.notes:
        bar.caption(t(key, language, **fields))
    state.llm = choices.llm and bar.toggle(t("llm", language), key="llm", help=t("llm_help", language))
    if state.llm:
        llm_status(language)
    return EditSettings(steps=int(steps), guidance=float(guidance), seed=int(seed))


def llm_status(language: str) -> None:
    """Under the LLM switch: a note when no model is configured or it cannot be loaded."""
    from tools.errors import EditError
    from ui.models import chat_model

    try:
        if chat_model() is None:
            st.sidebar.caption(t("llm_missing", language))
    except EditError as error:
        st.sidebar.warning(plain(error.message_for(language)))


def files(state: AppState, language: str) -> Event | None:
    """Downloads, a new conversation, and another picture (upload or sample)."""
    bar, session = st.sidebar, state.session
    if session is not None:
        from tools.images import image_to_png_bytes

        bar.download_button(t("download_image", language), image_to_png_bytes(session.image, session.alpha),
                            file_name=f"edit-everything-v{session.pointer}.png", mime="image/png",
                            on_click="ignore", key="download_image")
        bar.download_button(t("download_export", language), lambda: export_bytes(session),
                            file_name=f"edit-everything-{session.id[:8]}.zip", mime="application/zip",
                            on_click="ignore", key="download_export")
        if bar.button(t("new_session", language), key="new_session"):
            return Event("new")
        with bar.expander(t("new_picture", language)):
            return new_picture(language)
    return None


def export_bytes(session) -> bytes:
    """The session's export zip (every version, the final picture, the conversation) as bytes."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        return session.export(Path(folder) / "export.zip").read_bytes()


def new_picture(language: str) -> Event | None:
    """The uploader and the sample photos."""
    upload = st.file_uploader(t("upload", language), key="upload")
    if upload is not None:
        return Event("upload", upload)
    st.caption(t("samples", language))
    for column, name in zip(st.columns(len(SAMPLES)), SAMPLES):
        with column:
            st.image(sample_thumbnail(name), width="stretch")
            if st.button(t(f"sample.{name}", language), key=f"sample-{name}", width="stretch"):
                return Event("sample", name)
    return None


@st.cache_resource(show_spinner=False)
def sample_thumbnail(name: str) -> Image.Image:
    from ui.turns import sample_image

    picture = sample_image(name).rgb.copy()
    picture.thumbnail((240, 240))
    return picture


# ------------------------------------------------------------------------------------ picture
def picture(state: AppState, language: str) -> Event | None:
    """The current picture, large; a click or a dragged box on it selects a region."""
    session = state.session
    image = session.image
    st.caption(t("picture_caption", language, version=session.pointer, last=len(session.versions) - 1,
                 width=image.width, height=image.height))
    show_mask = st.toggle(t("show_mask", language), key="show_mask", disabled=session.current.mask is None)
    shown = image
    if state.selection is not None:
        shown = overlay(image, state.selection.mask, SELECTION_COLOUR, alpha=0.45)
    elif show_mask and session.current.mask is not None:
        shown = overlay(image, session.current.mask, EDIT_COLOUR, alpha=0.45)
    shown = shown.copy()
    shown.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE))
    value = streamlit_image_coordinates(shown, width="stretch", click_and_drag=True, image_format="JPEG",
                                        jpeg_quality=90, cursor="crosshair", key=f"picture-{session.id}")
    event = None
    if value and not state.handled(f"click:{value.get('unix_time')}"):
        event = clicked(value, image.size)
    st.caption(t("click_hint", language))
    return selection_panel(state, language) or event


def clicked(value: dict, size: tuple[int, int]) -> Event:
    """The component's mouse-down/up (display pixels) → a point or a box in image pixels."""
    scale_x, scale_y = size[0] / max(1, value["width"]), size[1] / max(1, value["height"])
    x0, y0, x1, y1 = (value[k] * s for k, s in (("x1", scale_x), ("y1", scale_y), ("x2", scale_x), ("y2", scale_y)))
    if math.hypot(value["x2"] - value["x1"], value["y2"] - value["y1"]) < 6:
        return Event("select", ("point", (round(x0), round(y0))))
    return Event("select", ("box", (round(min(x0, x1)), round(min(y0, y1)), round(max(x0, x1)), round(max(y0, y1)))))


def selection_panel(state: AppState, language: str) -> Event | None:
    """What is selected, a button to clear it, and coordinates typed by hand (a click's alternative)."""
    selection = state.selection
    if selection is not None:
        names = ("x", "y") if selection.kind == "point" else ("x0", "y0", "x1", "y1")
        st.info(t(f"selected_{selection.kind}", language, **dict(zip(names, (round(v) for v in selection.value)))))
        if st.button(t("clear_selection", language), key="clear_selection"):
            return Event("clear")
    with st.expander(t("by_numbers", language)):
        with st.form("coordinates", border=False):
            shape = st.radio(t("shape", language), ("point", "box"), horizontal=True, key="shape",
                             format_func=lambda s: t(f"shape.{s}", language))
            columns = st.columns(4)
            values = [column.number_input(name, value=0, step=1, key=f"coord-{name}")
                      for column, name in zip(columns, ("x0", "y0", "x1", "y1"))]
            if st.form_submit_button(t("select", language), key="select-region"):
                return Event("select", ("point", tuple(values[:2])) if shape == "point" else ("box", tuple(values)))
    return None


def toolbar(state: AppState, language: str) -> Event | None:
    history = state.session.history
    enabled = {"undo": history.can_undo, "redo": history.can_redo, "reset": history.can_reset,
               "regenerate": history.can_regenerate}
    for column, (name, on) in zip(st.columns(len(enabled)), enabled.items()):
        if column.button(t(name, language), key=f"tool-{name}", disabled=not on, width="stretch"):
            return Event(name)
    return None


def candidates(state: AppState, language: str) -> Event | None:
    """The numbered candidates of a pending pick; clicking a number picks it."""
    reply, session = state.reply, state.session
    if reply is None or not reply.candidates or session.pending is None or reply.version != session.pointer:
        return None
    st.markdown(f"**{t('candidates', language)}**")
    for column, view in zip(st.columns(max(3, len(reply.candidates))), reply.candidates):
        with column:
            st.image(view.thumbnail, caption=f"#{view.number}", width="stretch")
            if st.button(t("pick", language, number=view.number), key=f"pick-{view.number}", width="stretch"):
                return Event("pick", view.number)
    return None


def history(state: AppState, language: str) -> Event | None:
    """A strip of every version; clicking one goes back to it."""
    session = state.session
    st.markdown(f"**{t('history', language)}**")
    versions = session.versions
    for row in range(0, len(versions), HISTORY_PER_ROW):
        for column, version in zip(st.columns(HISTORY_PER_ROW), versions[row:row + HISTORY_PER_ROW]):
            with column:
                st.image(thumbnail(session, version), width="stretch")
                label = t("original", language) if version.number == 0 else t("version_label", language,
                                                                                  number=version.number)
                current = version.number == session.pointer
                if st.button(label, key=f"goto-{version.number}", type="primary" if current else "secondary",
                             width="stretch"):
                    return Event("goto", version.number)
    return None


_THUMBNAILS_LOCK = threading.Lock()
_THUMBNAILS: OrderedDict[tuple[str, str, int], Image.Image] = OrderedDict()


def thumbnail(session, version, side: int = 160) -> Image.Image:
    """A small copy of a version's picture, kept for the next reruns (keyed by session and version)."""
    key = (session.id, version.uid, side)
    with _THUMBNAILS_LOCK:  # browser sessions run in threads of one process
        small = _THUMBNAILS.get(key)
    if small is None:
        small = version.image.copy()
        small.thumbnail((side, side))
        with _THUMBNAILS_LOCK:
            _THUMBNAILS[key] = small
            while len(_THUMBNAILS) > 500:
                _THUMBNAILS.popitem(last=False)
    return small


# ------------------------------------------------------------------------------- conversation
def spoken(entry: LogEntry, language: str) -> str:
    """What the user did in a turn, in the interface's language: their words, or the button's label."""
    if entry.kind == "button":
        return t(entry.said, language)
    if entry.kind == "pick" and entry.number is not None:
        return t("pick", language, number=entry.number)
    if entry.kind == "goto" and entry.number is not None:
        return t("original", language) if entry.number == 0 else t("version_label", language, number=entry.number)
    return entry.said


def conversation(state: AppState, language: str) -> None:
    """The session's log as chat messages (text escaped, never HTML), with the picture each turn
    made or went back to (while it is still in the history)."""
    session = state.session
    pictures, asked = {version.uid: version for version in session.versions}, None
    if state.reply is not None and state.reply.overview is not None and session.pending is not None:
        asked = state.reply.overview
    log = session.log
    if not log:
        with st.chat_message("assistant"):
            st.markdown(t("first_hint", language))
    for index, entry in enumerate(log):
        words = spoken(entry, language)
        if words:
            with st.chat_message("user"):
                st.markdown(plain(words))
        with st.chat_message("assistant"):
            st.markdown(plain(entry.reply))
            if entry.shows in pictures:
                st.image(thumbnail(session, pictures[entry.shows], 320), width=280)
            if asked is not None and index == len(log) - 1:
                st.image(asked, width=280)
    if state.notice:
        st.warning(plain(state.notice))
