"""The benchmark's session: a real photo and three turns, each on a different object.

Random-weight CLIP ranks segments at random, so each turn carries an anchor point: both modes edit
the smallest candidate segment under it (the same region of the photo), after running the full
CLIP ranking. The anchors lie far apart, so a later turn's object is outside earlier edits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Turn:
    """One chat turn. `anchor`: (x, y) as fractions of the image's width and height."""

    action: str  # "replace", "recolour" (a replace with a colour target) or "remove"
    source: str
    target: str | None
    anchor: tuple[float, float]

    @property
    def remove(self) -> bool:
        return self.action == "remove"

    def point(self, width: int, height: int) -> tuple[int, int]:
        return int(self.anchor[0] * width), int(self.anchor[1] * height)


TURNS = (
    Turn("replace", "coffee", "green tea", (0.48, 0.36)),
    Turn("recolour", "spoon", "a golden spoon", (0.625, 0.71)),
    Turn("remove", "scratch on the table", None, (0.88, 0.80)),
)


def session(turns: int = 3) -> list[Turn]:
    """The first `turns` turns, cycling through the three actions."""
    return [TURNS[i % len(TURNS)] for i in range(turns)]


def photo(width: int = 1024, height: int = 768) -> Image.Image:
    """scikit-image's `coffee` (600×400): centre-cropped to 4:3 and resized to width×height."""
    import skimage.data

    array = skimage.data.coffee()
    h, w = array.shape[:2]
    crop_w = min(w, round(h * width / height))
    x0 = (w - crop_w) // 2
    return Image.fromarray(array[:, x0:x0 + crop_w]).resize((width, height), Image.LANCZOS)


def pick(masks: Sequence[np.ndarray], point: tuple[int, int]) -> int | None:
    """Index of the smallest mask holding `point` (x, y in the masks' frame), or None."""
    x, y = point
    best, best_area = None, None
    for i, mask in enumerate(masks):
        if 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1] and mask[y, x]:
            area = int(mask.sum())
            if best_area is None or area < best_area:
                best, best_area = i, area
    return best
