"""Sessions by id for the API: the embedded `Session` and `SessionStore`, plus what a server adds —
unguessable ids checked before any disk access, one running turn per session (a second one is
"busy"), the running turn's progress for the event stream, per-session generation settings.

    service = SessionService(models, SessionStore(data_dir))    # models: RemoteModels or Models
    session = service.create(upload_bytes, settings=SessionSettings(EditSettings(seed=7)))
    session = service.create_from_words("画一张海边日落的图片", settings=SessionSettings())
    reply = service.turn(session.id, "send", "把猫换成狗")
"""
from __future__ import annotations

import json
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from agent.edit_types import EditSettings, Progress
from agent.editor import Editor
from agent.session.reply import Reply
from agent.session.session import Session
from agent.session.store import SESSION_ID, SessionStore
from server.errors import NotAnImageError, busy, too_large, unknown_session
from tools.errors import BadInputError
from tools.images import load_image
from tools.models import Models

SETTINGS_FOLDER = ".server-settings"  # beside the sessions; not a session id, so the store ignores it


@dataclass(frozen=True)
class SessionSettings:
    """What a client chose when it made a session: the editor's settings (steps, guidance, seed), the
    replies' language (None: a photo's session answers in Chinese, a drawn one in its words' language)
    and whether to ask among candidates (False: take the best one, for scripts). Saved beside the
    session so a restarted server continues it the same way."""

    edit: EditSettings = field(default_factory=EditSettings)
    language: str | None = None
    interactive: bool = True

    def to_json(self) -> str:
        edit = self.edit
        return json.dumps({"steps": edit.steps, "guidance": edit.guidance, "seed": edit.seed,
                           "language": self.language, "interactive": self.interactive})

    @classmethod
    def from_json(cls, text: str) -> "SessionSettings":
        """The settings written by `to_json`; defaults for anything missing or unreadable."""
        try:
            data = json.loads(text)
            edit = EditSettings(**{k: data[k] for k in ("steps", "guidance", "seed") if k in data})
            return cls(edit, language=data.get("language"), interactive=bool(data.get("interactive", True)))
        except (ValueError, TypeError, AttributeError):
            return cls()


@dataclass
class Running:
    """The progress of a session's running turn: events as dicts, `finished` once it answered."""

    events: list[dict] = field(default_factory=list)
    finished: bool = False


class SessionService:
    """Open sessions (at most `max_open` in memory; the rest are read back from the store)."""

    def __init__(self, models: Models, store: SessionStore, *, max_open: int = 64,
                 max_upload_bytes: int = 50 * 1024 * 1024):
        self.models, self.store, self.max_open = models, store, max_open
        self.max_upload_bytes = max_upload_bytes
        self._open: OrderedDict[str, Session] = OrderedDict()
        self._running: dict[str, Running] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ sessions
    def create(self, data: bytes, *, settings: SessionSettings) -> Session:
        """A new saved session on the uploaded picture `data` (bytes of an image file)."""
        editor = self._checked_editor(settings)
        if len(data) > self.max_upload_bytes:
            raise too_large(self.max_upload_bytes)
        try:
            loaded = load_image(data, max_bytes=self.max_upload_bytes)
        except BadInputError as error:
            if "megapixel" in error.message:
                raise too_large(self.max_upload_bytes) from error
            raise NotAnImageError(error.message, zh=error.message_zh) from error
        session = Session(loaded, editor, store=self.store, language=settings.language or "zh",
                          interactive=settings.interactive)
        session.save()
        self._write_settings(session.id, settings)
        return self._keep(session)

    def create_from_words(self, text: str, *, settings: SessionSettings) -> Session:
        """A new saved session whose version 0 is drawn from `text` ("画一张海边日落的图片"); its reply
        is `session.opening`. Raises EditError (one line) when `text` asks for no picture: nothing is
        made or saved then."""
        editor = self._checked_editor(settings)
        session = Session.from_words(text, editor, store=self.store, language=settings.language,
                                     interactive=settings.interactive)
        self._write_settings(session.id, settings)
        return self._keep(session)

    def session(self, session_id: str) -> Session:
        """The session `session_id` (from memory, else the store); UnknownSessionError otherwise."""
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            raise unknown_session(session_id)
        with self._lock:
            if session_id in self._open:
                self._open.move_to_end(session_id)
                return self._open[session_id]
        if session_id not in self.store.sessions():
            raise unknown_session(session_id)
        settings = self._read_settings(session_id)
        session = Session.restore(self.store, session_id, Editor(self.models, settings.edit),
                                  interactive=settings.interactive)
        return self._keep(session)

    def delete(self, session_id: str) -> None:
        session = self.session(session_id)
        with self._lock:
            if session_id in self._running:
                raise busy()
            self._open.pop(session_id, None)
        with self.store.lock(session.id):
            shutil.rmtree(self.store.folder(session.id), ignore_errors=True)
        (self.store.root / SETTINGS_FOLDER / f"{session_id}.json").unlink(missing_ok=True)

    # --------------------------------------------------------------------------------- turns
    def turn(self, session_id: str, action: str, *args, seed: int | None = None, **kwargs) -> Reply:
        """Run `Session.<action>(*args, **kwargs)` ("send", "pick", "undo", ...) on the session, one turn
        at a time (BusyError while another runs), recording its progress; `seed` for this turn only."""
        session = self.session(session_id)
        running = Running()
        with self._lock:
            if session_id in self._running:
                raise busy()
            self._running[session_id] = running

        def on_progress(event: Progress) -> None:
            running.events.append({"stage": event.stage, "done": event.done, "total": event.total,
                                   "command": event.command, "commands": event.commands, "time": time.time()})

        editor = session.editor
        try:
            if seed is not None:
                session.editor = Editor(editor.models, replace(editor.settings, seed=seed))
            if action in ("send", "pick", "regenerate"):
                kwargs["on_progress"] = on_progress
            return getattr(session, action)(*args, **kwargs)
        finally:
            session.editor = editor
            running.finished = True
            with self._lock:
                self._running.pop(session_id, None)

    def running(self, session_id: str) -> Running | None:
        """The running turn of the session (None when idle); the session must exist."""
        self.session(session_id)
        with self._lock:
            return self._running.get(session_id)

    # ------------------------------------------------------------------------------- helpers
    def _checked_editor(self, settings: SessionSettings) -> Editor:
        """The session's editor; bad language, steps, guidance or seed refused before anything is made."""
        if settings.language not in (None, "zh", "en"):
            raise BadInputError(f"language must be 'zh' or 'en', got {settings.language!r}.",
                                zh=f"language 只能是 'zh' 或 'en'，收到 {settings.language!r}。")
        editor = Editor(self.models, settings.edit)
        editor.inpaint_settings()
        return editor

    def _keep(self, session: Session) -> Session:
        with self._lock:
            self._open[session.id] = session
            self._open.move_to_end(session.id)
            while len(self._open) > self.max_open:
                oldest = next(iter(self._open))
                if oldest in self._running:
                    break
                self._open.pop(oldest)
        return session

    def _write_settings(self, session_id: str, settings: SessionSettings) -> None:
        folder = self.store.root / SETTINGS_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{session_id}.json").write_text(settings.to_json(), encoding="utf-8")

    def _read_settings(self, session_id: str) -> SessionSettings:
        try:
            text = (self.store.root / SETTINGS_FOLDER / f"{session_id}.json").read_text(encoding="utf-8")
        except OSError:
            return SessionSettings()
        return SessionSettings.from_json(text)
