"""Repaint a masked region with Stable Diffusion inpainting, working on a crop window.

The mask is dilated, a square window around it (plus context) is cut out and resized so its short
side is the working size (512 for real models; aspect kept, multiples of 8), diffusers repaints it, and the
result is resized back and pasted with an inward-feathered edge. Every pixel outside the returned
`changed` mask is byte-identical to the input.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from PIL import Image

from tools.errors import BadInputError, EditError
from tools.masks import box_of, dilate, paste_feathered

SCHEDULERS = ("default", "ddim", "euler_a", "dpm", "lcm")
REMOVE_PROMPT = {"zh": "干净的背景，自然延续周围的景物", "en": "clean empty background, seamless natural continuation"}
NEGATIVE = {"zh": "模糊，变形，文字，水印", "en": "blurry, deformed, text, watermark"}

DiffusionStepCallback = Callable[[int, int], None]  # (diffusion steps done, total): the only progress tools report


@dataclass(frozen=True)
class InpaintSettings:
    """Generation settings. `dilate_px`/`feather_px` of None scale with the image (≈1.5% / 0.8%)."""

    steps: int = 30
    guidance: float = 7.5
    seed: int = 0
    scheduler: str = "default"
    dilate_px: int | None = None
    feather_px: int | None = None
    context: float = 0.3  # window margin around the mask box, as a fraction of its longer side
    work_size: int = 512
    max_work_side: int = 1024

    def checked(self) -> "InpaintSettings":
        """Self, or a BadInputError naming the setting and the value it got."""
        def bad(name: str, value, low, high, whole: bool = True):
            kind, kind_zh = ("a whole number", "整数") if whole else ("a number", "数")
            return BadInputError(f"Setting {name}={value!r} is not valid: use {kind} from {low} to {high}.",
                                 zh=f"设置 {name}={value!r} 无效：请用 {low} 到 {high} 之间的{kind_zh}。")
        if not isinstance(self.steps, int) or not 1 <= self.steps <= 150:
            raise bad("steps", self.steps, 1, 150)
        if not isinstance(self.guidance, (int, float)) or not math.isfinite(self.guidance) \
                or not 0 <= self.guidance <= 30:
            raise bad("guidance", self.guidance, 0, 30, whole=False)
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2 ** 32:
            raise bad("seed", self.seed, 0, 2 ** 32 - 1)
        if self.scheduler not in SCHEDULERS:
            names = ", ".join(SCHEDULERS)
            raise BadInputError(f"Setting scheduler={self.scheduler!r} is not valid: use one of {names}.",
                                zh=f"设置 scheduler={self.scheduler!r} 无效：请用其中之一：{names}。")
        for name in ("dilate_px", "feather_px"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 256):
                raise bad(name, value, 0, 256)
        if not 16 <= self.work_size <= 2048:
            raise bad("work_size", self.work_size, 16, 2048)
        return self


@dataclass(frozen=True, eq=False)
class InpaintResult:
    """`image`: PIL RGB, input size. `changed`: bool HxW, the only pixels that may differ."""

    image: Image.Image
    changed: np.ndarray
    window: tuple[int, int, int, int]
    work_size: tuple[int, int]
    seed: int
    seconds: float
    paste_seconds: float = 0.0


def edge_sizes(image: Image.Image, settings: InpaintSettings) -> tuple[int, int]:
    """(dilate_px, feather_px) for this image: the settings', or scaled with the short side."""
    short = min(image.size)
    dilate_px = settings.dilate_px if settings.dilate_px is not None else max(4, round(0.015 * short))
    feather_px = settings.feather_px if settings.feather_px is not None else max(2, round(0.008 * short))
    return dilate_px, feather_px


def crop_window(mask: np.ndarray, context: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): a square around the mask's box grown by `context` × its longer side, moved
    to lie inside the image; narrower than square only where the image itself is.

    Square because SD-1.5 was trained on 512×512: a square window works at exactly that size and
    gives a narrow object context on all sides.
    """
    h, w = mask.shape
    box = box_of(mask)
    if box is None:
        raise BadInputError("The region to edit is empty.", zh="要编辑的区域是空的。")
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) + 2 * (int(round(context * max(x1 - x0, y1 - y0))) + 8)
    width, height = min(side, w), min(side, h)
    left = min(max(0, (x0 + x1 - width) // 2), w - width)
    top = min(max(0, (y0 + y1 - height) // 2), h - height)
    return left, top, left + width, top + height


def work_dimensions(window_w: int, window_h: int, settings: InpaintSettings) -> tuple[int, int]:
    """SD's (width, height): short side = work_size, long side ≤ max_work_side, multiples of 8."""
    scale = settings.work_size / min(window_w, window_h)
    scale = min(scale, settings.max_work_side / max(window_w, window_h))
    return max(8, round(window_w * scale / 8) * 8), max(8, round(window_h * scale / 8) * 8)


