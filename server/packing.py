"""Segments over the wire: masks packed eight to a byte (a bool mask is a byte per pixel in numpy).

    packed = pack_segments(segments)       # {"shape", "bits", "iou", "stability"}
    segments = unpack_segments(packed)     # the same Segments: masks bool HxW, boxes, areas
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tools.segment import Segment


def pack_segments(segments: Sequence[Segment]) -> dict:
    """`segments` (masks bool HxW, one size) → a dict of plain arrays, about 1/8 of the bytes."""
    if not segments:
        return {"shape": (0, 0, 0), "bits": np.zeros(0, np.uint8), "iou": [], "stability": []}
    stack = np.stack([s.mask for s in segments])
    return {"shape": stack.shape, "bits": np.packbits(stack.reshape(-1)),
            "iou": [s.predicted_iou for s in segments], "stability": [s.stability for s in segments]}


def unpack_segments(packed: dict) -> list[Segment]:
    """The Segments `pack_segments` packed, in their order."""
    count, height, width = packed["shape"]
    if count == 0:
        return []
    bits = np.unpackbits(packed["bits"], count=count * height * width).astype(bool)
    masks = bits.reshape(count, height, width)
    return [Segment.from_mask(mask, iou, stability)
            for mask, iou, stability in zip(masks, packed["iou"], packed["stability"])]
