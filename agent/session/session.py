"""A multi-turn editing session: a history of versions, a pointer, and turns that move them.

    editor = Editor(load_models("tiny"))                   # models are shared, never copied
    session = Session(load_image("photo.jpg"), editor, store=SessionStore("sessions"))
    reply = session.send("把猫换成狗")                       # Reply: text, image, candidates, progress
    reply = session.send("选第二个")                          # when the reply asked to pick
    session.undo(); session.redo(); session.reset(); session.regenerate(); session.goto(1)
    session.send("换成狗", point=(120, 80))                  # a click instead of a word
    session = Session.from_words("画一张海边日落的图片", editor)  # version 0 drawn from words

Every turn takes the session's lock, so one session can be used from several threads; with a store,
it also holds the saved session's writer lock (agent/session/lock.py) from catching up with the latest saved
state to saving, so two sessions on one id (two tabs, two programs) take turns and lose none. A turn
that fails leaves the session as it was and returns a short reply in the user's language.

A turn, followed from `send`: `_turn` (the frame: locks, catching up, rollback, log, save, reply)
runs `work`, which reads the message (agent/session/message.py: commands or a pick) and runs its
commands on the `History` (agent/session/edits.py; each edit command is `Editor.run`, agent/editor.py).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from agent.edit_types import Progress
from agent.editor import Editor
from agent.inputs import check_message, check_whole_number, session_image
from agent.parse import EditCommand
from agent.session.edits import apply_control, run_commands
from agent.session.history import History, HistoryState, Pending
from agent.session.message import Answer, PickRequest, pick_region, read_message
from agent.session.reply import Reply, join, say
from agent.session.start import first_version, opening_answer
from agent.session.store import SessionStore, Snapshot, new_session_id, write_export
from agent.session.turn import Said, Turn, log_entry, turn_reply, unsaved_reply
from agent.session.version import LogEntry, Version
from agent.step import refusal
from tools.errors import EditError, StorageError
from tools.images import LoadedImage
from tools.language import detect_language
from tools.regions import RegionPrompt, checked_prompt
from tools.unicode import clean_text

__all__ = ["Session", "Pending"]
logger = logging.getLogger("edit-everything.session")
Point = tuple[float, float]
BoxPrompt = tuple[float, float, float, float]
Work = Callable[[Turn], tuple[str, str]]  # runs a turn's job: (reply kind, answer text)


class Session:
    """One picture's editing history. `image`: a PIL image of any mode (RGBA, P, L...: made RGB, its
    transparency kept as `alpha`, as `load_image` does) or a `LoadedImage`; anything else is a BadInputError.

    editor: the shared Editor (its models and settings); store: where to save after every turn
    (None: not saved); interactive: False takes the best candidate instead of asking (scripts);
    parse: text → [EditCommand] (default `agent.parse_instruction`); language: of the replies until
    the user writes ("zh" or "en"; a restored session keeps its saved one).
    """

    def __init__(self, image: Image.Image | LoadedImage, editor: Editor, *, alpha: Image.Image | None = None,
                 store: SessionStore | None = None, interactive: bool = True,
                 parse: Callable[[str], Sequence[EditCommand]] | None = None, session_id: str | None = None,
                 language: str = "zh", _snapshot: Snapshot | None = None):
        if isinstance(image, LoadedImage):
            image, alpha = image.rgb, image.alpha if alpha is None else alpha
        image, alpha = session_image(image, alpha)  # any PIL mode: RGB plus its transparency as alpha
        self.editor, self.store, self.interactive = editor, store, interactive
        self._parse = parse
        self._lock = threading.RLock()
        snapshot = _snapshot or Snapshot(id=session_id or new_session_id(),
                                         versions=(Version(0, "original", image),), pointer=0, alpha=alpha)
        self.id, self.alpha, self.created = snapshot.id, snapshot.alpha, snapshot.created
        self.language = snapshot.language or language
        self._revision = snapshot.revision
        self.history = History(snapshot.versions, snapshot.pointer)
        self._log: list[LogEntry] = list(snapshot.log)
        self.opening: Reply | None = None  # the reply of the turn that drew version 0 (from_words)

    @classmethod
    def from_words(cls, text: str, editor: Editor, *, store: SessionStore | None = None, interactive: bool = True,
                   language: str | None = None, parse: Callable[[str], Sequence[EditCommand]] | None = None,
                   session_id: str | None = None,
                   on_progress: Callable[[Progress], None] | None = None) -> "Session":
        """A new session whose version 0 is a picture drawn from `text` ("画一张海边日落的图片", "draw a
        lighthouse on a cliff"; with no picture yet, "画一只猫" draws a cat too). The drawing is the
        session's first turn: logged, saved with the session (version 0 keeps the words and the
        generate step), its Reply in `session.opening`; edits after it in the same message run on it.
        Then the session goes on like one over an upload. `language`: of the replies (None: the words').
        Raises EditError, one line in both languages (`error.message_for(detect_language(text))`), when
        `text` asks for no picture or it cannot be drawn: nothing is made or saved then."""
        words = clean_text(check_message(text)).strip()
        if parse is None:
            from agent import parse_instruction as parse_words
        else:
            parse_words = parse
        turn = Turn(language or detect_language(words), on_progress)
        version, rest = first_version(turn, words, editor=editor, parse=parse_words)
        turn.language = language or turn.language
        snapshot = Snapshot(session_id or new_session_id(), (version,), 0, language=turn.language)
        session = cls(version.image, editor, store=store, interactive=interactive, parse=parse, _snapshot=snapshot)
        session.opening = session._open(turn, words, rest)
        return session

    @classmethod
    def restore(cls, store: SessionStore, session_id: str, editor: Editor, **options) -> "Session":
        """The session saved as `session_id` in `store`, with every version, the pointer and its
        language (`language=` is only used for an old session whose language is not known)."""
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
            return self.history.current

    @property
    def versions(self) -> tuple[Version, ...]:
        with self._lock:
            return self.history.versions

    @property
    def pointer(self) -> int:
        return self.history.pointer

    @property
    def log(self) -> tuple[LogEntry, ...]:
        """The conversation, one typed entry per turn."""
        return tuple(self._log)

    @property
    def pending(self) -> Pending | None:
        """The edit waiting for a pick, if any."""
        return self.history.pending

    def region(self, *, point: tuple[float, float] | None = None,
               box: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """SAM's mask (bool HxW) of the current picture under a click or a box, to show before an edit."""
        with self._lock:
            return self.editor.region(self.image, point=point, box=box)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self.id, self.history.versions, self.history.pointer, tuple(self._log), self.alpha,
                            self.created, self._revision, self.language)

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
             on_progress: Callable[[Progress], None] | None = None) -> Reply:
        """Run one message: edits, undo/redo/reset/regenerate, or a pick. `point` (x, y) or `box`
        (x0, y0, x1, y1), in image pixels, stand in for the source of the message's first edit.
        A `text` that is not a str, or a point/box that is no place on the picture, gets a refusal reply;
        bytes that were not valid Unicode (a terminal's) become U+FFFD here, before anything keeps them."""
        def work(turn: Turn) -> tuple[str, str]:
            message = clean_text(check_message(text))
            prompt = checked_prompt(point=point, box=box, size=self.image.size)
            kind = prompt.kind if prompt is not None else None
            plan = read_message(turn, message, point=prompt.value if kind == "point" else None,
                                box=prompt.value if kind == "box" else None, parse=self._parse_text,
                                pending=self.history.pending is not None)
            if isinstance(plan, PickRequest):
                return self._pick(turn, plan)
            if isinstance(plan, Answer):
                return "info", plan.text
            self.history.pending = None
            return run_commands(turn, self.history, plan.commands, message.strip(), editor=self.editor,
                                interactive=self.interactive, prompt=plan.prompt)
        return self._turn(Said("text", clean_text(text) if isinstance(text, str) else ""), on_progress, work)

    def pick(self, number: int | None = None, *, point: Point | None = None, position: str | None = None,
             all: bool = False, on_progress=None) -> Reply:
        """Choose one of the pending candidates by its number, a click, a position, or all of them."""
        said = Said("pick", f"#{number}" if number is not None else f"{point or position or 'all'}",
                    number if isinstance(number, int) and not isinstance(number, bool) else None)

        def work(turn: Turn) -> tuple[str, str]:
            chosen = check_whole_number(number, "number") if number is not None else None
            clicked = checked_prompt(point=point, size=self.image.size) if point is not None else None
            return self._pick(turn, PickRequest(chosen, clicked.value if clicked else None, position, all))
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
        def work(turn: Turn) -> tuple[str, str]:
            version = check_whole_number(number, "version")
            self.history.goto(version)
            return "history", say("goto", turn.language, version=version)
        known = number if isinstance(number, int) and not isinstance(number, bool) else None
        return self._turn(Said("goto", str(number), known), None, work)

    def _control(self, command: EditCommand, on_progress=None) -> Reply:
        kind = "history" if command.action != "regenerate" else "edited"
        return self._turn(Said("button", command.action), on_progress,
                          lambda turn: (kind, apply_control(turn, self.history, command, editor=self.editor)))

    def _pick(self, turn: Turn, request: PickRequest) -> tuple[str, str]:
        """Run the pending edit (and the rest of its message) on the region the user picked."""
        pending = self.history.pending_here()
        if pending is None:
            raise refusal("nothing_to_pick")
        turn.language = pending.command.language
        region = pick_region(request, pending.candidates, editor=self.editor, image=self.image)
        return run_commands(turn, self.history, (pending.command,) + pending.rest, pending.instruction,
                            editor=self.editor, interactive=self.interactive, prompt=RegionPrompt("mask", region))

    def _parse_text(self, text: str) -> Sequence[EditCommand]:
        if self._parse is None:
            from agent import parse_instruction

            self._parse = parse_instruction
        return self._parse(text)

    # -------------------------------------------------------------------------- turn frame
    def _open(self, turn: Turn, words: str, rest: Sequence[EditCommand]) -> Reply:
        """The turn that drew version 0 (from_words): the message's other edits, the log, the save."""
        drawn = self.history.current
        kind, answer = "edited", opening_answer(drawn.steps[0].command, turn.language)
        with self._lock, self._writer_lock():
            if rest:
                before = self.history.snapshot()
                try:
                    kind, more = run_commands(turn, self.history, rest, words, editor=self.editor,
                                              interactive=self.interactive)
                except EditError as failure:  # the picture stays; the edit after it is said to have failed
                    self.history.restore(before)
                    kind, more = "partial", failure.message_for(turn.language)
                except Exception:  # a bug or a model failure: the log gets the traceback, the user a sentence
                    logger.exception("the edits after a drawing failed: %r", words)
                    self.history.restore(before)
                    kind, more = "partial", say("internal", turn.language)
                answer = join(turn.language, answer, more)
            text = turn.text(answer, failed=False)
            self._log.append(LogEntry("text", words, text, self.history.pointer, shows=self.history.current.uid,
                                      made=True))
            saved = None
            if self.store is not None:
                turn.notify("save")
                saved, text = self._save_turn(turn, text)
            reply = turn_reply(turn, kind=kind, text=text, before=drawn.image, history=self.history, error=None,
                               saved=saved)
        whole = np.ones((drawn.image.height, drawn.image.width), dtype=bool)  # no picture before this turn
        return dataclasses.replace(reply, changed=whole)

    def _turn(self, said: Said, on_progress, work: Work) -> Reply:
        """Every turn: this object's lock, then the saved session's writer lock; catch up with a
        newer saved state; run `work`; on a failure put the history back; log; save; reply."""
        with self._lock:
            turn = Turn(self.language, on_progress)
            try:
                with self._writer_lock():
                    self._catch_up(turn)
                    return self._run(said, turn, work)
            except StorageError as failure:  # the lock not had in time, or the saved state unreadable
                return unsaved_reply(turn, text=failure.message_for(turn.language), error=failure.kind,
                                     history=self.history)

    def _run(self, said: Said, turn: Turn, work: Work) -> Reply:
        before = self.history.snapshot()
        (kind, answer), error = self._attempt(said, turn, work, before)
        text = turn.text(answer, failed=error is not None)
        self.language = turn.language
        self._log.append(log_entry(said, text, before=before, history=self.history))
        saved = None
        if self.store is not None:
            turn.notify("save")
            saved, text = self._save_turn(turn, text)
        return turn_reply(turn, kind=kind, text=text, before=before.versions[before.pointer].image,
                          history=self.history, error=error, saved=saved)

    def _attempt(self, said: Said, turn: Turn, work: Work, before: HistoryState):
        """((kind, answer), error kind or None): `work`'s outcome, or the history put back as it
        was `before` and the failure said in the turn's language."""
        try:
            return work(turn), None
        except EditError as failure:
            self.history.restore(before)
            return ("error", failure.message_for(turn.language)), failure.kind
        except Exception:  # a bug or a model failure: the log gets the traceback, the user a sentence
            logger.exception("turn failed: %r", said.words)
            self.history.restore(before)
            return ("error", say("internal", turn.language)), "internal"

    def _writer_lock(self):
        """The saved session's lock; none without a store or for an id that is not ours (nothing
        can be saved under it; the save says so)."""
        try:
            return self.store.lock(self.id) if self.store is not None else contextlib.nullcontext()
        except StorageError:
            return contextlib.nullcontext()

    def _catch_up(self, turn: Turn) -> None:
        """When another writer saved this session since we loaded or saved it (another tab or
        program), continue from its latest saved state, so that no turn is lost."""
        if self.store is None:
            return
        try:
            saved = self.store.revision(self.id)
        except StorageError:  # an id that is not ours: never saved
            return
        if saved is None or saved == self._revision:
            return
        snapshot = self.store.load(self.id)
        self.history.restore(HistoryState(snapshot.versions, snapshot.pointer))
        self._log, self.alpha, self._revision = list(snapshot.log), snapshot.alpha, snapshot.revision
        turn.preface.append(("caught_up", {"version": snapshot.pointer}))

    def _save_turn(self, turn: Turn, text: str) -> tuple[bool, str]:
        """Save the session (the caller holds the store's lock): (saved?, the reply's text)."""
        snapshot = self.snapshot()
        try:
            self.store.save(snapshot)
        except StorageError as failure:
            return False, join(turn.language, text, say("save_failed", turn.language,
                                                        reason=failure.message_for(turn.language)))
        self._revision = snapshot.revision + 1
        return True, text