def prepare_mask(image: Image.Image, mask: np.ndarray, settings: InpaintSettings) -> np.ndarray:
    """The dilated mask (bool HxW) that bounds what may change; checks shapes."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (image.height, image.width):
        raise BadInputError(f"The mask is {mask.shape[1]}×{mask.shape[0]} but the image is "
                            f"{image.width}×{image.height}.", zh="遮罩与图片尺寸不一致。")
    if not mask.any():
        raise BadInputError("The region to edit is empty.", zh="要编辑的区域是空的。")
    return dilate(mask, edge_sizes(image, settings)[0])


class Inpainter:
    """A diffusers inpainting pipeline (shared, not copied) and how to run it on a crop window."""

    def __init__(self, pipe, *, model_id: str = ""):
        self.pipe = pipe
        self.model_id = model_id
        self._default_scheduler = pipe.scheduler
        self.unet_calls = 0
        # a diffusers pipeline keeps per-call state (scheduler timesteps, guidance): one call at a time
        self._lock = threading.Lock()

    def inpaint(self, image: Image.Image, mask: np.ndarray, prompt: str, *, negative_prompt: str = "",
                settings: InpaintSettings = InpaintSettings(), on_step: DiffusionStepCallback | None = None,
                language: str = "en", strength: float = 1.0) -> InpaintResult:
        """Repaint `mask` (bool HxW) of `image` (PIL RGB) from `prompt`; `strength` < 1 keeps some of
        what is there (a light blend of a seam)."""
        if not prompt or not prompt.strip():
            raise BadInputError("Say what to paint there, e.g. 'a dog'.", zh="请说明要画成什么，例如“狗”。")
        settings = at_strength(settings.checked(), check_strength(strength))
        start = time.perf_counter()
        allowed = prepare_mask(image, mask, settings)
        x0, y0, x1, y1 = crop_window(allowed, settings.context)
        width, height = work_dimensions(x1 - x0, y1 - y0, settings)
        window_image = image.crop((x0, y0, x1, y1)).resize((width, height), Image.LANCZOS)
        window_mask = Image.fromarray(allowed[y0:y1, x0:x1].astype(np.uint8) * 255).resize(
            (width, height), Image.NEAREST)
        negative = ", ".join(p for p in (negative_prompt, NEGATIVE.get(language, "")) if p)
        generated = self._run(prompt.strip(), negative, window_image, window_mask, width, height,
                              settings, on_step, strength=strength)
        pasting = time.perf_counter()
        full = image.copy()
        full.paste(generated.resize((x1 - x0, y1 - y0), Image.LANCZOS), (x0, y0))
        result = paste_feathered(image, full, allowed, edge_sizes(image, settings)[1])
        done = time.perf_counter()
        return InpaintResult(result, allowed, (x0, y0, x1, y1), (width, height), settings.seed,
                             done - start, done - pasting)

    def remove(self, image: Image.Image, mask: np.ndarray, object_name: str = "", *,
               settings: InpaintSettings = InpaintSettings(), on_step: DiffusionStepCallback | None = None,
               language: str = "en") -> InpaintResult:
        """Erase the object under `mask`: a fill prompt, with the object as the negative prompt."""
        return self.inpaint(image, mask, REMOVE_PROMPT[language], negative_prompt=object_name,
                            settings=settings, on_step=on_step, language=language)

    def generate(self, prompt: str, *, width: int, height: int, settings: InpaintSettings = InpaintSettings(),
                 on_step: DiffusionStepCallback | None = None, language: str = "en") -> Image.Image:
        """A new picture (PIL RGB, `width`×`height`, multiples of 8) from `prompt`: the same inpainting
        pipeline on a blank canvas with the whole frame masked at strength 1 (no second copy of SD)."""
        if not prompt or not prompt.strip():
            raise BadInputError("Say what the picture should show, e.g. 'a lighthouse on a cliff'.",
                                zh="请说明要画什么，例如“海边的灯塔”。")
        settings = settings.checked()
        for name, value in (("width", width), ("height", height)):
            if not isinstance(value, int) or value % 8 or not 8 <= value <= 2048:
                raise BadInputError(f"The picture's {name} must be a multiple of 8 from 8 to 2048, got {value!r}.",
                                    zh=f"图片的{'宽' if name == 'width' else '高'}必须是 8 到 2048 之间 8 的倍数，"
                                       f"收到 {value!r}。")
        canvas = Image.new("RGB", (width, height), (127, 127, 127))
        full = Image.new("L", (width, height), 255)
        negative = NEGATIVE.get(language, "")
        return self._run(prompt.strip(), negative, canvas, full, width, height, settings, on_step, strength=1.0)

    def restyle(self, image: Image.Image, prompt: str, *, strength: float = 0.55,
                settings: InpaintSettings = InpaintSettings(), on_step: DiffusionStepCallback | None = None,
                language: str = "en") -> InpaintResult:
        """The whole of `image` (PIL RGB) repainted toward `prompt` at `strength` (0 < s ≤ 1: how much of
        the picture is noised away), image to image at the working size (short side `work_size`, aspect
        kept), resized back to the input's size. `changed` is every pixel."""
        if not prompt or not prompt.strip():
            raise BadInputError("Say what the picture should look like, e.g. 'an oil painting'.",
                                zh="请说明要改成什么样子，例如“油画风格”。")
        settings = at_strength(settings.checked(), check_strength(strength))
        start = time.perf_counter()
        width, height = work_dimensions(image.width, image.height, settings)
        work = image.resize((width, height), Image.LANCZOS)
        full = Image.new("L", (width, height), 255)
        negative = NEGATIVE.get(language, "")
        generated = self._run(prompt.strip(), negative, work, full, width, height, settings, on_step,
                              strength=float(strength))
        result = generated.resize(image.size, Image.LANCZOS)
        changed = np.ones((image.height, image.width), dtype=bool)
        return InpaintResult(result, changed, (0, 0, image.width, image.height), (width, height), settings.seed,
                             time.perf_counter() - start)

    def _run(self, prompt, negative, image, mask, width, height, settings, on_step, *,
             strength: float) -> Image.Image:
        import torch

        generator = torch.Generator(device="cpu").manual_seed(settings.seed)
        total = settings.steps

        def step_end(pipe, step, timestep, tensors):
            self.unet_calls += 1
            if on_step is not None:
                on_step(min(step + 1, total), total)
            return tensors

        try:
            with self._lock, torch.inference_mode():
                self.pipe.scheduler = scheduler_for(self._default_scheduler, settings.scheduler)
                # the real number of denoising steps: PNDM, for one, runs one more than asked
                self.pipe.scheduler.set_timesteps(settings.steps)
                total = denoising_steps(self.pipe.scheduler, settings.steps, strength)
                if on_step is not None:
                    on_step(0, total)
                out = self.pipe(prompt=prompt, negative_prompt=negative or None, image=image, mask_image=mask,
                                width=width, height=height, num_inference_steps=settings.steps,
                                guidance_scale=settings.guidance, generator=generator, strength=strength,
                                callback_on_step_end=step_end)
        except RuntimeError as exc:
            if "out of memory" not in str(exc).lower():
                raise
            raise EditError("The device ran out of memory; try fewer steps or a smaller image.",
                            zh="内存不足；请减少步数或使用更小的图片。") from exc
        return out.images[0].convert("RGB")


