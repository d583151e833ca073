"""Argument checks at the Python API's entry points, in diffusers' `check_inputs` style: each runs
before any model work and raises one `BadInputError` naming the argument and the value it got.

    check_edit_inputs(image, source=..., target=..., remove=False, add=False, language=None)  # Editor.edit
    check_apply_inputs(image, mask, action=..., source=..., target=..., language="zh")       # Editor.apply
    check_region_inputs(image, point=..., box=...)                                          # Editor.region
    check_message(text); check_whole_number(value, "version")                              # Session turns
    session_image(image, alpha)                                                              # Session(...)
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from tools.errors import BadInputError, NotFoundError
from tools.images import MIN_SIDE, to_rgb_and_alpha
from tools.regions import RegionPrompt, checked_prompt

LANGUAGES = ("zh", "en")
ACTIONS = ("replace", "remove", "add")


def _type(value: object) -> str:
    return type(value).__name__


def check_rgb_image(image: object) -> Image.Image:
    """`image` when it is a PIL RGB image; else a BadInputError saying how to get one."""
    if isinstance(image, Image.Image) and image.mode == "RGB":
        return image
    if isinstance(image, Image.Image):
        raise BadInputError(
            f"image must be a PIL RGB image, got mode {image.mode!r}: convert with image.convert('RGB') "
            "or use tools.images.load_image (it keeps the transparency).",
            zh=f"image 必须是 RGB 模式的 PIL 图片，收到 {image.mode!r} 模式：请用 image.convert('RGB') 转换，"
               "或用 tools.images.load_image 读取（会保留透明度）。")
    raise BadInputError(
        f"image must be a PIL RGB image, got {_type(image)}: read a file with tools.images.load_image, "
        "or wrap an HxWx3 uint8 array with Image.fromarray(array).",
        zh=f"image 必须是 RGB 模式的 PIL 图片，收到 {_type(image)}：读文件请用 tools.images.load_image，"
           "HxWx3 uint8 数组请用 Image.fromarray(array) 转换。")


def check_language(language: object, *, optional: bool) -> None:
    """`language` is "zh" or "en" (or None when `optional`: detect it from the text)."""
    if language is None and optional:
        return
    if language not in LANGUAGES:
        also = " or None (detect it)" if optional else ""
        raise BadInputError(f"language must be 'zh' or 'en'{also}, got {language!r}.",
                            zh=f"language 只能是 'zh' 或 'en'{'（或 None：自动判断）' if optional else ''}，"
                               f"收到 {language!r}。")


def check_words(value: object, name: str, *, optional: bool) -> None:
    """`value` is a str (or None when `optional`); whether it is blank is `check_text`'s concern."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        got = repr(value) if value is None else _type(value)
        raise BadInputError(f"{name} must be a non-empty str, got {got}.",
                            zh=f"{name} 必须是非空的字符串，收到 {got}。")


def check_settings(settings: object, kind: type) -> None:
    """`settings` is None or an instance of `kind` (EditSettings)."""
    if settings is not None and not isinstance(settings, kind):
        raise BadInputError(f"settings must be an {kind.__name__} or None, got {_type(settings)}.",
                            zh=f"settings 必须是 {kind.__name__} 或 None，收到 {_type(settings)}。")


def check_edit_inputs(image: object, *, source: object, target: object, remove: bool, add: bool,
                      language: object, settings: object, settings_kind: type) -> None:
    """Editor.edit's arguments: image PIL RGB, source a str, target a str unless removing, language
    zh/en/None, at most one of remove/add."""
    check_rgb_image(image)
    if remove and add:
        raise BadInputError("remove and add cannot both be True: choose one (or neither to replace).",
                            zh="remove 和 add 不能同时为 True：只选一个（都不选就是替换）。")
    check_words(source, "source", optional=False)
    check_words(target, "target", optional=bool(remove))
    check_language(language, optional=True)
    check_settings(settings, settings_kind)


def check_find_inputs(image: object, *, source: object, language: object) -> None:
    """Editor.find's arguments: image PIL RGB, source a str, language zh/en/None."""
    check_rgb_image(image)
    check_words(source, "source", optional=False)
    check_language(language, optional=True)


