"""Where the user pointed: a click or a box in image pixels, checked once at every boundary.

    check_point((120, 80), size=image.size)          # → (120.0, 80.0), or BadInputError
    check_box((-5, 10, 200, 90), size=image.size)    # → (0.0, 10.0, 200.0, 90.0): clipped to the picture
    RegionPrompt("box", (10, 10, 60, 40)).within(image.size)
    RegionPrompt("mask", picked)                     # a region the user picked: bool HxW

A coordinate must be a finite real number (not nan, inf or a bool); a box needs x1 > x0 and y1 > y0;
a point must be on the picture and a box must overlap it; a mask is a 2-D array (kept as bool).
Every refusal is one line naming the value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Literal

import numpy as np

from tools.errors import BadInputError

Size = tuple[int, int]  # (width, height)
NAMES = {"point": ("x", "y"), "box": ("x0", "y0", "x1", "y1")}
SHAPES = {"point": ("(x, y)", "2 numbers"), "box": ("(x0, y0, x1, y1)", "4 numbers")}
ZH_KIND = {"point": "点", "box": "框"}


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, Real) and not isinstance(value, bool) else repr(value)


def _shown(values: tuple) -> str:
    return "(" + ", ".join(_number(v) for v in values) + ")"


def _coordinates(kind: str, value: object) -> tuple[float, ...]:
    """`value` as finite floats, or BadInputError naming the coordinate (size-independent checks)."""
    names = NAMES[kind]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != len(names):
        shape, count = SHAPES[kind]
        raise BadInputError(f"{kind} must be {shape}: {count} in image pixels, got {value!r}.",
                            zh=f"{ZH_KIND[kind]}必须是 {shape}（{len(names)} 个像素坐标），收到 {value!r}。")
    numbers = []
    for name, number in zip(names, value):
        if isinstance(number, bool) or not isinstance(number, Real) or not math.isfinite(number):
            shown = _number(number)
            raise BadInputError(f"{kind} {name} must be a finite number, got {shown}.",
                                zh=f"{ZH_KIND[kind]}的 {name} 必须是有限的数，收到 {shown}。")
        numbers.append(float(number))
    if kind == "box":
        for low, high in ((0, 2), (1, 3)):
            if numbers[high] <= numbers[low]:
                a, b = names[high], names[low]
                raise BadInputError(
                    f"box {a} ({numbers[high]:g}) must be greater than {b} ({numbers[low]:g}) in {_shown(value)}.",
                    zh=f"框 {_shown(value)} 的 {a}（{numbers[high]:g}）必须大于 {b}（{numbers[low]:g}）。")
    return tuple(numbers)


def check_point(point: object, *, size: Size) -> tuple[float, float]:
    """`point` (x, y) in pixels of a `size` (width, height) picture as floats; BadInputError when it is
    not two finite numbers or lies off the picture."""
    x, y = _coordinates("point", point)
    w, h = size
    if not (0 <= x < w and 0 <= y < h):
        raise BadInputError(f"The point ({x:g}, {y:g}) is outside the {w}×{h} image.",
                            zh=f"点 ({x:g}, {y:g}) 在图片（{w}×{h}）之外。")
    return x, y


def check_box(box: object, *, size: Size) -> tuple[float, float, float, float]:
    """`box` (x0, y0, x1, y1) in pixels, clipped to a `size` (width, height) picture; BadInputError when
    it is not four finite numbers, x1 <= x0 or y1 <= y0, or it lies outside the picture."""
    x0, y0, x1, y1 = _coordinates("box", box)
    w, h = size
    clipped = (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        raise BadInputError(f"The box {_shown(box)} is outside the {w}×{h} image.",
                            zh=f"框 {_shown(box)} 在图片（{w}×{h}）之外。")
    return clipped


RegionKind = Literal["point", "box", "mask"]


@dataclass(frozen=True, eq=False)
class RegionPrompt:
    """Where the user pointed, in image pixels: a click (`kind` "point", `value` (x, y)), a drag
    (`kind` "box", `value` (x0, y0, x1, y1)) or a region they picked (`kind` "mask", `value` bool HxW).
    Made only from finite numbers in the right order or a 2-D mask; `within` checks it against a picture."""

    kind: RegionKind
    value: tuple[float, ...] | np.ndarray

    def __post_init__(self) -> None:
        if self.kind == "mask":
            mask = np.asarray(self.value)
            if mask.ndim != 2 or mask.size == 0:
                raise BadInputError(f"A region mask must be a non-empty 2-D array, got shape {mask.shape}.",
                                    zh=f"区域蒙版必须是非空的二维数组，收到形状 {mask.shape}。")
            object.__setattr__(self, "value", mask.astype(bool, copy=False))
            return
        if self.kind not in NAMES:
            raise BadInputError(f"A region prompt is a 'point', a 'box' or a 'mask', got {self.kind!r}.",
                                zh=f"区域只能是 point（点）、box（框）或 mask（蒙版），收到 {self.kind!r}。")
        object.__setattr__(self, "value", _coordinates(self.kind, self.value))

    def within(self, size: Size) -> RegionPrompt:
        """This prompt on a `size` (width, height) picture (a box clipped to it); BadInputError when a
        point or box is off it. A mask of another size is kept: the editor scales it to the picture."""
        if self.kind == "mask":
            return self
        check = check_point if self.kind == "point" else check_box
        return RegionPrompt(self.kind, check(self.value, size=size))


def checked_prompt(*, point: object = None, box: object = None, size: Size) -> RegionPrompt | None:
    """The click or the box the caller gave (not both), checked against a `size` picture; None for neither."""
    if point is not None and box is not None:
        raise BadInputError("Give a point or a box, not both.", zh="请只给一个点或一个框，不要同时给。")
    if point is None and box is None:
        return None
    return RegionPrompt("point" if point is not None else "box", point if point is not None else box).within(size)
