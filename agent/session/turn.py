"""How a session runs a turn: the frame every turn shares, messages, picks and history moves.

`TurnRunner` is the part of `Session` that changes the history; `Session` (agent/session/session.py) holds
the public API and the state. Every turn goes through `_turn`:

    self._turn(said, on_progress, work)   # lock (this object, then the saved session's writer lock);
                                          # catch up with a newer saved state; run work(turn); on an
                                          # EditError or a bug put the history back; log; save; Reply

`work` returns (reply kind, text). Edits in one message make one new version (`_run`, `_commit`);
each edit command is `agent.step.run_step`.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from agent.editor import Editor, Progress
from agent.parse import EditCommand
from agent.session.reply import Reply, TurnProgress, candidate_views, describe, join, overview, say
from agent.select import by_position, united
from agent.step import ASK_MESSAGES, Ask, refusal, run_step, step_source
from agent.session.store import SessionStore, Snapshot
from agent.session.version import LogEntry, Step, Version
from tools.errors import BadInputError, EditError, StorageError
from tools.language import detect_language
from tools.rank import Candidate

logger = logging.getLogger("edit-everything.session")


@dataclass(frozen=True, eq=False)
class Pending:
    """An edit waiting for the user to pick: `candidates` (masks at image size) are numbered 1..N;
    `rest` are the commands of the same message still to run after it."""

    command: EditCommand
    rest: tuple[EditCommand, ...]
    instruction: str
    candidates: tuple[Candidate, ...]
    reason: str
    version: int


class Turn:
    """Progress and language of the turn being run."""

    def __init__(self, language: str, on_progress: Callable[[TurnProgress], None] | None):
        self.language, self.on_progress, self.events = language, on_progress, []
        self.step, self.steps = 1, 1
        self.preface: list[tuple[str, dict]] = []  # (message key, fields): said before the reply
        self.notes: list[tuple[str, dict]] = []    # said after it, unless the turn fails

    def notify(self, event: Progress | str) -> None:
        event = Progress(event) if isinstance(event, str) else event
        progress = TurnProgress(event.stage, event.done, event.total, self.step, self.steps)
        self.events.append(progress)
        if self.on_progress is not None:
            self.on_progress(progress)


class TurnRunner:
    """The history-changing half of `Session`; see the module docstring."""

    editor: Editor
    store: SessionStore | None
    interactive: bool
    language: str
    _parse: Callable[[str], Sequence[EditCommand]] | None
    _lock: threading.RLock
    _pending: Pending | None
    _versions: list[Version]
    _pointer: int
    _log: list[LogEntry]
    _revision: int
    id: str
    alpha: Image.Image | None

    current: Version  # properties of Session
    image: Image.Image
    snapshot: Callable[[], Snapshot]

    # -------------------------------------------------------------------------- turn frame
    def _turn(self, said: str, on_progress, work: Callable[[Turn], tuple[str, str]]) -> Reply:
        with self._lock:  # one turn at a time in this object; the store's lock: in this session id
            turn = Turn(self.language, on_progress)
            try:
                with self._writer_lock():
                    self._catch_up(turn)
                    return self._locked_turn(said, turn, work)
            except StorageError as failure:  # the lock not had in time, or the saved state unreadable
                return Reply(kind="error", text=failure.message_for(turn.language), language=turn.language,
                             image=self.current.image, version=self._pointer, versions=len(self._versions),
                             error=failure.kind, saved=False)

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
        self._versions, self._pointer, self._log = list(snapshot.versions), snapshot.pointer, list(snapshot.log)
        self.alpha, self._revision, self._pending = snapshot.alpha, snapshot.revision, None
        turn.preface.append(("caught_up", {"version": self._pointer}))

    def _locked_turn(self, said: str, turn: Turn, work: Callable[[Turn], tuple[str, str]]) -> Reply:
        before, state = self.current.image, (list(self._versions), self._pointer, self._pending)
        error = None
        try:
            outcome = work(turn)
        except EditError as failure:
            self._versions, self._pointer, self._pending = state
            outcome, error = ("error", failure.message_for(turn.language)), failure.kind
        except Exception:  # a bug or a model failure: the log gets the traceback, the user a sentence
            logger.exception("turn failed: %r", said)
            self._versions, self._pointer, self._pending = state
            outcome, error = ("error", say("internal", turn.language)), "internal"
        kind, language = outcome[0], turn.language
        text = join(language, *(say(key, language, **fields) for key, fields in turn.preface), outcome[1],
                    *(say(key, language, **fields) for key, fields in (turn.notes if error is None else ())))
        self.language = language
        after = self.current.image
        changed = None if after is before else (np.asarray(after) != np.asarray(before)).any(axis=2)
        views = ()
        if self._pending is not None and error is None and kind in ("asked", "not_found"):
            views = candidate_views(after, self._pending.candidates)
        if said.strip():
            self._log.append(LogEntry("user", said.strip(), state[1]))
        self._log.append(LogEntry("assistant", text, self._pointer))
        saved = None
        if self.store is not None:
            turn.notify("save")
            saved, text = self._save_turn(turn, text)
        return Reply(kind=kind, text=text, language=language, image=after, changed=changed,
                     candidates=views, overview=overview(after, views) if views else None,
                     progress=tuple(turn.events), version=self._pointer, versions=len(self._versions),
                     error=error if error else ("not_found" if kind == "not_found" else None), saved=saved)

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

    # ---------------------------------------------------------------------------- messages
    def _message(self, turn: Turn, text: str, point, box):
        text = text.strip()
        if point is not None and box is not None:
            raise BadInputError("Give a point or a box, not both.", zh="请只给一个点或一个框，不要同时给。")
        if not text:
            if point is not None and self._pending is not None:
                return self._pick(turn, None, point, None, False)
            raise refusal("needs_target" if point is not None or box is not None else "empty")
        turn.notify("parse")
        turn.language = detect_language(text)  # a refusal of the text itself answers in its language
        commands = list(self._parse_text(text))
        turn.language = commands[0].language if commands else detect_language(text)
        if commands and commands[0].action == "pick":
            first = commands[0]
            return self._pick(turn, first.index, None, first.position, first.all)
        if (not commands or all(c.action == "none" for c in commands)) and not (
                (point is not None or box is not None) and is_bare_remove(text)):
            raise refusal("needs_target" if point is not None or box is not None else "not_understood",
                          text=text[:40])
        if (point is not None or box is not None) and not any(c.is_edit for c in commands):
            if not is_bare_remove(text):
                raise refusal("needs_target")
            commands = [EditCommand(action="remove", language=turn.language)]
        self._pending = None
        return self._run(turn, commands, text, prompt=("point", point) if point is not None else
                         ("box", box) if box is not None else None)

    def _parse_text(self, text: str) -> Sequence[EditCommand]:
        if self._parse is None:
            from agent import parse_instruction

            self._parse = parse_instruction
        return self._parse(text)

    def _run(self, turn: Turn, commands: Sequence[EditCommand], instruction: str, *, prompt=None):
        """Run `commands` in order on the current version; edits in a row make one new version.
        `prompt`: ("point", xy) / ("box", box) / ("pick", mask) for the first edit's region."""
        texts: list[str] = []
        done: list[tuple[Step, Image.Image]] = []
        edits = [c for c in commands if c.is_edit]
        turn.steps, acted, kind, turn.step = max(1, len(edits)), False, "history", 0
        for position, command in enumerate(commands):
            try:
                if not command.is_edit:
                    self._commit(turn, done, instruction)
                    done = []
                    texts.append(self._apply_control(turn, command, instruction))
                    acted = True
                    if command.action == "regenerate":
                        kind = "edited"
                    continue
                turn.step += 1
                image = done[-1][1] if done else self.current.image
                outcome = run_step(self.editor, image, command, prompt, notify=turn.notify,
                                   interactive=self.interactive)
                prompt = None
            except EditError as failure:
                if not (acted or done):
                    raise
                self._commit(turn, done, instruction)
                what = describe(command.action, command.source or "", command.target, turn.language)
                texts += [say("step_failed", turn.language, step=position + 1, steps=len(commands), what=what,
                              reason=failure.message_for(turn.language)), say("steps_kept", turn.language)]
                return "partial", join(turn.language, *texts)
            if isinstance(outcome, Ask):
                self._commit(turn, done, instruction)
                self._pending = Pending(command, tuple(commands[position + 1:]), instruction,
                                        outcome.candidates, outcome.reason, self._pointer)
                texts.append(say(ASK_MESSAGES[outcome.reason] if outcome.candidates else "not_found_bare",
                                 turn.language, **outcome.fields))
                return ("not_found" if outcome.reason == "not_found" else "asked"), join(turn.language, *texts)
            step, image, note = outcome
            done.append((step, image))
            texts.append(join(turn.language, note, say("edited", turn.language, what=describe(
                command.action, step_source(step, turn.language), command.target, turn.language))))
            kind = "edited"
        self._commit(turn, done, instruction)
        return kind, join(turn.language, *texts)

    def _commit(self, turn: Turn, done: list[tuple[Step, Image.Image]], instruction: str) -> None:
        if done:
            self._append(turn, Version(self._pointer + 1, "edit", done[-1][1], instruction,
                                       tuple(step for step, _ in done)))

    def _append(self, turn: Turn, version: Version) -> None:
        """Make `version` (numbered pointer + 1) the current one; the versions after the pointer
        (left by an undo or goto) are dropped, and the reply says which."""
        number = self._pointer + 1
        last = len(self._versions) - 1
        if last >= number:
            turn.notes.append(("discarded", {"first": number, "last": last}) if last > number
                              else ("discarded_one", {"first": number}))
        self._versions = self._versions[:number] + [version]
        self._pointer, self._pending = number, None

    def _pick(self, turn: Turn, number, point, position, all_of_them):
        pending = self._pending
        if pending is None or pending.version != self._pointer:
            raise refusal("nothing_to_pick")
        turn.language = pending.command.language
        candidates = pending.candidates
        if number is not None:
            if not 1 <= number <= len(candidates):
                raise refusal("pick_out_of_range", count=len(candidates))
            region = candidates[number - 1].mask
        elif point is not None:
            x, y = int(point[0]), int(point[1])
            inside = [c for c in candidates if 0 <= y < c.mask.shape[0] and 0 <= x < c.mask.shape[1] and c.mask[y, x]]
            region = (min(inside, key=lambda c: c.segment.area).mask if inside
                      else self.editor.region(self.image, point=point))
        elif all_of_them and candidates:
            region = united(list(candidates)).mask
        elif position is not None and candidates:
            region = by_position(candidates, position).mask
        else:
            raise refusal("pick_out_of_range", count=len(candidates))
        return self._run(turn, (pending.command,) + pending.rest, pending.instruction, prompt=("pick", region))

    # ----------------------------------------------------------------------------- history
    def _apply_control(self, turn: Turn, command: EditCommand, instruction: str = "") -> str:
        action, language = command.action, turn.language
        if action == "undo":
            if self._pointer == 0:
                raise refusal("nothing_to_undo")
            self._pending, self._pointer = None, self._pointer - 1
            return say("undo", language, version=self._pointer)
        if action == "redo":
            if self._pointer >= len(self._versions) - 1:
                raise refusal("nothing_to_redo")
            self._pending, self._pointer = None, self._pointer + 1
            return say("redo", language, version=self._pointer)
        if action == "reset":
            if self.current.kind in ("original", "reset"):
                raise refusal("already_original")
            self._append(turn, Version(self._pointer + 1, "reset", self._versions[0].image, instruction or "reset"))
            return say("reset", language)
        if action == "regenerate":
            return self._regenerate(turn)
        if action == "pick":
            raise refusal("nothing_to_pick")
        raise refusal("not_understood", text=action)

    def _regenerate(self, turn: Turn) -> str:
        """The current edit again, from the version it was made from, with seed + 1: a new version
        after the current one (undo brings the previous try back)."""
        version = self.current
        if not version.is_edit:
            raise refusal("nothing_to_regenerate")
        seed = (version.seed or 0) + 1
        settings = replace(self.editor.settings, seed=seed)
        base = version.base
        image, steps = self._versions[base].image, []
        turn.steps = len(version.steps)
        for turn.step, step in enumerate(version.steps, start=1):
            timings: dict[str, float] = {}
            result = self.editor.apply(image, step.region, action=step.command.action,
                                       source=step.command.source or say("point_region", step.command.language),
                                       target=step.command.target, language=step.command.language,
                                       settings=settings, on_progress=turn.notify, timings=timings)
            steps.append(replace(step, changed=result.mask, seed=seed, model_ids=result.model_ids, timings=timings))
            image = result.image
        self._append(turn, Version(self._pointer + 1, "regenerate", image, version.instruction, tuple(steps),
                                   parent=base))
        what = ("；" if turn.language == "zh" else "; ").join(
            describe(s.command.action, step_source(s, turn.language), s.command.target, turn.language)
            for s in steps)
        return say("regenerated", turn.language, seed=seed, what=what)


REMOVE_WORDS = {"去掉", "删除", "删掉", "移除", "擦掉", "抹掉", "去除", "remove", "delete", "erase"}
FILLERS = ("它", "这个", "那个", "吧", "掉", "it", "this", "that", "please")


def is_bare_remove(text: str) -> bool:
    """"去掉" / "删除这个" / "remove it": a removal that names nothing (the region is clicked)."""
    words = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").strip()
    for filler in FILLERS:
        if words.endswith(filler) and words[:-len(filler)].strip() in REMOVE_WORDS:
            return True
    return words in REMOVE_WORDS