def check_mask(mask: object, size: tuple[int, int]) -> np.ndarray:
    """`mask` as it is when it is a bool HxW numpy array of the picture's `size` (width, height)
    with at least one pixel set."""
    width, height = size
    if not isinstance(mask, np.ndarray):
        raise BadInputError(f"mask must be a bool HxW numpy array, got {_type(mask)}.",
                            zh=f"mask 必须是 bool 类型的 HxW numpy 数组，收到 {_type(mask)}。")
    if mask.dtype != bool:
        raise BadInputError(f"mask must be a bool HxW array, got dtype {mask.dtype}: use mask > 0 (or > 0.5).",
                            zh=f"mask 必须是 bool 类型的 HxW 数组，收到 {mask.dtype}：请用 mask > 0（或 > 0.5）。")
    if mask.shape != (height, width):
        raise BadInputError(f"mask must be a bool HxW array of the image's size ({height}, {width}), "
                            f"got shape {mask.shape}.",
                            zh=f"mask 必须和图片一样大：形状应为 ({height}, {width})，收到 {mask.shape}。")
    if not mask.any():
        raise BadInputError("mask selects no pixel: there is nothing to edit.",
                            zh="mask 一个像素也没有选中，没有可编辑的区域。")
    return mask


def check_apply_inputs(image: object, mask: object, *, action: object, source: object, target: object,
                       language: object, settings: object, settings_kind: type) -> None:
    """Editor.apply's arguments: image PIL RGB, mask bool HxW of its size, action replace/remove/add,
    target a str unless removing, language zh/en."""
    image = check_rgb_image(image)
    if action not in ACTIONS:
        raise BadInputError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}.",
                            zh=f"action 只能是 {'、'.join(ACTIONS)} 之一，收到 {action!r}。")
    check_mask(mask, image.size)
    if not isinstance(source, str):
        raise BadInputError(f"source must be a str, got {_type(source)}.",
                            zh=f"source 必须是字符串，收到 {_type(source)}。")
    check_words(target, "target", optional=action == "remove")
    if action != "remove" and not str(target).strip():
        raise BadInputError("The target is empty: say what to paint.", zh="要画成什么不能为空。")
    check_language(language, optional=False)
    check_settings(settings, settings_kind)


def check_region_inputs(image: object, *, point: object, box: object) -> RegionPrompt:
    """Editor.region's arguments: image PIL RGB and exactly one of a point or a box on it."""
    image = check_rgb_image(image)
    prompt = checked_prompt(point=point, box=box, size=image.size)
    if prompt is None:
        raise BadInputError("Click a point or draw a box on the picture.", zh="请在图上点一下或框出一个区域。")
    return prompt


def check_message(text: object) -> str:
    """A session message: a str ("" for None)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadInputError(f"text must be a str, got {_type(text)}.", zh=f"text 必须是字符串，收到 {_type(text)}。")
    return text


def check_whole_number(value: object, name: str) -> int:
    """`value` when it is an int (not a bool, a str or a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BadInputError(f"{name} must be a whole number, got {value!r}.",
                            zh=f"{name} 必须是整数，收到 {value!r}。")
    return int(value)


def session_image(image: Any, alpha: Image.Image | None) -> tuple[Image.Image, Image.Image | None]:
    """A Session's picture: any PIL image becomes RGB with its transparency split off as an "L" alpha
    (as tools.images.load_image does); anything else is refused, saying how to make one."""
    if not isinstance(image, Image.Image):
        check_rgb_image(image)
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise BadInputError(f"image is only {width}x{height} pixels; each side must be at least {MIN_SIDE}.",
                            zh=f"图片只有 {width}x{height} 像素，每条边至少需要 {MIN_SIDE} 像素。")
    if image.mode != "RGB":
        image, split = to_rgb_and_alpha(image)
        alpha = split if alpha is None else alpha
    if alpha is not None and (not isinstance(alpha, Image.Image) or alpha.mode != "L" or alpha.size != image.size):
        raise BadInputError(f"alpha must be a mode 'L' image of size {image.size}, got {alpha!r}.",
                            zh=f"alpha 必须是 L 模式、大小为 {image.size} 的图片，收到 {alpha!r}。")
    return image, alpha


def check_text(text: str | None, name: str) -> str:
    """`text` stripped, or BadInputError when it is missing, blank or too long."""
    if text is None or not str(text).strip():
        what = {"source": ("what to edit", "要编辑的对象"), "target": ("what to paint", "要画成什么")}[name]
        raise BadInputError(f"The {name} is empty: say {what[0]}.", zh=f"{what[1]}不能为空。")
    text = " ".join(str(text).split())
    if len(text) > 200:
        raise BadInputError(f"The {name} is too long ({len(text)} characters; at most 200).",
                            zh=f"内容太长（{len(text)} 个字符，最多 200）。")
    return text


def not_found(source: str, language: str) -> NotFoundError:
    return NotFoundError(f"Could not find '{source}' in the image. Try another word, or point at it.",
                         zh=f"没有找到“{source}”。换个说法试试，或者在图上点一下它。", source=source)
