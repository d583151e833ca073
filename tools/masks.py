"""Mask operations, in numpy and OpenCV.

A mask is a `bool` numpy array of shape (H, W): True where the object is. Functions also accept
integer arrays (non-zero = True) and always return new arrays; inputs are never changed.

Growing, shrinking and feathering use the exact Euclidean distance transform, so `dilate(mask, 10)`
grows by a disk of radius 10 and costs the same for any radius. The image border is not an edge:
a mask touching the frame is not eroded, feathered or outlined along the frame.
"""
from __future__ import annotations

import io
import os
from collections.abc import Iterable

import cv2
import numpy as np
from PIL import Image

from tools.files import atomic_write_bytes

__all__ = [
    "box_of", "dilate", "erode", "feather", "mask_to_png_bytes", "outline", "overlay",
    "paste_feathered", "resize_mask", "save_mask", "union",
]

Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    """Grow `mask` (bool HxW) by `px` pixels in every direction (a disk); returns bool HxW."""
    mask = _as_mask(mask)
    if _check_px(px) == 0:
        return mask.copy()
    return _distance_outside(mask) <= px


def erode(mask: np.ndarray, px: int) -> np.ndarray:
    """Shrink `mask` (bool HxW) by `px` pixels from its edges; returns bool HxW."""
    mask = _as_mask(mask)
    if _check_px(px) == 0:
        return mask.copy()
    return _distance_inside(mask) > px


def feather(mask: np.ndarray, px: int) -> np.ndarray:
    """A soft alpha for `mask` (bool HxW), feathered inward: float32 HxW in [0, 1].

    The alpha is exactly 0 everywhere outside the mask, rises smoothly over the `px` pixels just
    inside its edge and is exactly 1 deeper in. With `px` = 0 it is the mask itself (0.0 / 1.0).
    Grow the mask first (`dilate`) if the soft edge should reach past the object.
    """
    mask = _as_mask(mask)
    if _check_px(px) == 0:
        return mask.astype(np.float32)
    ramp = np.clip(_distance_inside(mask) / np.float32(px), 0.0, 1.0)
    alpha = ramp * ramp * (3.0 - 2.0 * ramp)  # smoothstep: no visible kink at either end
    alpha[~mask] = 0.0
    return alpha.astype(np.float32)


def box_of(mask: np.ndarray) -> Box | None:
    """The bounding box (x0, y0, x1, y1) of `mask` (bool HxW), x1/y1 exclusive; None if empty."""
    mask = _as_mask(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`mask` (bool HxW) resized to `size` = (width, height) with nearest-neighbour; bool."""
    mask = _as_mask(mask)
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"size must be (width, height) of at least 1 pixel, got {size}")
    if (height, width) == mask.shape:
        return mask.copy()
    resized = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
    return resized.astype(bool)


def union(masks: Iterable[np.ndarray]) -> np.ndarray:
    """Pixels in any of `masks` (each bool HxW, all the same shape); bool HxW."""
    masks = [_as_mask(mask) for mask in masks]
    if not masks:
        raise ValueError("union needs at least one mask")
    shapes = {mask.shape for mask in masks}
    if len(shapes) > 1:
        raise ValueError(f"masks must all have the same shape, got {sorted(shapes)}")
    return np.logical_or.reduce(masks)


def mask_to_png_bytes(mask: np.ndarray) -> bytes:
    """A 1-bit PNG (Pillow mode "1": white = in the mask) of `mask` (bool HxW)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(_as_mask(mask))).save(buffer, "PNG")
    return buffer.getvalue()


def save_mask(path: str | os.PathLike[str], mask: np.ndarray) -> None:
    """Write `mask` (bool HxW) as a 1-bit PNG, atomically; `StorageError` if it cannot be written."""
    atomic_write_bytes(path, mask_to_png_bytes(mask))


