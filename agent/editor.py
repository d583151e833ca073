"""The editor: one edit with the tools — find the source, then repaint, remove or add.

    models = load_models("tiny")
    editor = Editor(models)
    result = editor.edit(image, source="猫", target="狗")      # PIL RGB in, EditResult out
    result.image.save("out.png"); result.mask                  # bool HxW: what was allowed to change

Segmentation and ranking run on a working copy (long side ≤ 1024); the chosen mask is scaled back
and the repaint is pasted at full resolution.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Literal

import numpy as np
from PIL import Image

from agent.inputs import check_apply_inputs, check_edit_inputs, check_find_inputs, check_region_inputs
from tools.errors import BadInputError, NotFoundError
from tools.images import downscale_for_work
from tools.inpaint import InpaintResult, InpaintSettings, opencv_remove
from tools.language import detect_language
from tools.masks import resize_mask
from tools.models import Models
from tools.rank import Candidate, Ranking, RankSettings, rank_segments
from tools.segment import Segment

SEGMENT_MAX_SIDE = 1024
RemoveMethod = Literal["sd", "opencv"]


@dataclass(frozen=True)
class Progress:
    """A progress event: `stage` is "segment", "rank", "inpaint" or "done"; `done`/`total` in steps."""

    stage: str
    done: int = 0
    total: int = 0


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class EditSettings:
    """How to generate. `steps=None` takes the preset's default (30, or 2 for the tiny preset)."""

    steps: int | None = None
    guidance: float = 7.5
    seed: int = 0
    scheduler: str = "default"
    remove_method: RemoveMethod = "sd"
    points_per_side: int | None = None
    dilate_px: int | None = None

    def __post_init__(self) -> None:
        if self.remove_method not in ("sd", "opencv"):
            raise BadInputError(f"Setting remove_method={self.remove_method!r} is not valid: use 'sd' or 'opencv'.",
                                zh=f"设置 remove_method={self.remove_method!r} 无效：只能是 'sd' 或 'opencv'。")


