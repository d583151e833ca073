"""Models whose scores mean something, for candidate and qualifier tests: the segments are the
coloured blobs of a synthetic picture, the ranker is the colour scorer, the inpainter is the tiny
preset's (so edits really run). Plugged in through `Models`, as any other preset would be."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from PIL import Image

from tools.errors import BadInputError
from tools.models import Models
from tools.segment import Segment

from colour_scorer import ColourScorer

GREY = (128, 128, 128)
RED, BLUE, GREEN = (220, 30, 30), (30, 40, 210), (30, 200, 40)


def picture(*blocks, size=(240, 160)) -> Image.Image:
    """A grey picture with coloured rectangles: blocks are ((x0, y0, x1, y1), colour)."""
    array = np.full((size[1], size[0], 3), GREY, dtype=np.uint8)
    for (x0, y0, x1, y1), colour in blocks:
        array[y0:y1, x0:x1] = colour
    return Image.fromarray(array)


class BlobSegmenter:
    """Segments = connected regions of one colour (the grey background is one of them)."""

    model_id = "blobs"

    def __init__(self):
        self.calls = 0

    def all_segments(self, image, points_per_side=None, *, fresh=False) -> list[Segment]:
        self.calls += 1
        array = np.asarray(image)
        segments = []
        for colour in np.unique(array.reshape(-1, 3), axis=0):
            same = (array == colour).all(axis=2).astype(np.uint8)
            count, labels = cv2.connectedComponents(same, connectivity=4)
            for label in range(1, count):
                mask = labels == label
                if mask.sum() >= 20:
                    segments.append(Segment.from_mask(mask))
        return sorted(segments, key=lambda s: -s.area)

    def is_carried(self, image, points_per_side=None) -> bool:
        return False

    def carry_over(self, *args, **kwargs) -> bool:
        return False

    def segment_point(self, image, point) -> Segment:
        w, h = image.size
        x, y = point
        if not (0 <= x < w and 0 <= y < h):
            raise BadInputError(f"The point ({x:g}, {y:g}) is outside the {w}×{h} image.",
                                zh=f"点 ({x:g}, {y:g}) 在图片（{w}×{h}）之外。")
        under = [s for s in self.all_segments(image) if s.mask[int(y), int(x)]]
        if under:
            return under[0]
        mask = np.zeros((h, w), dtype=bool)  # noise (a repainted region): a small square around the point
        mask[max(0, int(y) - 8):int(y) + 8, max(0, int(x) - 8):int(x) + 8] = True
        return Segment.from_mask(mask)

    def segment_box(self, image, box) -> Segment:
        x0, y0, x1, y1 = (int(v) for v in box)
        inside = [s for s in self.all_segments(image)
                  if x0 <= s.box[0] and y0 <= s.box[1] and s.box[2] <= x1 and s.box[3] <= y1]
        if not inside:
            raise BadInputError(f"The box {box} holds no object.", zh=f"框 {box} 里没有东西。")
        return Segment.from_mask(np.logical_or.reduce([s.mask for s in inside]))


@dataclass
class SyntheticModels(Models):
    """A preset with real thresholds (not the tiny one's "never ask"), blob segments, colour scores."""

    tiny: Models | None = None
    blobs: BlobSegmenter = field(default_factory=BlobSegmenter)
    scorer: ColourScorer = field(default_factory=ColourScorer)

    @classmethod
    def over(cls, tiny: Models) -> "SyntheticModels":
        preset = replace(tiny.preset, name="synthetic", tiny=False, not_found_below=0.5, max_area_fraction=0.9)
        return cls(preset=preset, device="cpu", tiny=tiny)

    def segmenter(self):
        return self.blobs

    def ranker(self, language: str):
        return self.scorer

    def inpainter(self, language: str):
        return self.tiny.inpainter(language)
