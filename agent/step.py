"""What carrying out one edit command gives back, and the pure helpers around it (no models).

`agent.editor.Editor.run` owns the step (find the region, apply the command); it returns a
`StepResult` or, when the user must pick, an `Ask`:

    outcome = editor.run(command, image, region=RegionPrompt("point", (x, y)), interactive=True)
    if isinstance(outcome, Ask): ...            # weak, close, out of range or not found: ask to pick
    outcome.step, outcome.image, outcome.note   # the Step for the history, PIL RGB, a note or ""

Words: a "command" is what the parser returns (`EditCommand`); a "step" is a command applied to a
picture (`agent.session.version.Step`); the tools' diffusion steps are only ever counted (`on_step`).
Nothing here calls the editor or touches a session's history.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
from PIL import Image

from agent.parse import EditCommand
from agent.select import choose, distinct, reading_order, without
from agent.session.reply import say
from agent.session.version import Step
from tools.errors import BadInputError, NothingToDoError
from tools.masks import resize_mask
from tools.rank import Candidate
from tools.segment import Segment

CANDIDATES_KEPT = 10  # candidate summaries kept per step in the history
# refusals that leave nothing undone: a script may go on
NO_OPS = frozenset({"nothing_to_undo", "nothing_to_redo", "already_original", "nothing_to_pick",
                    "nothing_to_regenerate", "adjust_no_seed", "already_there",
                    "no_room_to_resize"})
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


@dataclass(frozen=True, eq=False)
class StepResult:
    """One edit command carried out: `step` for the history, `image` the new picture (PIL RGB, same
    size), `note` a sentence to add to the reply ("" for none; e.g. the best match was taken), `aside`
    words to add right after the description of what was done (a move stopped at the frame's edge)."""

    step: Step
    image: Image.Image
    note: str = ""
    aside: str = ""  # said right after what was done, e.g. " (stopped at the edge of the picture)"


@dataclass(frozen=True, eq=False)
class Found:
    """The region a command acts on: `mask` bool HxW at image size; `how` it was found ("text",
    "point", "box", "pick"); `chosen`/`candidates` summaries for the history; `note` for the reply;
    `timings` the seconds finding it took."""

    mask: np.ndarray
    how: str = "text"
    chosen: dict | None = None
    candidates: tuple[dict, ...] = ()
    note: str = ""
    timings: dict = field(default_factory=dict)  # seconds of finding it ("segment", "rank", "select")

    def step(self, command: EditCommand, changed: np.ndarray, *, seed: int = 0, model_ids: dict | None = None,
             timings: dict | None = None) -> Step:
        """The history's Step of `command` done at this region, having changed `changed` (bool HxW)."""
        return Step(command, self.mask, changed, self.how, self.chosen, self.candidates, seed,
                    dict(model_ids or {}), {**self.timings, **(timings or {})})


def select_region(sized: Sequence[Candidate], *, command: EditCommand, threshold: float,
                  ranked: tuple[dict, ...], excluded: np.ndarray | None = None,
                  ask_when_unsure: bool) -> Candidate | Ask:
    """The candidate `command` means among `sized` (ranked, masks at image size; `threshold` the
    ranking's not-found score), or an `Ask`: none matches, several are close, the best is weak, or
    the index is out of range. `excluded` (bool HxW) drops instances overlapping it. Without
    `ask_when_unsure` (the tiny test models) an out-of-range index is refused at once."""
    instances = distinct(sized, threshold=threshold)
    if excluded is not None:
        instances = without(instances, excluded)
    fields = {"source": command.source, "ranked": ranked}
    if not instances:
        return Ask("not_found", tuple(reading_order(distinct(sized)[:3])), fields)
    choice = choose(instances, position=command.position, index=command.index, all=command.all,
                    threshold=threshold, ask_when_unsure=ask_when_unsure)
    if choice.candidate is not None:
        return choice.candidate
    if choice.reason == "out_of_range":
        fields.update(count=len(instances), index=command.index)
        if not ask_when_unsure:
            raise refusal("out_of_range", **fields)
    return Ask(choice.reason, choice.ask, fields)


def at_size(candidate: Candidate, size: tuple[int, int]) -> Candidate:
    """`candidate` with its mask at `size` (width, height)."""
    if candidate.mask.shape == (size[1], size[0]):
        return candidate
    return replace(candidate, segment=Segment.from_mask(resize_mask(candidate.mask, size)))


def summary(candidate: Candidate) -> dict:
    """A JSON-ready summary of a candidate for the history: box (x0, y0, x1, y1), score, area."""
    return {"box": [int(v) for v in candidate.box], "score": round(float(candidate.score), 4),
            "area": int(candidate.segment.area)}


def step_source(step: Step, language: str) -> str:
    """What the reply calls the thing `step` edited: its source words, "the region you pointed at", or
    "" for the whole picture (restyle, generate, an adjust with no region)."""
    if step.command.action in ("restyle", "generate") or (step.command.action == "adjust"
                                                          and not step.command.source and step.prompt == "text"):
        return ""
    if step.prompt in ("point", "box") or not step.command.source:
        return say("point_region" if step.prompt != "box" else "box_region", language)
    return step.command.source
