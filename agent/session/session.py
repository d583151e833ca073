"""A multi-turn editing session: a history of versions, a pointer, and turns that move them.

    editor = Editor(load_models("tiny"))                   # models are shared, never copied
    session = Session(load_image("photo.jpg"), editor, store=SessionStore("sessions"))
    reply = session.send("把猫换成狗")                       # Reply: text, image, candidates, progress
    reply = session.send("选第二个")                          # when the reply asked to pick
    session.undo(); session.redo(); session.reset(); session.regenerate(); session.goto(1)
    session.send("换成狗", point=(120, 80))                  # a click instead of a word

Every turn takes the session's lock, so one session can be used from several threads; with a store,
it also holds the saved session's writer lock (agent/session/lock.py) from catching up with the latest saved
state to saving, so two sessions on one id (two tabs, two programs) take turns and lose none. A turn
that fails leaves the session as it was and returns a short reply in the user's language.

How turns run is in agent/session/turn.py (the turn frame, messages, picks, history moves) and
agent/step.py (one edit command: find its region, apply it).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from agent.editor import Editor
from agent.inputs import check_message, check_whole_number, session_image
from agent.parse import EditCommand
from agent.session.reply import Reply, TurnProgress, say
from agent.step import refusal
from agent.session.store import SessionStore, Snapshot, new_session_id, write_export
from agent.session.turn import Pending, TurnRunner
from agent.session.version import LogEntry, Version
from tools.images import LoadedImage
from tools.regions import checked_prompt
from tools.unicode import clean_text

__all__ = ["Session", "Pending"]
Point = tuple[float, float]
BoxPrompt = tuple[float, float, float, float]


class Session(TurnRunner):
    """One picture's editing history. `image`: a PIL image of any mode (RGBA, P, L...: made RGB, its
    transparency kept as `alpha`, as `load_image` does) or a `LoadedImage`; anything else is a BadInputError.

    editor: the shared Editor (its models and settings); store: where to save after every turn
    (None: not saved); interactive: False takes the best candidate instead of asking (scripts);
    parse: text → [EditCommand] (default `agent.parse_instruction`).
    """

    def __init__(self, image: Image.Image | LoadedImage, editor: Editor, *, alpha: Image.Image | None = None,
                 store: SessionStore | None = None, interactive: bool = True,
                 parse: Callable[[str], Sequence[EditCommand]] | None = None, session_id: str | None = None,
                 language: str = "zh", _snapshot: Snapshot | None = None):
        if isinstance(image, LoadedImage):
            image, alpha = image.rgb, image.alpha if alpha is None else alpha
        image, alpha = session_image(image, alpha)  # any PIL mode: RGB plus its transparency as alpha
        self.editor, self.store, self.interactive, self.language = editor, store, interactive, language
        self._parse = parse
        self._lock = threading.RLock()
        self._pending: Pending | None = None
        snapshot = _snapshot or Snapshot(id=session_id or new_session_id(),
                                         versions=(Version(0, "original", image),), pointer=0, alpha=alpha)
        self.id, self.alpha, self.created = snapshot.id, snapshot.alpha, snapshot.created
        self._revision = snapshot.revision
        self._versions, self._pointer, self._log = list(snapshot.versions), snapshot.pointer, list(snapshot.log)

    @classmethod
    def restore(cls, store: SessionStore, session_id: str, editor: Editor, **options) -> "Session":
        """The session saved as `session_id` in `store`, with every version and the pointer."""
        snapshot = store.load(session_id)
        return cls(snapshot.versions[0].image, editor, store=store, _snapshot=snapshot, **options)

    # ---------------------------------------------------------------------------- reading it
    @property
    def image(self) -> Image.Image:
        """The current picture (PIL RGB)."""
        return self.current.image

    @property
    def current(self) -> Version:
        with self._lock:
            return self._versions[self._pointer]

    @property
    def versions(self) -> tuple[Version, ...]:
        with self._lock:
            return tuple(self._versions)

    @property
    def pointer(self) -> int:
        return self._pointer

    @property
    def log(self) -> tuple[LogEntry, ...]:
        return tuple(self._log)

    @property
    def pending(self) -> Pending | None:
        """The edit waiting for a pick, if any."""
        return self._pending

    def region(self, *, point: tuple[float, float] | None = None,
               box: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """SAM's mask (bool HxW) of the current picture under a click or a box, to show before an edit."""
        with self._lock:
            return self.editor.region(self.image, point=point, box=box)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self.id, tuple(self._versions), self._pointer, tuple(self._log), self.alpha, self.created,
                            self._revision)

    def save(self) -> None:
        """Save now (a turn saves by itself), under the writer lock. Raises StorageError."""
        if self.store is None:
            raise ValueError("this session has no store to save to")
        with self._lock, self.store.lock(self.id):
            snapshot = self.snapshot()
            self.store.save(snapshot)
            self._revision = snapshot.revision + 1

    def export(self, path: str | Path) -> Path:
        """A zip with every version, the final picture (with the original's alpha) and the conversation."""
        return write_export(self.snapshot(), path)

    # ------------------------------------------------------------------------------- turns
    def send(self, text: str, *, point: Point | None = None, box: BoxPrompt | None = None,
             on_progress: Callable[[TurnProgress], None] | None = None) -> Reply:
        """Run one message: edits, undo/redo/reset/regenerate, or a pick. `point` (x, y) or `box`
        (x0, y0, x1, y1), in image pixels, stand in for the source of the message's first edit.
        A `text` that is not a str, or a point/box that is no place on the picture, gets a refusal reply;
        bytes that were not valid Unicode (a terminal's) become U+FFFD here, before anything keeps them."""
        def work(turn):
            message = clean_text(check_message(text))
            prompt = checked_prompt(point=point, box=box, size=self.image.size)
            kind = prompt.kind if prompt is not None else None
            return self._message(turn, message, prompt.value if kind == "point" else None,
                                 prompt.value if kind == "box" else None)
        return self._turn(clean_text(text) if isinstance(text, str) else "", on_progress, work)

    def pick(self, number: int | None = None, *, point: Point | None = None, position: str | None = None,
             all: bool = False, on_progress=None) -> Reply:
        """Choose one of the pending candidates by its number, a click, a position, or all of them."""
        said = f"#{number}" if number is not None else f"{point or position or 'all'}"

        def work(turn):
            chosen = check_whole_number(number, "number") if number is not None else None
            clicked = checked_prompt(point=point, size=self.image.size) if point is not None else None
            return self._pick(turn, chosen, clicked.value if clicked else None, position, all)
        return self._turn(said, on_progress, work)

    def undo(self) -> Reply:
        return self._control(EditCommand(action="undo", language=self.language))

    def redo(self) -> Reply:
        return self._control(EditCommand(action="redo", language=self.language))

    def reset(self) -> Reply:
        return self._control(EditCommand(action="reset", language=self.language))

    def regenerate(self, on_progress=None) -> Reply:
        return self._control(EditCommand(action="regenerate", language=self.language), on_progress)

    def goto(self, number: int) -> Reply:
        """Make version `number` (an int) the current one (a new edit then drops the versions after it)."""
        def work(turn):
            version = check_whole_number(number, "version")
            if not 0 <= version < len(self._versions):
                raise refusal("no_such_version", version=version, last=len(self._versions) - 1)
            self._pending, self._pointer = None, version
            return "history", say("goto", turn.language, version=version)
        return self._turn(f"goto {number}", None, work)

    def _control(self, command: EditCommand, on_progress=None) -> Reply:
        return self._turn(command.action, on_progress,
                          lambda turn: ("history" if command.action != "regenerate" else "edited",
                                        self._apply_control(turn, command)))
