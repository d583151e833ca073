"""Instant photo adjustments with no model (PIL and NumPy only, milliseconds per megapixel).

    result = adjust(image, kind="brightness", amount=0.5)               # the whole picture, a bit brighter
    result = adjust(image, kind="sharpness", amount=-1.0, mask=sky)     # blur the sky a lot, soft edge
    result.image      # PIL RGB, same size
    result.changed    # bool HxW: the only pixels that may differ (all of them without a mask)

`amount` is signed: positive = more, negative = less; ±0.25 is "a bit", ±0.5 plain, ±1.0 "a lot"
(grayscale ignores it). A region adjustment is feathered just inside the mask grown by `dilate_px`:
every pixel outside that grown mask is byte-identical to the input.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from tools.errors import BadInputError
from tools.masks import box_of, dilate, paste_feathered

ADJUST_KINDS = ("brightness", "contrast", "saturation", "warmth", "sharpness", "grayscale")
MAX_AMOUNT = 2.0
FACTOR_PER_AMOUNT = 0.8    # brightness/contrast/saturation: factor 2 ** (0.8 × amount) (±0.5 → ×1.32 / ×0.76)
WARMTH_PER_AMOUNT = 0.2    # warmth +1: red ×1.2, blue ×0.8
SHARPEN_PER_AMOUNT = 1.5  # sharpness +1: PIL's sharpness factor 2.5
BLUR_PER_AMOUNT = 0.008    # sharpness −1: a Gaussian blur of 0.8% of the short side


@dataclass(frozen=True, eq=False)
class AdjustResult:
    """`image`: PIL RGB, input size. `changed`: bool HxW, the only pixels that may differ.
    `seconds`: the time it took."""

    image: Image.Image
    changed: np.ndarray
    seconds: float


def check_adjustment(kind: object, amount: object) -> float:
    """The amount to use for `kind` (one of ADJUST_KINDS): a finite number, clamped to ±MAX_AMOUNT;
    a one-line BadInputError for an unknown kind or an amount that is not a number."""
    if kind not in ADJUST_KINDS:
        names = ", ".join(ADJUST_KINDS)
        raise BadInputError(f"I can't adjust '{kind}': I can adjust {names}.",
                            zh=f"不能调整“{kind}”：可以调亮度、对比度、饱和度、色温、清晰度，或变成黑白。")
    if amount is None:
        return 0.5
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
        raise BadInputError(f"The adjustment amount must be a number, got {amount!r}.",
                            zh=f"调整的幅度必须是数字，收到 {amount!r}。")
    return float(max(-MAX_AMOUNT, min(MAX_AMOUNT, amount)))


def adjusted(image: Image.Image, *, kind: str, amount: float) -> Image.Image:
    """The whole of `image` (PIL RGB) adjusted: `kind` one of ADJUST_KINDS, `amount` signed."""
    factor = 2.0 ** (FACTOR_PER_AMOUNT * amount)
    if kind == "grayscale":
        return image.convert("L").convert("RGB")  # R = G = B exactly
    if kind == "brightness":
        return image.point([min(255, round(v * factor)) for v in range(256)] * 3)
    if kind == "contrast":
        return ImageEnhance.Contrast(image).enhance(factor)
    if kind == "saturation":
        return ImageEnhance.Color(image).enhance(factor)
    if kind == "warmth":
        red = [min(255, round(v * (1 + WARMTH_PER_AMOUNT * amount))) for v in range(256)]
        blue = [min(255, round(v * (1 - WARMTH_PER_AMOUNT * amount))) for v in range(256)]
        return image.point(red + list(range(256)) + blue)
    if amount < 0:
        return blurred(image, blur_radius(image.size, amount))
    return ImageEnhance.Sharpness(image).enhance(1 + SHARPEN_PER_AMOUNT * amount)


def blur_radius(size: tuple[int, int], amount: float) -> float:
    """The Gaussian blur radius (px) of a sharpness `amount` < 0 on a picture of `size`."""
    return max(0.5, abs(amount) * BLUR_PER_AMOUNT * min(size))


def blurred(image: Image.Image, radius: float) -> Image.Image:
    """A Gaussian blur of `radius` px; a wide one runs on a reduced copy and is scaled back (the
    blur hides the difference, and it is several times faster on a large photo)."""
    step = int(radius // 3)
    if step < 2:
        return image.filter(ImageFilter.GaussianBlur(radius))
    small = image.reduce(step).filter(ImageFilter.GaussianBlur(radius / step))
    return small.resize(image.size, Image.BILINEAR)


def adjust(image: Image.Image, *, kind: str, amount: float | None = None, mask: np.ndarray | None = None,
           dilate_px: int | None = None, feather_px: int | None = None) -> AdjustResult:
    """`image` (PIL RGB) adjusted (see `adjusted`), everywhere or only inside `mask` (bool HxW, the
    image's size), grown by `dilate_px` and feathered over `feather_px` (None: ≈1% / 0.8% of the
    short side). Every pixel outside the grown mask is byte-identical to `image`."""
    start = time.perf_counter()
    amount = check_adjustment(kind, amount)
    if image.mode != "RGB":
        raise BadInputError(f"The picture must be RGB, got mode {image.mode!r}.",
                            zh=f"图片必须是 RGB 模式，收到 {image.mode!r}。")
    if mask is None:
        changed = np.ones((image.height, image.width), dtype=bool)
        return AdjustResult(adjusted(image, kind=kind, amount=amount), changed, time.perf_counter() - start)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (image.height, image.width) or not mask.any():
        raise BadInputError("The region to adjust is empty or not the picture's size.",
                            zh="要调整的区域是空的，或与图片尺寸不一致。")
    short = min(image.size)
    dilate_px = dilate_px if dilate_px is not None else max(2, round(0.01 * short))
    feather_px = feather_px if feather_px is not None else max(2, round(0.008 * short))
    # work on the region's window only (plus the blur's reach): the cost follows the region's size
    reach = dilate_px + 2 + (math.ceil(3 * blur_radius(image.size, amount)) if kind == "sharpness" else 0)
    x0, y0, x1, y1 = box_of(mask)
    x0, y0 = max(0, x0 - reach), max(0, y0 - reach)
    x1, y1 = min(image.width, x1 + reach), min(image.height, y1 + reach)
    window = image.crop((x0, y0, x1, y1))
    grown_window = dilate(mask[y0:y1, x0:x1], dilate_px)
    if kind == "sharpness" and amount < 0:  # the blur's radius follows the whole picture, not the window
        new_window = blurred(window, blur_radius(image.size, amount))
    else:
        new_window = adjusted(window, kind=kind, amount=amount)
    result = image.copy()
    result.paste(paste_feathered(window, new_window, grown_window, feather_px), (x0, y0))
    grown = np.zeros_like(mask)
    grown[y0:y1, x0:x1] = grown_window
    return AdjustResult(result, grown, time.perf_counter() - start)
