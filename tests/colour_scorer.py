"""A deterministic scorer behind the same interface as CLIP: it knows colours, nothing else.

A crop's feature is the direction of its mean colour away from grey (plus a "greyness" axis); a
text's feature is the colour it names, or the greyness axis for "background".
"""
from __future__ import annotations

import numpy as np

from tools.rank import GREY

COLOURS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0),
           "红": (1, 0, 0), "绿": (0, 1, 0), "蓝": (0, 0, 1), "黄": (1, 1, 0)}


def _unit(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-8)


class ColourScorer:
    model_id = "colour-scorer"

    def __init__(self):
        self.image_calls = 0
        self.crops_seen = 0

    def image_features(self, crops):
        self.image_calls += 1
        self.crops_seen += len(crops)
        rows = []
        for crop in crops:
            pixels = np.asarray(crop).reshape(-1, 3).astype(np.float32)
            pixels = pixels[(np.abs(pixels - GREY) > 8).any(axis=1)]  # ignore the greyed-out part
            mean = pixels.mean(axis=0) / 255 if len(pixels) else np.full(3, 0.5)
            colour = mean - mean.mean()
            rows.append(_unit([*colour, 0.35 - float(np.abs(colour).max())]))
        return np.stack(rows)

    def text_features(self, texts):
        rows = []
        for text in texts:
            rgb = next((rgb for word, rgb in COLOURS.items() if word in text.lower()), None)
            if "object" in text or "物体" in text:  # anything coloured is an object
                rows.append(_unit([0, 0, 0, -1]))
            elif rgb is None:
                rows.append(_unit([0, 0, 0, 1]))
            else:
                colour = np.asarray(rgb, dtype=np.float32)
                rows.append(_unit([*(colour - colour.mean()), 0]))
        return np.stack(rows)
