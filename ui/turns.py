"""Events from the page → session calls, with progress shown while they run.

Long work (an edit, a pick, regenerate, SAM for a click) holds the backend's slot (embedded: the
process-wide generation lock) and shows an st.status with a progress bar fed by the session's
progress events (embedded: the Editor's; against a server: its event stream). After a turn the page
is drawn again from the session (st.rerun), so what is shown is always what the session holds.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import streamlit as st

from agent.edit_types import Progress
from agent.session.reply import Reply
from tools.errors import BadInputError, EditError
from tools.images import LoadedImage, load_image
from tools.language import detect_language
from tools.transfer import DownloadProgress
from ui.backend import Backend
from ui.events import Event
from ui.state import AppState, Selection
from ui.strings import plain, t

logger = logging.getLogger("edit-everything.app")
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # the app's own limits, below load_image's defaults:
MAX_UPLOAD_PIXELS = 25_000_000       # every pixel is segmented and repainted on this server
# share of the progress bar each stage of one edit step takes (start, end)
STAGES = {"parse": (0.0, 0.05), "segment": (0.05, 0.25), "rank": (0.25, 0.35), "select": (0.35, 0.4),
          "inpaint": (0.4, 0.95), "done": (0.95, 0.98), "save": (0.98, 1.0)}


def handle(state: AppState, event: Event | None, language: str, backend: Backend, live) -> None:
    """Carry out `event`; `live` is the container where a running turn shows its progress."""
    if event is None:
        return
    session = state.session
    if event.kind == "upload":
        open_upload(state, event.value, backend, language)
    elif event.kind == "sample":
        start(state, sample_image(event.value), backend, language)
    elif event.kind == "new":
        state.close()
        st.rerun()
    elif event.kind == "select":
        select(state, *event.value, language, backend)
    elif event.kind == "clear":
        state.selection = None
        st.rerun()
    elif event.kind == "words":  # the first page: a picture drawn from words starts the conversation
        run(state, language, live, event.value,
            lambda progress: state.start_from_words(event.value, backend, on_progress=progress),
            backend=backend, fetch=detect_language(event.value))
    elif event.kind == "send":
        prompt = state.selection.prompt if state.selection is not None else {}
        run(state, language, live, event.value, lambda progress: session.send(event.value, on_progress=progress,
                                                                             **prompt),
            backend=backend, fetch=detect_language(event.value))
    elif event.kind == "pick":
        run(state, language, live, t("pick", language, number=event.value),
            lambda progress: session.pick(event.value, on_progress=progress), backend=backend)
    elif event.kind == "regenerate":
        run(state, language, live, t("regenerate", language), lambda progress: session.regenerate(progress),
            backend=backend)
    elif event.kind in ("undo", "redo", "reset", "goto"):
        move(state, event, language)


def move(state: AppState, event: Event, language: str) -> None:
    """Undo, redo, reset or goto: quick, no progress; a failure (a server gone) is a notice."""
    call = getattr(state.session, event.kind)
    try:
        reply = call(event.value) if event.kind == "goto" else call()
    except EditError as error:
        state.notice = error.message_for(language)
        st.rerun()
    finish(state, reply)


def run(state: AppState, language: str, live, said: str, call: Callable[[Callable], Reply], *,
        backend: Backend, fetch: str | None = None) -> None:
    """Run a turn that may take long: the user's words, then a status with a per-step progress bar.
    `fetch` (the turn's text language): download the models it needs first, shown per file.
    A `call` that refuses (EditError: words that ask for no picture, a server that cannot be reached)
    leaves a notice in the words' language."""
    with live:
        with st.chat_message("user"):
            st.markdown(plain(said))
        with st.chat_message("assistant"):
            status = st.status(t("working", language), expanded=True)
            bar = status.progress(0.0)

    def on_progress(event: Progress) -> None:
        start, end = STAGES.get(event.stage, (0.0, 1.0))
        share = event.done / event.total if event.total else 0.0
        overall = (event.command - 1 + start + (end - start) * share) / max(1, event.commands)
        label = t(f"stage.{event.stage}", language) if f"stage.{event.stage}" in STAGE_KEYS else event.stage
        if event.total:
            label += f" {event.done}/{event.total}"
        if event.commands > 1:
            label = t("command_of", language, command=event.command, commands=event.commands) + label
        bar.progress(min(1.0, max(0.0, overall)), text=label)
        status.update(label=label, expanded=True)

    try:
        with backend.slot(on_wait=lambda: status.update(label=t("queued", language), expanded=True)):
            if fetch is not None:
                backend.prepare(fetch, on_progress=DownloadView(status, bar, language))
            reply = call(from_any_thread(on_progress))
    except EditError as error:  # nothing was made: say why in one line
        status.update(label=t("failed", language), state="error", expanded=False)
        state.notice = error.message_for(detect_language(said) if said.strip() else language)
        st.rerun()
    except Exception:  # the session answers every failure itself; this is a bug in the page
        logger.exception("turn failed")
        status.update(label=t("failed", language), state="error", expanded=False)
        state.notice = t("internal", language)
        st.rerun()
    status.update(label=t("finished" if reply.error is None else "failed", language),
                  state="complete" if reply.error is None else "error", expanded=False)
    finish(state, reply)


STAGE_KEYS = {f"stage.{name}" for name in STAGES}


def from_any_thread(callback: Callable[[Progress], None]) -> Callable[[Progress], None]:
    """`callback`, callable also from a thread the page did not start (a session following a server's
    event stream reports from its own): such a thread is given this script run's context first."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)

    def report(event: Progress) -> None:
        if context is not None and get_script_run_ctx(suppress_warning=True) is None:
            add_script_run_ctx(threading.current_thread(), context)
        callback(event)

    return report


class DownloadView:
    """DownloadProgress events in a turn's status: the file, megabytes done of total, a bar per file."""

    def __init__(self, status, bar, language: str) -> None:
        self.status, self.bar, self.language, self.shown = status, bar, language, None

    def __call__(self, event: DownloadProgress) -> None:
        share = min(1.0, event.done / event.total) if event.total else 0.0
        if (event.file, int(share * 100)) == self.shown:
            return  # one redraw per percent
        self.shown = (event.file, int(share * 100))
        total = f"{event.total / 2**20:.0f}" if event.total else "?"
        label = t("downloading", self.language, file=event.file, done=f"{event.done / 2**20:.0f}", total=total)
        self.bar.progress(share, text=label)
        self.status.update(label=label, expanded=True)


def finish(state: AppState, reply: Reply) -> None:
    """Keep the reply (its candidates), drop a used selection, and draw the page again. A refusal
    that is not in the conversation (a server busy with this session's last turn) becomes a notice."""
    state.reply, state.notice = reply, None
    if reply.error is None:
        state.selection = None
    else:
        log = state.session.log
        if not log or log[-1].reply != reply.text:
            state.notice = reply.text
    st.rerun()


def select(state: AppState, kind: str, value: tuple, language: str, backend: Backend) -> None:
    """A click or a box on the picture: SAM's mask for it, shown until the user says what to do."""
    session = state.session
    width, height = session.image.size
    if kind == "point" and not (0 <= value[0] < width and 0 <= value[1] < height):
        state.notice = t("click_outside", language, width=width, height=height)
        st.rerun()
    try:
        with st.spinner(t("selecting", language)), backend.slot():
            mask = session.region(**{kind: tuple(value)})
        state.selection, state.notice = Selection(kind, tuple(value), mask), None
    except EditError as error:
        state.notice = error.message_for(language)
    except Exception:
        logger.exception("selecting %s %r failed", kind, value)
        state.notice = t("internal", language)
    st.rerun()


def open_upload(state: AppState, upload, backend: Backend, language: str) -> None:
    """A new conversation over an uploaded file, or a short refusal (the current one stays)."""
    if state.handled(f"upload:{upload.file_id}"):
        return
    try:
        loaded = load_image(upload.getvalue(), max_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_UPLOAD_PIXELS)
    except BadInputError as error:
        state.notice = t("upload_failed", language, reason=error.message_for(language))
        st.rerun()
    start(state, loaded, backend, language)


def start(state: AppState, image: LoadedImage, backend: Backend, language: str) -> None:
    try:
        state.start(image, backend, language)
    except EditError as error:  # saving failed (the conversation still works, unsaved), or no server
        state.notice = error.message_for(language)
    notes = [note.zh if language == "zh" else note.en for note in image.notes]
    if notes:
        state.notice = t("image_note", language, note=" ".join(notes))
    st.rerun()


def sample_image(name: str) -> LoadedImage:
    """One of scikit-image's sample photos ("chelsea", "coffee", "astronaut")."""
    import skimage.data
    from PIL import Image

    return LoadedImage(Image.fromarray(getattr(skimage.data, name)()), None, "PNG")