@dataclass(frozen=True, eq=False)
class EditResult:
    """The outcome of one edit. `image`: PIL RGB, input size; `mask`: bool HxW, the pixels that were
    allowed to change (every other pixel is byte-identical to the input)."""

    image: Image.Image
    mask: np.ndarray
    action: str
    source: str
    target: str | None
    language: str
    chosen: Candidate | None
    candidates: list[Candidate]
    seed: int
    model_ids: dict[str, str]
    timings: dict[str, float]
    window: tuple[int, int, int, int] = (0, 0, 0, 0)

    def summary(self, candidate_limit: int = 10) -> dict:
        """A JSON-ready dict: chosen box and score, candidates, timings, seed, model ids. Every box is
        (x0, y0, x1, y1) in the picture's own pixels (x1, y1 exclusive), also for a photo that was
        segmented on a smaller working copy."""
        def describe(c: Candidate) -> dict:
            return {"rank": c.rank, "box": box_at_size(c, self.mask.shape), "score": round(c.score, 4),
                    "similarity": round(c.similarity, 4), "area": c.segment.area}
        return {
            "action": self.action, "source": self.source, "target": self.target, "language": self.language,
            "chosen": describe(self.chosen) if self.chosen else None,
            "candidates": [describe(c) for c in self.candidates[:candidate_limit]],
            "changed_box": list(self.window), "changed_pixels": int(self.mask.sum()),
            "seed": self.seed, "model_ids": self.model_ids,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


@dataclass
class Editor:
    """Runs edits with a preset's shared models. Thread-safe: the models hold their own locks."""

    models: Models
    settings: EditSettings = field(default_factory=EditSettings)

    def inpaint_settings(self, settings: EditSettings) -> InpaintSettings:
        preset = self.models.preset
        steps = settings.steps if settings.steps is not None else (2 if preset.tiny else 30)
        return InpaintSettings(steps=steps, guidance=settings.guidance, seed=settings.seed,
                               scheduler=settings.scheduler, work_size=preset.work_size,
                               dilate_px=settings.dilate_px).checked()

    def rank_settings(self) -> RankSettings:
        preset = self.models.preset
        return RankSettings(not_found_below=preset.not_found_below, max_area_fraction=preset.max_area_fraction)

    # ------------------------------------------------------------------------------ finding
    def segments(self, image: Image.Image, settings: EditSettings | None = None, *,
                 fresh: bool = False) -> tuple[list[Segment], float]:
        """All SAM segments of `image`'s working copy, and that copy's scale (working/full)."""
        work, scale = downscale_for_work(image, SEGMENT_MAX_SIDE)
        return self._segments_of(work, settings or self.settings, fresh), scale

    def _segments_of(self, work: Image.Image, settings: EditSettings, fresh: bool = False) -> list[Segment]:
        return self.models.segmenter().all_segments(work, settings.points_per_side, fresh=fresh)

    def find(self, image: Image.Image, source: str, *, language: str | None = None,
             settings: EditSettings | None = None, timings: dict | None = None,
             on_progress: ProgressCallback | None = None) -> tuple[Ranking, float]:
        """Rank `image`'s segments against `source`; returns the ranking (masks at working size) and
        the working scale. Fills `timings["segment"]`/`["rank"]` when given."""
        check_find_inputs(image, source=source, language=language)
        source = check_text(source, "source")
        language = language or detect_language(source)
        settings = settings or self.settings
        timings = timings if timings is not None else {}
        notify = on_progress or (lambda p: None)
        self._load(timings, self.models.segmenter, lambda: self.models.ranker(language))
        work, scale = downscale_for_work(image, SEGMENT_MAX_SIDE)  # once per turn: SAM and CLIP share it

        def segment_and_rank(fresh: bool) -> Ranking:
            notify(Progress("segment"))
            start = time.perf_counter()
            segments = self._segments_of(work, settings, fresh)
            timings["segment"] = timings.get("segment", 0.0) + time.perf_counter() - start
            notify(Progress("rank"))
            start = time.perf_counter()
            ranking = rank_segments(work, segments, source, self.models.ranker(language), language=language,
                                    settings=self.rank_settings())
            timings["rank"] = timings.get("rank", 0.0) + time.perf_counter() - start
            return ranking

        ranking = segment_and_rank(fresh=False)
        if not ranking.found and self.models.segmenter().is_carried(work, settings.points_per_side):
            ranking = segment_and_rank(fresh=True)  # the carried segments do not hold the source
        return ranking, scale

    def carry_segments(self, before: Image.Image, after: Image.Image, changed: np.ndarray,
                       edited: np.ndarray, settings: EditSettings | None = None) -> bool:
        """Let `after` (an edit of `before` that changed only `changed`, bool HxW full size) reuse
        `before`'s segments outside the change; `edited` (the repainted region) joins them."""
        settings = settings or self.settings
        work_before = downscale_for_work(before, SEGMENT_MAX_SIDE)[0]
        work_after = downscale_for_work(after, SEGMENT_MAX_SIDE)[0]
        size = work_before.size
        return self.models.segmenter().carry_over(work_before, work_after, resize_mask(changed, size),
                                                  resize_mask(edited, size), settings.points_per_side)

    @staticmethod
    def _load(timings: dict, *loaders: Callable[[], object]) -> None:
        """Load models (once per process) outside the stage timings; the time goes to timings["load"]."""
        start = time.perf_counter()
        for load in loaders:
            load()
        timings["load"] = timings.get("load", 0.0) + time.perf_counter() - start

    def region(self, image: Image.Image, *, point: tuple[float, float] | None = None,
               box: tuple[float, float, float, float] | None = None) -> np.ndarray:
        """SAM's mask (bool HxW) for a click at `point` (x, y) or a drag of `box` (x0, y0, x1, y1) on
        `image` (PIL RGB); a non-finite, backwards or off-picture prompt is refused before SAM runs."""
        prompt = check_region_inputs(image, point=point, box=box)
        segmenter = self.models.segmenter()
        if prompt.kind == "point":
            return segmenter.segment_point(image, prompt.value).mask
        return segmenter.segment_box(image, prompt.value).mask

    # ----------------------------------------------------------------------------- editing
    def edit(self, image: Image.Image, *, source: str, target: str | None = None, remove: bool = False,
             add: bool = False, language: str | None = None, settings: EditSettings | None = None,
             on_progress: ProgressCallback | None = None) -> EditResult:
        """Find `source` in `image` (PIL RGB) and repaint it as `target` (or remove it, or add
        `target` onto it). Raises NotFoundError when nothing matches well enough, BadInputError (before
        any model work) for arguments it cannot use: `language` is "zh", "en" or None (detect it)."""
        check_edit_inputs(image, source=source, target=target, remove=remove, add=add, language=language,
                          settings=settings, settings_kind=EditSettings)
        settings = settings or self.settings
        self.inpaint_settings(settings)  # steps, guidance, seed: refused now, not after segmenting
        action = "remove" if remove else ("add" if add else "replace")
        if action != "remove":
            target = check_text(target, "target")
        language = language or detect_language(source + (target or ""))
        timings: dict[str, float] = {}
        started = time.perf_counter()
        ranking, scale = self.find(image, source, language=language, settings=settings, timings=timings,
                                   on_progress=on_progress)
        if not ranking.found or ranking.best is None:
            raise not_found(source, language)
        chosen = ranking.best
        result = self.apply(image, resize_mask(chosen.mask, image.size), action=action, source=source,
                            target=target, language=language, settings=settings, on_progress=on_progress,
                            timings=timings)
        timings["total"] = time.perf_counter() - started
        timings["other"] = max(0.0, timings["total"] - sum(timings.get(k, 0.0)
                                                             for k in ("load", "segment", "rank", "inpaint", "paste")))
        return replace(result, chosen=chosen, candidates=ranking.candidates, timings=timings)

    def apply(self, image: Image.Image, mask: np.ndarray, *, action: str, source: str = "",
              target: str | None = None, language: str = "zh", settings: EditSettings | None = None,
              on_progress: ProgressCallback | None = None, timings: dict | None = None) -> EditResult:
        """Repaint / remove / add (`action`) at `mask` (bool HxW, the image's size) of `image` (PIL RGB);
        `language` "zh" or "en". Arguments it cannot use are refused before any model work."""
        check_apply_inputs(image, mask, action=action, source=source, target=target, language=language,
                           settings=settings, settings_kind=EditSettings)
        settings = settings or self.settings
        timings = timings if timings is not None else {}
        inpaint_settings = self.inpaint_settings(settings)
        notify = on_progress or (lambda p: None)

        def on_step(done: int, total: int) -> None:
            notify(Progress("inpaint", done, total))

        if not (action == "remove" and settings.remove_method == "opencv"):
            self._load(timings, lambda: self.models.inpainter(language))
        start = time.perf_counter()
        outcome = self._repaint(image, mask, action, source, target, language, settings, inpaint_settings,
                                on_step)
        timings["inpaint"] = time.perf_counter() - start - outcome.paste_seconds
        timings["paste"] = outcome.paste_seconds
        if action != "remove":
            self.carry_segments(image, outcome.image, outcome.changed, mask & outcome.changed, settings)
        else:
            self.carry_segments(image, outcome.image, outcome.changed, np.zeros_like(mask), settings)
        notify(Progress("done"))
        component = self.models.inpainter_component(language)
        model_ids = {"sam": self.models.model_id("sam"),
                     "ranker": self.models.model_id(self.models.ranker_component(language)),
                     "inpainter": ("opencv-telea" if action == "remove" and settings.remove_method == "opencv"
                                   else self.models.model_id(component))}
        return EditResult(image=outcome.image, mask=outcome.changed, action=action, source=source,
                          target=target, language=language, chosen=None, candidates=[],
                          seed=inpaint_settings.seed, model_ids=model_ids, timings=timings,
                          window=outcome.window)

    def _repaint(self, image, mask, action, source, target, language, settings, inpaint_settings,
                 on_step) -> InpaintResult:
        if action == "remove" and settings.remove_method == "opencv":
            return opencv_remove(image, mask, settings=inpaint_settings)
        inpainter = self.models.inpainter(language)
        if action == "remove":
            return inpainter.remove(image, mask, source, settings=inpaint_settings, on_step=on_step,
                                    language=language)
        if action == "add":
            region = add_region(mask)
            prompt = f"{source}上的{target}" if language == "zh" else f"{target} on the {source}"
            return inpainter.inpaint(image, region, prompt, settings=inpaint_settings, on_step=on_step,
                                     language=language)
        return inpainter.inpaint(image, mask, target, settings=inpaint_settings, on_step=on_step,
                                 language=language)


def box_at_size(candidate: Candidate, shape: tuple[int, int]) -> list[int]:
    """`candidate`'s box (found on a working copy) in the frame of a picture of `shape` (H, W)."""
    height, width = shape
    scale_y, scale_x = height / candidate.mask.shape[0], width / candidate.mask.shape[1]
    x0, y0, x1, y1 = candidate.box
    return [int(math.floor(x0 * scale_x)), int(math.floor(y0 * scale_y)),
            min(width, int(math.ceil(x1 * scale_x))), min(height, int(math.ceil(y1 * scale_y)))]


def add_region(mask: np.ndarray) -> np.ndarray:
    """Where to put a new thing onto a region (bool HxW): an ellipse at the region's centre, a third
    of its box across, so the new object sits on the region with some of it around."""
    segment = Segment.from_mask(mask)
    x0, y0, x1, y1 = segment.box
    cx, cy = segment.centre
    rx, ry = max(4.0, (x1 - x0) / 6), max(4.0, (y1 - y0) / 6)
    ys, xs = np.ogrid[:mask.shape[0], :mask.shape[1]]
    return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0


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
