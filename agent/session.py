"""A multi-turn editing session: a history of versions, a pointer, and turns that move them.

    editor = Editor(load_models("tiny"))                   # models are shared, never copied
    session = Session(load_image("photo.jpg"), editor, store=SessionStore("sessions"))
    reply = session.send("把猫换成狗")                       # Reply: text, image, candidates, progress
    reply = session.send("选第二个")                          # when the reply asked to pick
    session.undo(); session.redo(); session.reset(); session.regenerate(); session.goto(1)
    session.send("换成狗", point=(120, 80))                  # a click instead of a word

Every turn takes the session's lock, so one session can be used from several threads; a turn that
fails leaves the session as it was and returns a short reply in the user's language.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from agent.commands import EditCommand
from agent.editor import Editor, Progress
from agent.reply import Reply, TurnProgress, candidate_views, describe, join, overview, say
from agent.select import by_position, choose, distinct, offered, united, without
from agent.store import SessionStore, Snapshot, new_session_id, write_export
from agent.version import LogEntry, Step, Version
from tools.errors import BadInputError, EditError, StorageError
from tools.images import LoadedImage
from tools.language import detect_language
from tools.masks import resize_mask
from tools.rank import Candidate
from tools.segment import Segment

logger = logging.getLogger("edit-everything.session")
Point = tuple[float, float]
BoxPrompt = tuple[float, float, float, float]
CANDIDATES_KEPT = 10  # candidate summaries kept per step in the history
ASK_MESSAGES = {"close": "ask_close", "weak": "ask_weak", "out_of_range": "out_of_range", "not_found": "not_found"}


def refusal(key: str, **fields) -> BadInputError:
    """A BadInputError with the reply text `key` in both languages."""
    return BadInputError(say(key, "en", **fields), zh=say(key, "zh", **fields))


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


@dataclass(frozen=True, eq=False)
class _Ask:
    reason: str  # "close", "weak", "out_of_range", "not_found"
    candidates: tuple[Candidate, ...]
    fields: dict


class _Turn:
    """Progress and language of the turn being run."""

    def __init__(self, language: str, on_progress: Callable[[TurnProgress], None] | None):
        self.language, self.on_progress, self.events = language, on_progress, []
        self.step, self.steps = 1, 1

    def notify(self, event: Progress | str) -> None:
        event = Progress(event) if isinstance(event, str) else event
        progress = TurnProgress(event.stage, event.done, event.total, self.step, self.steps)
        self.events.append(progress)
        if self.on_progress is not None:
            self.on_progress(progress)


class Session:
    """One picture's editing history. `image`: PIL RGB or a `LoadedImage` (its alpha is kept).

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
        if not isinstance(image, Image.Image) or image.mode != "RGB":
            raise ValueError(f"image must be a PIL RGB image or a LoadedImage, got {image!r}")
        if alpha is not None and (alpha.mode != "L" or alpha.size != image.size):
            raise ValueError(f"alpha must be a mode 'L' image of size {image.size}, got {alpha!r}")
        self.editor, self.store, self.interactive, self.language = editor, store, interactive, language
        self._parse = parse
        self._lock = threading.RLock()
        self._pending: Pending | None = None
        snapshot = _snapshot or Snapshot(id=session_id or new_session_id(),
                                         versions=(Version(0, "original", image),), pointer=0, alpha=alpha)
        self.id, self.alpha, self.created = snapshot.id, snapshot.alpha, snapshot.created
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

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self.id, tuple(self._versions), self._pointer, tuple(self._log), self.alpha, self.created)

    def export(self, path: str | Path) -> Path:
        """A zip with every version, the final picture (with the original's alpha) and the conversation."""
        return write_export(self.snapshot(), path)

    # ------------------------------------------------------------------------------- turns
    def send(self, text: str, *, point: Point | None = None, box: BoxPrompt | None = None,
             on_progress: Callable[[TurnProgress], None] | None = None) -> Reply:
        """Run one message: edits, undo/redo/reset/regenerate, or a pick. `point` (x, y) or `box`
        (x0, y0, x1, y1), in image pixels, stand in for the source of the message's first edit."""
        return self._turn(text or "", on_progress, lambda turn: self._message(turn, text or "", point, box))

    def pick(self, number: int | None = None, *, point: Point | None = None, position: str | None = None,
             all: bool = False, on_progress=None) -> Reply:
        """Choose one of the pending candidates by its number, a click, a position, or all of them."""
        said = f"#{number}" if number is not None else f"{point or position or 'all'}"
        return self._turn(said, on_progress, lambda turn: self._pick(turn, number, point, position, all))

    def undo(self) -> Reply:
        return self._control(EditCommand(action="undo", language=self.language))

    def redo(self) -> Reply:
        return self._control(EditCommand(action="redo", language=self.language))

    def reset(self) -> Reply:
        return self._control(EditCommand(action="reset", language=self.language))

    def regenerate(self, on_progress=None) -> Reply:
        return self._control(EditCommand(action="regenerate", language=self.language), on_progress)

    def goto(self, number: int) -> Reply:
        """Make version `number` the current one (a new edit then drops the versions after it)."""
        def work(turn):
            if not isinstance(number, int) or not 0 <= number < len(self._versions):
                raise refusal("no_such_version", version=number, last=len(self._versions) - 1)
            self._pending, self._pointer = None, number
            return "history", say("goto", turn.language, version=number)
        return self._turn(f"goto {number}", None, work)

    def _control(self, command: EditCommand, on_progress=None) -> Reply:
        return self._turn(command.action, on_progress,
                          lambda turn: ("history" if command.action != "regenerate" else "edited",
                                        self._apply_control(turn, command)))

    # -------------------------------------------------------------------------- turn frame
    def _turn(self, said: str, on_progress, work) -> Reply:
        with self._lock:
            turn = _Turn(self.language, on_progress)
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
            kind, text = outcome[0], outcome[1]
            self.language = turn.language
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
                try:
                    self.store.save(self.snapshot())
                    saved = True
                except StorageError as failure:
                    saved, text = False, join(turn.language, text, say("save_failed", turn.language,
                                                                       reason=failure.message_for(turn.language)))
            return Reply(kind=kind, text=text, language=turn.language, image=after, changed=changed,
                         candidates=views, overview=overview(after, views) if views else None,
                         progress=tuple(turn.events), version=self._pointer, versions=len(self._versions),
                         error=error if error else ("not_found" if kind == "not_found" else None), saved=saved)

    # ---------------------------------------------------------------------------- messages
    def _message(self, turn: _Turn, text: str, point, box):
        text = text.strip()
        if point is not None and box is not None:
            raise BadInputError("Give a point or a box, not both.", zh="请只给一个点或一个框，不要同时给。")
        if not text:
            if point is not None and self._pending is not None:
                return self._pick(turn, None, point, None, False)
            raise refusal("needs_target" if point is not None or box is not None else "empty")
        turn.notify("parse")
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

    def _run(self, turn: _Turn, commands: Sequence[EditCommand], instruction: str, *, prompt=None):
        """Run `commands` in order on the current version; edits in a row make one new version.
        `prompt`: ("point", xy) / ("box", box) / ("pick", mask) for the first edit's region."""
        texts: list[str] = []
        done: list[tuple[Step, Image.Image]] = []
        edits = [c for c in commands if c.is_edit]
        turn.steps, acted, kind, turn.step = max(1, len(edits)), False, "history", 0
        for position, command in enumerate(commands):
            try:
                if not command.is_edit:
                    self._commit(done, instruction)
                    done = []
                    texts.append(self._apply_control(turn, command, instruction))
                    acted = True
                    if command.action == "regenerate":
                        kind = "edited"
                    continue
                turn.step += 1
                image = done[-1][1] if done else self.current.image
                outcome = self._edit(turn, image, command, prompt)
                prompt = None
            except EditError as failure:
                if not (acted or done):
                    raise
                self._commit(done, instruction)
                what = describe(command.action, command.source or "", command.target, turn.language)
                texts += [say("step_failed", turn.language, step=position + 1, steps=len(commands), what=what,
                              reason=failure.message_for(turn.language)), say("steps_kept", turn.language)]
                return "partial", join(turn.language, *texts)
            if isinstance(outcome, _Ask):
                self._commit(done, instruction)
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
        self._commit(done, instruction)
        return kind, join(turn.language, *texts)

    def _commit(self, done: list[tuple[Step, Image.Image]], instruction: str, kind: str = "edit") -> None:
        if not done:
            return
        number = self._pointer + 1
        version = Version(number, kind, done[-1][1], instruction, tuple(step for step, _ in done))
        self._versions = self._versions[:number] + [version]
        self._pointer, self._pending = number, None

    # ------------------------------------------------------------------------------ editing
    def _edit(self, turn: _Turn, image: Image.Image, command: EditCommand, prompt):
        """One edit command on `image`: a (Step, new image, note) or an _Ask."""
        language, timings, note = command.language, {}, ""
        if command.action in ("replace", "add") and not (command.target or "").strip():
            raise refusal("needs_target")
        chosen, candidates, how = None, (), "text"
        if prompt is not None:
            how, value = prompt
            segmenter = self.editor.models.segmenter()
            region = (value if how == "pick" else segmenter.segment_point(image, value).mask if how == "point"
                      else segmenter.segment_box(image, value).mask)
        else:
            if not (command.source or "").strip():
                raise refusal("needs_source")
            found = self._find(turn, image, command, timings)
            if isinstance(found, _Ask):
                if self.interactive:
                    return found
                if found.reason == "not_found":
                    raise not_found_error(command.source, language)
                if found.reason == "out_of_range":
                    raise refusal("out_of_range", **found.fields)
                note = say("took_best", language, source=command.source)  # nobody to ask: the best
                found = (max(found.candidates, key=lambda c: c.score), found.fields["ranked"])
            best, candidates = found
            region, chosen = best.mask, summary(best)
        region = np.asarray(region, dtype=bool)
        if region.shape != (image.height, image.width):
            region = resize_mask(region, image.size)
        if not region.any():
            raise refusal("needs_source")
        result = self.editor.apply(image, region, action=command.action,
                                   source=command.source or say("point_region", language),
                                   target=command.target, language=language, settings=self.editor.settings,
                                   on_progress=turn.notify, timings=timings)
        step = Step(command, region, result.mask, how, chosen, candidates, result.seed, result.model_ids, timings)
        return step, result.image, note

    def _find(self, turn: _Turn, image: Image.Image, command: EditCommand, timings: dict):
        """(best candidate at image size, candidate summaries) or an _Ask."""
        language = command.language
        ranking, _ = self.editor.find(image, command.source, language=language, timings=timings,
                                      on_progress=turn.notify)
        turn.notify("select")
        start = time.perf_counter()
        sized = [at_size(c, image.size) for c in ranking.candidates]
        ranked = tuple(summary(c) for c in sized[:CANDIDATES_KEPT])
        instances = distinct(sized, threshold=ranking.threshold)
        if command.exclude:
            excluded, _ = self.editor.find(image, command.exclude, language=language)
            if excluded.found and excluded.best is not None:
                instances = without(instances, at_size(excluded.best, image.size).mask)
        fields = {"source": command.source, "ranked": ranked}
        if not instances:
            closest = distinct(sized)[:3]
            return _Ask("not_found", tuple(reading_sorted(closest)), fields)
        unsure = not self.editor.models.preset.tiny
        choice = choose(instances, position=command.position, index=command.index, all=command.all,
                        threshold=ranking.threshold, ask_when_unsure=unsure)
        timings["select"] = time.perf_counter() - start
        if choice.candidate is None:
            if choice.reason == "out_of_range":
                fields.update(count=len(instances), index=command.index)
                if not unsure:
                    raise refusal("out_of_range", **fields)
            return _Ask(choice.reason, choice.ask, fields)
        return choice.candidate, ranked

    def _pick(self, turn: _Turn, number, point, position, all_of_them):
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
                      else self.editor.models.segmenter().segment_point(self.image, point).mask)
        elif all_of_them and candidates:
            region = united(list(candidates)).mask
        elif position is not None and candidates:
            region = by_position(candidates, position).mask
        else:
            raise refusal("pick_out_of_range", count=len(candidates))
        return self._run(turn, (pending.command,) + pending.rest, pending.instruction, prompt=("pick", region))

    # ----------------------------------------------------------------------------- history
    def _apply_control(self, turn: _Turn, command: EditCommand, instruction: str = "") -> str:
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
            number = self._pointer + 1
            self._versions = self._versions[:number] + [Version(number, "reset", self._versions[0].image,
                                                                instruction or "reset")]
            self._pending, self._pointer = None, number
            return say("reset", language)
        if action == "regenerate":
            return self._regenerate(turn)
        if action == "pick":
            raise refusal("nothing_to_pick")
        raise refusal("not_understood", text=action)

    def _regenerate(self, turn: _Turn) -> str:
        """The current edit again, from its parent, with seed + 1; it replaces the current version."""
        version = self.current
        if not version.is_edit:
            raise refusal("nothing_to_regenerate")
        seed = (version.seed or 0) + 1
        settings = replace(self.editor.settings, seed=seed)
        image, steps = self._versions[self._pointer - 1].image, []
        turn.steps = len(version.steps)
        for turn.step, step in enumerate(version.steps, start=1):
            timings: dict[str, float] = {}
            result = self.editor.apply(image, step.region, action=step.command.action,
                                       source=step.command.source or say("point_region", step.command.language),
                                       target=step.command.target, language=step.command.language,
                                       settings=settings, on_progress=turn.notify, timings=timings)
            steps.append(replace(step, changed=result.mask, seed=seed, model_ids=result.model_ids, timings=timings))
            image = result.image
        number = self._pointer
        self._versions = self._versions[:number] + [Version(number, "regenerate", image, version.instruction,
                                                            tuple(steps))]
        self._pending = None
        what = ("；" if turn.language == "zh" else "; ").join(describe(s.command.action, step_source(s, turn.language), s.command.target, turn.language)
                        for s in steps)
        return say("regenerated", turn.language, seed=seed, what=what)


