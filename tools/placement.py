"""Move or resize one object: cut it out by its mask, fill the hole it leaves, paste it at the new
place or scale (kept inside the frame) and blend the seam on a thin ring around it.

    where = destination(box, frame=(w, h), to="left")                # the object's new box
    where = resized_box(box, frame=(w, h), scale=1.25)               # bottom-centre kept
    result = place(image, mask, where.box, fill=fill, blend=blend)   # Placement
    result.image, result.changed, result.region                      # PIL RGB; bool HxW; bool HxW

`fill(image, mask) -> InpaintResult` erases the object (SD with the fill prompt, or OpenCV) and
`blend(image, ring) -> InpaintResult` repaints the seam lightly (None: a feathered paste, no model);
the models stay with the caller. Every pixel outside old region ∪ new region ∪ ring is byte-identical.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from tools.errors import BadInputError
from tools.inpaint import InpaintResult
from tools.masks import box_of, dilate, erode, feather

Box = tuple[int, int, int, int]
Fill = Callable[[Image.Image, np.ndarray], InpaintResult]
MARGIN = 0.02  # "to the left": the object's box stops this fraction of the frame from the side
MIN_SCALE, MAX_SCALE = 0.1, 10.0
DIRECTIONS = ("left", "right", "top", "bottom", "center")


@dataclass(frozen=True)
class Destination:
    """Where the object goes: `box` (x0, y0, x1, y1), inside the frame; `clamped` True when it would
    have left the frame (or not fit in it) and was stopped at the edge."""

    box: Box
    clamped: bool = False


@dataclass(frozen=True, eq=False)
class Placement:
    """`image`: PIL RGB, input size. `changed`: bool HxW, the only pixels that may differ (old region
    ∪ new region ∪ seam ring, each grown by its stage's edge). `region`: bool HxW, the object at its
    new place. `box`: its new box; `clamped`: stopped at the frame's edge; `seconds` per stage."""

    image: Image.Image
    changed: np.ndarray
    region: np.ndarray
    box: Box
    clamped: bool
    seconds: dict[str, float]


def inside(box: tuple[float, float, float, float], frame: tuple[int, int]) -> Destination:
    """`box` moved (not scaled) to lie inside `frame` (width, height), rounded to whole pixels."""
    width, height = frame
    x0, y0, x1, y1 = box
    dx = max(0.0, -x0) - max(0.0, x1 - width)
    dy = max(0.0, -y0) - max(0.0, y1 - height)
    bw, bh = min(width, max(1, int(round(x1 - x0)))), min(height, max(1, int(round(y1 - y0))))
    nx0, ny0 = int(round(x0 + dx)), int(round(y0 + dy))
    nx0, ny0 = min(max(0, nx0), width - bw), min(max(0, ny0), height - bh)
    return Destination((nx0, ny0, nx0 + bw, ny0 + bh), clamped=abs(dx) > 0.5 or abs(dy) > 0.5)


def destination(box: Box, *, frame: tuple[int, int], to: str, shift: float | None = None) -> Destination:
    """The new box of an object at `box` moved toward `to` (left/right/top/bottom/center): all the way
    (its box `MARGIN` of the frame from that side; "center" centres it), or by `shift` × the frame."""
    if to not in DIRECTIONS:
        raise BadInputError(f"Say where to move it: left, right, top, bottom or center (got {to!r}).",
                            zh="请说要移到哪里：左边、右边、上面、下面或中间。")
    width, height = frame
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    margin_x, margin_y = MARGIN * width, MARGIN * height
    if shift is not None:
        sx, sy = shift * width, shift * height
        centre_x, centre_y = (width - bw) / 2 - x0, (height - bh) / 2 - y0
        dx, dy = {"left": (-sx, 0), "right": (sx, 0), "top": (0, -sy), "bottom": (0, sy),
                  "center": (float(np.clip(centre_x, -sx, sx)), float(np.clip(centre_y, -sy, sy)))}[to]
        return inside((x0 + dx, y0 + dy, x1 + dx, y1 + dy), frame)
    nx0 = {"left": margin_x, "right": width - margin_x - bw, "center": (width - bw) / 2}.get(to, x0)
    ny0 = {"top": margin_y, "bottom": height - margin_y - bh, "center": (height - bh) / 2}.get(to, y0)
    return Destination(inside((nx0, ny0, nx0 + bw, ny0 + bh), frame).box)  # all the way: never past the edge


def resized_box(box: Box, *, frame: tuple[int, int], scale: float) -> Destination:
    """The box of an object at `box` scaled by `scale`, its bottom-centre where it stood; a box that
    would not fit the frame is scaled only as far as it fits, then moved inside it (`clamped`)."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise BadInputError(f"Resize by a factor from {MIN_SCALE:g} to {MAX_SCALE:g}, got {scale:g}.",
                            zh=f"缩放倍数要在 {MIN_SCALE:g} 到 {MAX_SCALE:g} 之间，收到 {scale:g}。")
    width, height = frame
    x0, y0, x1, y1 = box
    fits = min(scale, width / (x1 - x0), height / (y1 - y0))
    bw, bh = (x1 - x0) * fits, (y1 - y0) * fits
    centre = (x0 + x1) / 2
    where = inside((centre - bw / 2, y1 - bh, centre + bw / 2, y1), frame)
    return Destination(where.box, clamped=where.clamped or fits < scale - 1e-6)


def cut(image: Image.Image, mask: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """The object's pixels (uint8 hxwx3) and mask (bool hxw) scaled to `box`'s size."""
    x0, y0, x1, y1 = box_of(mask)
    size = (box[2] - box[0], box[3] - box[1])
    pixels = image.crop((x0, y0, x1, y1)).resize(size, Image.LANCZOS)
    shape = Image.fromarray(mask[y0:y1, x0:x1].astype(np.uint8) * 255).resize(size, Image.BILINEAR)
    return np.asarray(pixels), np.asarray(shape) >= 128


def place(image: Image.Image, mask: np.ndarray, box: Box, *, fill: Fill, blend: Fill | None,
          clamped: bool = False, ring_px: int | None = None) -> Placement:
    """Move the object under `mask` (bool HxW) of `image` (PIL RGB) into `box` (its new box, scaled to
    it): fill the hole, paste the object, blend the seam (`blend` on a ring of `ring_px`, ≈0.8% of
    the short side; None: a feathered paste)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (image.height, image.width) or not mask.any():
        raise BadInputError("The object to move is empty or not the picture's size.",
                            zh="要移动的对象是空的，或与图片尺寸不一致。")
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    pixels, shape = cut(image, mask, box)
    filled = fill(image, mask)
    seconds["fill"] = time.perf_counter() - start
    region = np.zeros_like(mask)
    region[box[1]:box[3], box[0]:box[2]] = shape
    ring_px = ring_px if ring_px is not None else max(2, round(0.008 * min(image.size)))
    canvas = np.asarray(filled.image).copy()
    window = canvas[box[1]:box[3], box[0]:box[2]]
    if blend is None:  # no model: the object's edge fades into the filled background
        alpha = feather(shape, min(ring_px, 2))[:, :, None]
        window[...] = np.rint(window + (pixels.astype(np.float32) - window) * alpha).astype(np.uint8)
    else:
        window[shape] = pixels[shape]
    pasted = Image.fromarray(canvas)
    changed = filled.changed | region
    if blend is not None and region.any():
        start = time.perf_counter()
        ring = dilate(region, ring_px) & ~erode(region, ring_px)
        blended = blend(pasted, ring)
        pasted, changed = blended.image, changed | blended.changed
        seconds["blend"] = time.perf_counter() - start
    return Placement(pasted, changed, region, box, clamped, seconds)
