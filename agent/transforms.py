"""Whole-picture commands: a new picture from words (generate), the whole picture repainted in a new
look (restyle) and instant photo adjustments (adjust). The editor (agent/editor.py) calls these with its
models and settings; each returns the new picture and the pixels it was allowed to change.

    picture = generate_picture(models, "海边日落", language="zh", aspect="landscape", settings=...)
    picture.image          # PIL RGB, 768×512 on SD-1.5-class models (the preset's work_size scaled)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps

from agent.edit_types import Progress, ProgressCallback
from agent.inputs import check_language
from agent.parse import EditCommand
from agent.step import Found, StepResult, refusal
from tools.adjust import adjust
from tools.inpaint import InpaintSettings
from tools.models import Models

ASPECTS = ("square", "landscape", "portrait")
RESTYLE_STRENGTH = 0.55  # how much of the picture a restyle repaints when the words do not say
LONG_SIDE = 1.5  # landscape/portrait: the long side is 1.5 × the short side (768×512 at work size 512)


@dataclass(frozen=True, eq=False)
class GeneratedPicture:
    """A picture made from words: `image` PIL RGB of `size` (width, height); `seed`; `model_ids`
    ({"inpainter": id}); `timings` seconds per stage ("load", "generate")."""

    image: Image.Image
    description: str
    language: str
    seed: int
    model_ids: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def picture_size(work_size: int, aspect: str | None) -> tuple[int, int]:
    """(width, height) of a generated picture: the model's native square (`work_size`, 512 for
    SD-1.5-class models), or 1.5 × as wide (landscape) or tall (portrait); multiples of 8."""
    if aspect not in (None, *ASPECTS):
        raise refusal("bad_aspect", aspect=aspect)
    long = int(round(work_size * LONG_SIDE / 8)) * 8
    if aspect == "landscape":
        return long, work_size
    if aspect == "portrait":
        return work_size, long
    return work_size, work_size


def checked_description(description: object) -> str:
    """The words to draw, stripped; a one-line refusal when there are none."""
    if not isinstance(description, str) or not description.strip():
        raise refusal("needs_description")
    return " ".join(description.split())


def generate_picture(models: Models, description: str, *, language: str, aspect: str | None,
                     settings: InpaintSettings, on_progress: ProgressCallback | None = None) -> GeneratedPicture:
    """A new picture of `description` (Chinese through the preset's Chinese model) at the native size
    for `aspect` (None or "square", "landscape", "portrait")."""
    description = checked_description(description)
    check_language(language, optional=False)
    width, height = picture_size(settings.work_size, aspect)
    notify = on_progress or (lambda event: None)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inpainter = models.inpainter(language)
    timings["load"] = time.perf_counter() - start
    start = time.perf_counter()
    image = inpainter.generate(description, width=width, height=height, settings=settings, language=language,
                               on_step=lambda done, total: notify(Progress("inpaint", done, total)))
    timings["generate"] = time.perf_counter() - start
    notify(Progress("done"))
    model_ids = {"inpainter": models.model_id(models.inpainter_component(language))}
    return GeneratedPicture(image=image, description=description, language=language, seed=settings.seed,
                            model_ids=model_ids, timings=timings)


def closest_aspect(size: tuple[int, int]) -> str:
    """The generate shape nearest a picture of `size` (width, height)."""
    ratio = size[0] / size[1]
    return "landscape" if ratio >= 1.25 else ("portrait" if ratio <= 0.8 else "square")


def generate_step(models: Models, command: EditCommand, image: Image.Image, *, settings: InpaintSettings,
                  notify: ProgressCallback) -> StepResult:
    """`generate` inside an open session: a new picture of `command.target` (its `aspect`, else the shape
    nearest the current picture's), fitted (scaled to cover, centred) to the current picture's size, so
    every version of a session keeps one size (undo, the store and the transparency rely on it)."""
    aspect = command.aspect or closest_aspect(image.size)
    picture = generate_picture(models, command.target or "", language=command.language, aspect=aspect,
                               settings=settings, on_progress=notify)
    new = picture.image if picture.size == image.size else ImageOps.fit(picture.image, image.size, Image.LANCZOS)
    whole = Found(np.ones((image.height, image.width), dtype=bool))
    return StepResult(whole.step(command, whole.mask, seed=picture.seed, model_ids=picture.model_ids,
                                 timings=picture.timings), new)


def restyle_step(models: Models, command: EditCommand, image: Image.Image, *, settings: InpaintSettings,
                 notify: ProgressCallback) -> StepResult:
    """The whole picture repainted as `command.target` at `command.strength` (default 0.55)."""
    if not (command.target or "").strip():
        raise refusal("needs_style")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inpainter = models.inpainter(command.language)
    timings["load"] = time.perf_counter() - start
    strength = RESTYLE_STRENGTH if command.strength is None else command.strength  # 0 is refused, not defaulted
    result = inpainter.restyle(image, command.target, strength=strength,
                               settings=settings, language=command.language,
                               on_step=lambda done, total: notify(Progress("inpaint", done, total)))
    timings["inpaint"] = result.seconds
    notify(Progress("done"))
    model_ids = {"inpainter": models.model_id(models.inpainter_component(command.language))}
    whole = Found(result.changed)
    return StepResult(whole.step(command, result.changed, seed=settings.seed, model_ids=model_ids,
                                 timings=timings), result.image)


def adjust_step(command: EditCommand, image: Image.Image, found: Found | None, *,
                notify: ProgressCallback) -> StepResult:
    """`command.adjust` by `command.amount` on the whole picture (`found` None) or on `found`'s region,
    feathered at its edge. No model, no seed."""
    if command.adjust is None:
        raise refusal("needs_adjustment")
    result = adjust(image, kind=command.adjust, amount=command.amount,
                    mask=None if found is None else found.mask)
    notify(Progress("done"))
    found = found or Found(np.ones((image.height, image.width), dtype=bool))
    return StepResult(found.step(command, result.changed, model_ids={"adjust": "pil"},
                                 timings={"adjust": result.seconds}), result.image, note=found.note)
