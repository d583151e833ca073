"""One edit command of a turn: find its region (ranked text, or the click/box/pick the user gave),
then repaint, remove or add there.

    outcome = run_step(editor, image, command, prompt, notify=turn.notify, interactive=True)
    if isinstance(outcome, Ask): ...                 # weak, close, out of range or not found: ask to pick
    step, new_image, note = outcome                  # the Step for the history, PIL RGB, a note or ""

`prompt` is None (find `command.source` by its words), ("point", (x, y)), ("box", (x0, y0, x1, y1))
or ("pick", mask bool HxW). Nothing here touches a session's history: the caller commits.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from PIL import Image

from agent.editor import Editor, Progress, not_found
from agent.parse import EditCommand
from agent.session.reply import say
from agent.select import choose, distinct, reading_order, without
from agent.session.version import Step
from tools.errors import BadInputError, NothingToDoError
from tools.masks import resize_mask
from tools.rank import Candidate
from tools.segment import Segment

CANDIDATES_KEPT = 10  # candidate summaries kept per step in the history
NO_OPS = frozenset({"nothing_to_undo", "nothing_to_redo", "already_original", "nothing_to_pick",
                    "nothing_to_regenerate"})  # refusals that leave nothing undone: a script may go on
ASK_MESSAGES = {"close": "ask_close", "weak": "ask_weak", "out_of_range": "out_of_range", "not_found": "not_found"}


def refusal(key: str, **fields) -> BadInputError:
    """A BadInputError with the reply text `key` in both languages (a NothingToDoError for NO_OPS)."""
    kind = NothingToDoError if key in NO_OPS else BadInputError
    return kind(say(key, "en", **fields), zh=say(key, "zh", **fields))


@dataclass(frozen=True, eq=False)
class Ask:
    """A step that needs the user to pick: `reason` is "close", "weak", "out_of_range" or "not_found";
    `candidates` (masks at image size) are what to offer; `fields` fill the reply text."""

    reason: str
    candidates: tuple[Candidate, ...]
    fields: dict


def run_step(editor: Editor, image: Image.Image, command: EditCommand, prompt, *,
             notify: Callable[[Progress | str], None], interactive: bool):
    """One edit command on `image` (PIL RGB): a (Step, new image, note) or an `Ask`."""
    language, timings, note = command.language, {}, ""
    if command.action in ("replace", "add") and not (command.target or "").strip():
        raise refusal("needs_target")
    chosen, candidates, how = None, (), "text"
    if prompt is not None:
        how, value = prompt
        region = (value if how == "pick" else editor.region(image, point=value) if how == "point"
                  else editor.region(image, box=value))
    else:
        if not (command.source or "").strip():
            raise refusal("needs_source")
        found = find_region(editor, image, command, timings, notify=notify)
        if isinstance(found, Ask):
            if interactive:
                return found
            if found.reason == "not_found":
                raise not_found(command.source, language)
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
    result = editor.apply(image, region, action=command.action,
                          source=command.source or say("point_region", language),
                          target=command.target, language=language, settings=editor.settings,
                          on_progress=notify, timings=timings)
    step = Step(command, region, result.mask, how, chosen, candidates, result.seed, result.model_ids, timings)
    return step, result.image, note


def find_region(editor: Editor, image: Image.Image, command: EditCommand, timings: dict, *,
                notify: Callable[[Progress | str], None]):
    """(best candidate at image size, candidate summaries) or an `Ask`."""
    language = command.language
    ranking, _ = editor.find(image, command.source, language=language, timings=timings, on_progress=notify)
    notify("select")
    start = time.perf_counter()
    sized = [at_size(c, image.size) for c in ranking.candidates]
    ranked = tuple(summary(c) for c in sized[:CANDIDATES_KEPT])
    instances = distinct(sized, threshold=ranking.threshold)
    if command.exclude:
        excluded, _ = editor.find(image, command.exclude, language=language)
        if excluded.found and excluded.best is not None:
            instances = without(instances, at_size(excluded.best, image.size).mask)
    fields = {"source": command.source, "ranked": ranked}
    if not instances:
        closest = distinct(sized)[:3]
        return Ask("not_found", tuple(reading_order(closest)), fields)
    unsure = not editor.models.preset.tiny
    choice = choose(instances, position=command.position, index=command.index, all=command.all,
                    threshold=ranking.threshold, ask_when_unsure=unsure)
    timings["select"] = time.perf_counter() - start
    if choice.candidate is None:
        if choice.reason == "out_of_range":
            fields.update(count=len(instances), index=command.index)
            if not unsure:
                raise refusal("out_of_range", **fields)
        return Ask(choice.reason, choice.ask, fields)
    return choice.candidate, ranked


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
