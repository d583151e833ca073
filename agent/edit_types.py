"""The editor's typed inputs and outputs: how to generate, what one edit gives back, progress.

    settings = EditSettings(steps=20, seed=3)             # checked when made
    result = editor.edit(image, source="猫", target="狗")  # EditResult: image, mask, chosen, timings ...
    editor.edit(..., on_progress=lambda p: print(p.stage, p.done, p.total))   # Progress events

Progress is one type, `Progress`, filled in by layers, each adding what only it knows:
- tools (tools/inpaint.py) call `on_step(done, total)`: a count of diffusion steps, nothing else;
- the editor turns that into `Progress("inpaint", done, total)` and adds its own stages
  ("segment", "rank", "select", "done"): one edit command;
- a session turn sets `command`/`commands` (which edit of the message is running) and adds the
  stages "parse" and "save": what a front end receives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
from PIL import Image

from tools.errors import BadInputError
from tools.rank import Candidate

RemoveMethod = Literal["sd", "opencv"]


@dataclass(frozen=True)
class Progress:
    """A progress event: `stage` is "parse", "segment", "rank", "select", "inpaint", "done" or "save";
    `done`/`total` count diffusion steps during "inpaint" (0 otherwise); `command` of `commands` is
    which edit command of the message is running (1-based: "把猫换成狗，再把背景变蓝" has 2)."""

    stage: str
    done: int = 0
    total: int = 0
    command: int = 1
    commands: int = 1


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class EditSettings:
    """How to generate. `steps=None` takes the preset's default (30, or 2 for the tiny preset)."""

    steps: int | None = None
    guidance: float = 7.5
    seed: int = 0
    scheduler: str = "default"
    remove_method: RemoveMethod = "sd"
    points_per_side: int | None = None
    dilate_px: int | None = None

    def __post_init__(self) -> None:
        if self.remove_method not in ("sd", "opencv"):
            raise BadInputError(f"Setting remove_method={self.remove_method!r} is not valid: "
                                "use 'sd' or 'opencv'.",
                                zh=f"设置 remove_method={self.remove_method!r} 无效：只能是 'sd' 或 'opencv'。")


@dataclass(frozen=True, eq=False)
class EditResult:
    """The outcome of one edit. `image`: PIL RGB, input size; `mask`: bool HxW, the pixels that were
    allowed to change (every other pixel is byte-identical to the input)."""

    image: Image.Image
    mask: np.ndarray
    action: str
    source: str
    target: str | None
    language: str
    chosen: Candidate | None
    candidates: list[Candidate]
    seed: int
    model_ids: dict[str, str]
    timings: dict[str, float]
    window: tuple[int, int, int, int] = (0, 0, 0, 0)

    def summary(self, candidate_limit: int = 10) -> dict:
        """A JSON-ready dict: chosen box and score, candidates, timings, seed, model ids. Every box is
        (x0, y0, x1, y1) in the picture's own pixels (x1, y1 exclusive), also for a photo that was
        segmented on a smaller working copy."""
        def describe(c: Candidate) -> dict:
            return {"rank": c.rank, "box": box_at_size(c, self.mask.shape), "score": round(c.score, 4),
                    "similarity": round(c.similarity, 4), "area": c.segment.area}
        return {
            "action": self.action, "source": self.source, "target": self.target, "language": self.language,
            "chosen": describe(self.chosen) if self.chosen else None,
            "candidates": [describe(c) for c in self.candidates[:candidate_limit]],
            "changed_box": list(self.window), "changed_pixels": int(self.mask.sum()),
            "seed": self.seed, "model_ids": self.model_ids,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def box_at_size(candidate: Candidate, shape: tuple[int, int]) -> list[int]:
    """`candidate`'s box (found on a working copy) in the frame of a picture of `shape` (H, W)."""
    height, width = shape
    scale_y, scale_x = height / candidate.mask.shape[0], width / candidate.mask.shape[1]
    x0, y0, x1, y1 = candidate.box
    return [int(math.floor(x0 * scale_x)), int(math.floor(y0 * scale_y)),
            min(width, int(math.ceil(x1 * scale_x))), min(height, int(math.ceil(y1 * scale_y)))]