def outline(mask: np.ndarray, px: int = 2) -> np.ndarray:
    """The ring of `mask` (bool HxW) within `px` pixels of its edge, for drawing; bool HxW."""
    mask = _as_mask(mask)
    if px < 1:
        raise ValueError(f"px must be at least 1, got {px}")
    return mask & ~erode(mask, px)


def overlay(
    rgb: Image.Image,
    mask: np.ndarray,
    colour: Colour = (255, 64, 64),
    alpha: float = 0.45,
    *,
    outline_px: int | None = None,
) -> Image.Image:
    """`rgb` (mode "RGB") with `mask` (bool HxW) tinted in `colour` at opacity `alpha` (0-1)
    and outlined in solid `colour`, to show the user what was found; a new RGB image.

    `outline_px` defaults to about 0.4% of the shorter side (at least 2). Pixels outside the mask
    are unchanged.
    """
    mask = _check_pair(rgb, mask, "rgb")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if outline_px is None:
        outline_px = max(2, round(min(rgb.size) / 250))
    pixels = np.asarray(rgb).copy()
    tint = np.asarray(colour, dtype=np.float32)
    pixels[mask] = np.rint(pixels[mask] * (1.0 - alpha) + tint * alpha).astype(np.uint8)
    pixels[outline(mask, outline_px)] = np.asarray(colour, dtype=np.uint8)
    return Image.fromarray(pixels)


def paste_feathered(
    original: Image.Image, generated: Image.Image, mask: np.ndarray, feather_px: int
) -> Image.Image:
    """Composite `generated` into `original` (both mode "RGB", same size) inside `mask` (bool HxW).

    The edge is feathered inward over `feather_px` pixels (see `feather`). Guaranteed: every pixel
    outside `mask` is byte-identical to `original`, and every pixel deeper than `feather_px` inside
    it is byte-identical to `generated`. Returns a new RGB image.
    """
    mask = _check_pair(original, mask, "original")
    if generated.mode != "RGB" or generated.size != original.size:
        raise ValueError(
            f"generated must be an RGB image of size {original.size}, "
            f"got mode {generated.mode!r} size {generated.size}"
        )
    weight = feather(mask, feather_px)
    before = np.asarray(original)
    after = np.asarray(generated)
    result = before.copy()
    inner = weight >= 1.0
    np.copyto(result, after, where=inner[:, :, None])
    band = (weight > 0.0) & ~inner  # only the soft edge needs arithmetic (a 12-megapixel photo: ms, not s)
    edge = before[band].astype(np.float32)
    blended = edge + (after[band].astype(np.float32) - edge) * weight[band][:, None]
    result[band] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return Image.fromarray(result)


# --- helpers -----------------------------------------------------------------------------------

def _as_mask(mask: np.ndarray) -> np.ndarray:
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"mask must be a 2-D (H, W) array, got shape {array.shape}")
    if array.dtype == bool:
        return array
    if np.issubdtype(array.dtype, np.integer):
        return array != 0
    raise ValueError(f"mask must be a bool (or integer) array, got dtype {array.dtype}")


def _check_px(px: int) -> int:
    if px < 0:
        raise ValueError(f"px must be 0 or more, got {px}")
    return px


def _check_pair(rgb: Image.Image, mask: np.ndarray, name: str) -> np.ndarray:
    mask = _as_mask(mask)
    if rgb.mode != "RGB":
        raise ValueError(f"{name} must be a mode 'RGB' image, got mode {rgb.mode!r}")
    if mask.shape != (rgb.height, rgb.width):
        raise ValueError(f"mask shape {mask.shape} does not match {name} size {rgb.size} (H, W expected)")
    return mask


def _distance_inside(mask: np.ndarray) -> np.ndarray:
    """For each pixel of `mask`, the Euclidean distance to the nearest pixel outside it (0 outside).
    Pixels with no outside pixel in the image get a very large distance."""
    return cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def _distance_outside(mask: np.ndarray) -> np.ndarray:
    """For each pixel outside `mask`, the Euclidean distance to the nearest mask pixel (0 inside)."""
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