def check_strength(strength: object) -> float:
    """`strength` when it is a number from 0.05 to 1; else a one-line BadInputError."""
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not math.isfinite(strength) \
            or not 0.05 <= strength <= 1:
        raise BadInputError(f"The repaint strength must be a number from 0.05 to 1, got {strength!r}.",
                            zh=f"重绘强度必须是 0.05 到 1 之间的数，收到 {strength!r}。")
    return float(strength)


def at_strength(settings: InpaintSettings, strength: float) -> InpaintSettings:
    """`settings` with enough steps that diffusers runs at least one at `strength` (it runs
    int(steps × strength))."""
    steps = max(settings.steps, math.ceil(1 / strength - 1e-9))
    while int(steps * strength) < 1:  # float rounding
        steps += 1
    return settings if steps == settings.steps else replace(settings, steps=steps)


def denoising_steps(scheduler, steps: int, strength: float) -> int:
    """How many denoising steps diffusers runs for `steps` at `strength` (its `get_timesteps` rule)."""
    order = getattr(scheduler, "order", 1)
    skipped = steps - min(int(steps * strength), steps)
    return max(1, len(scheduler.timesteps) - skipped * order)


def scheduler_for(default, name: str):
    """The pipeline's own scheduler for "default", else that family built from its config."""
    if name == "default":
        return default
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, LCMScheduler

    family = {"ddim": DDIMScheduler, "euler_a": EulerAncestralDiscreteScheduler,
              "dpm": DPMSolverMultistepScheduler, "lcm": LCMScheduler}[name]
    return family.from_config(default.config)


def opencv_remove(image: Image.Image, mask: np.ndarray, *,
                  settings: InpaintSettings = InpaintSettings()) -> InpaintResult:
    """Erase the object under `mask` without a model (OpenCV Telea inpainting): fast, for plain removal."""
    import cv2

    start = time.perf_counter()
    allowed = prepare_mask(image, mask, settings)
    array = np.asarray(image)
    radius = max(3, edge_sizes(image, settings)[0])
    filled = cv2.inpaint(np.ascontiguousarray(array[:, :, ::-1]), allowed.astype(np.uint8) * 255,
                         radius, cv2.INPAINT_TELEA)[:, :, ::-1]
    result = paste_feathered(image, Image.fromarray(np.ascontiguousarray(filled)), allowed,
                             edge_sizes(image, settings)[1])
    h, w = allowed.shape
    return InpaintResult(result, allowed, (0, 0, w, h), (w, h), settings.seed, time.perf_counter() - start)

