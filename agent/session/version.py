"""One entry of a session's history, and the edit steps it is made of.

    version.image        # PIL RGB, the picture at this point
    version.instruction  # what the user said ("" for the original)
    version.commands     # the parsed commands that made it
    version.mask         # bool HxW: the pixels changed from the previous version (None: original)
    version.steps[0].candidates, .seed, .model_ids, .timings
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

from agent.parse import EditCommand

VersionKind = Literal["original", "edit", "regenerate", "reset"]
PromptKind = Literal["text", "point", "box", "pick"]


@dataclass(frozen=True, eq=False)
class Step:
    """One applied edit command.

    region: bool HxW at image size, where the edit was aimed (the chosen candidate, point or box);
        regenerating reuses it. changed: bool HxW, the pixels the edit was allowed to change.
    prompt: how the region was found: "text" (ranked), "point", "box" or "pick" (the user chose).
    chosen / candidates: JSON-ready summaries ({"box": [x0, y0, x1, y1], "score": s}).
    """

    command: EditCommand
    region: np.ndarray
    changed: np.ndarray
    prompt: PromptKind = "text"
    chosen: dict | None = None
    candidates: tuple[dict, ...] = ()
    seed: int = 0
    model_ids: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Version:
    """A picture in the history. `number` is its place (0 = the original upload); `parent` is the
    version its edits were applied to (None: the one before it; a regenerate names the version the
    first try was made from, since the first try stays in the history before it)."""

    number: int
    kind: VersionKind
    image: Image.Image
    instruction: str = ""
    steps: tuple[Step, ...] = ()
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=lambda: secrets.token_hex(6))
    parent: int | None = None

    @property
    def base(self) -> int:
        """The number of the version this one's edits were applied to."""
        return self.number - 1 if self.parent is None else self.parent

    @property
    def commands(self) -> tuple[EditCommand, ...]:
        return tuple(step.command for step in self.steps)

    @property
    def is_edit(self) -> bool:
        """True for versions made by editing (which `regenerate` can redo)."""
        return self.kind in ("edit", "regenerate") and bool(self.steps)

    @property
    def mask(self) -> np.ndarray | None:
        """bool HxW: pixels the edits of this version were allowed to change; None without edits."""
        if not self.steps:
            return None
        return np.logical_or.reduce([step.changed for step in self.steps])

    @property
    def seed(self) -> int | None:
        return self.steps[-1].seed if self.steps else None

    @property
    def model_ids(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        for step in self.steps:
            ids.update(step.model_ids)
        return ids

    @property
    def timings(self) -> dict[str, float]:
        """Seconds per stage, summed over the steps."""
        total: dict[str, float] = {}
        for step in self.steps:
            for stage, seconds in step.timings.items():
                total[stage] = total.get(stage, 0.0) + seconds
        return total

    @property
    def candidates(self) -> tuple[dict, ...]:
        return tuple(c for step in self.steps for c in step.candidates)


LogKind = Literal["text", "button", "pick", "goto"]


@dataclass(frozen=True)
class LogEntry:
    """One turn of the conversation: what the user did, what the assistant answered, and the picture.

    kind: "text" (the user typed `said`), "button" (`said` is "undo", "redo", "reset" or
        "regenerate"), "pick" (`number` is the candidate chosen; without one, `said` is the click
        "(x, y)", the position word or "all"), "goto" (`number` is the version gone to).
    reply: the assistant's answer, in the turn's language.
    version: the current version after the turn.
    shows: the uid of the version whose picture the turn brought, which it made (`made`) or moved to
        (undo, redo, goto); None when the picture did not change (a question, a refusal, a failure).
    """

    kind: LogKind
    said: str
    reply: str
    version: int
    number: int | None = None
    shows: str | None = None
    made: bool = False
    time: float = field(default_factory=time.time)