# -------------------------------------------------------------------------------------- helpers
def at_size(candidate: Candidate, size: tuple[int, int]) -> Candidate:
    """`candidate` with its mask at `size` (width, height)."""
    if candidate.mask.shape == (size[1], size[0]):
        return candidate
    return replace(candidate, segment=Segment.from_mask(resize_mask(candidate.mask, size)))


def summary(candidate: Candidate) -> dict:
    return {"box": [int(v) for v in candidate.box], "score": round(float(candidate.score), 4),
            "area": int(candidate.segment.area)}


def step_source(step: Step, language: str) -> str:
    if step.prompt in ("point", "box") or not step.command.source:
        return say("point_region" if step.prompt != "box" else "box_region", language)
    return step.command.source


REMOVE_WORDS = {"去掉", "删除", "删掉", "移除", "擦掉", "抹掉", "去除", "remove", "delete", "erase"}
FILLERS = ("它", "这个", "那个", "吧", "掉", "it", "this", "that", "please")


def is_bare_remove(text: str) -> bool:
    """"去掉" / "删除这个" / "remove it": a removal that names nothing (the region is clicked)."""
    words = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").strip()
    for filler in FILLERS:
        if words.endswith(filler) and words[:-len(filler)].strip() in REMOVE_WORDS:
            return True
    return words in REMOVE_WORDS


def reading_sorted(candidates: Sequence[Candidate]) -> list[Candidate]:
    from agent.select import reading_order

    return reading_order(candidates)


def not_found_error(source: str, language: str) -> EditError:
    from agent.editor import not_found

    return not_found(source, language)
