"""The editor: the one owner of "carry out one edit command on one image" — find the region
(ranked words, or a click / box / picked mask), then repaint, remove, add, adjust, move or resize
there; restyle, generate and a whole-picture adjust need no region (agent/transforms.py, agent/moves.py).

    models = load_models("tiny")
    editor = Editor(models)
    result = editor.edit(image, source="猫", target="狗")      # PIL RGB in, EditResult out
    result.image.save("out.png"); result.mask                  # bool HxW: what was allowed to change
    outcome = editor.run(command, image, interactive=True)     # a session's command: StepResult or Ask
    picture = editor.generate("海边日落", language="zh")         # a new picture from words (GeneratedPicture)

Segmentation and ranking run on a working copy (long side ≤ 1024); the chosen mask is scaled back
and the repaint is pasted at full resolution.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from PIL import Image

from agent.edit_types import (
    EditResult,
    EditSettings,
    Progress,
    ProgressCallback,
    RemoveMethod,
    box_at_size,
)
from agent.inputs import (
    check_apply_inputs,
    check_edit_inputs,
    check_find_inputs,
    check_region_inputs,
    check_text,
    not_found,
)
from agent.moves import check_placement, placement_step
from agent.parse import EditCommand
from agent.session.reply import say
from agent.session.version import Step
from agent.step import (
    CANDIDATES_KEPT,
    Ask,
    Found,
    StepResult,
    at_size,
    refusal,
    select_region,
    summary,
)
from agent.transforms import GeneratedPicture, adjust_step, generate_picture, generate_step, restyle_step
from tools.images import downscale_for_work
from tools.inpaint import (
    DiffusionStepCallback,
    InpaintResult,
    InpaintSettings,
    opencv_remove,
)
from tools.language import detect_language
from tools.masks import resize_mask
from tools.models import Models
from tools.rank import Candidate, Ranking, RankSettings, rank_segments
from tools.regions import RegionPrompt
from tools.segment import Segment

SEGMENT_MAX_SIDE = 1024
__all__ = ["Editor", "EditSettings", "EditResult", "Progress", "ProgressCallback", "RemoveMethod",
           "StepResult", "Ask", "box_at_size", "add_region", "check_text", "not_found", "SEGMENT_MAX_SIDE"]


def _ignore(event: Progress) -> None:
    """The progress callback when nobody listens."""


@dataclass
class Editor:
    """Runs edits with a preset's shared models. Thread-safe: the models hold their own locks."""

    models: Models
    settings: EditSettings = field(default_factory=EditSettings)

    def inpaint_settings(self, settings: EditSettings | None = None) -> InpaintSettings:
        """The diffusion settings `settings` (default: the editor's) mean on this preset, checked."""
        settings = settings or self.settings
        preset = self.models.preset
        steps = settings.steps if settings.steps is not None else (2 if preset.tiny else 30)
        return InpaintSettings(steps=steps, guidance=settings.guidance, seed=settings.seed,
                               scheduler=settings.scheduler, work_size=preset.work_size,
                               dilate_px=settings.dilate_px).checked()

    def rank_settings(self) -> RankSettings:
        """The preset's ranking thresholds."""
        preset = self.models.preset
        return RankSettings(not_found_below=preset.not_found_below, max_area_fraction=preset.max_area_fraction)

    def generate(self, description: str, *, language: str, aspect: str | None = None,
                 settings: EditSettings | None = None,
                 on_progress: ProgressCallback | None = None) -> GeneratedPicture:
        """A new picture (PIL RGB) of `description` at the model's native size: square (the preset's
        work size, 512 for SD-1.5-class models), "landscape" 768×512 or "portrait" 512×768; Chinese
        through the preset's Chinese model. An empty description is refused in one line."""
        return generate_picture(self.models, description, language=language, aspect=aspect,
                                settings=self.inpaint_settings(settings), on_progress=on_progress)

    # ------------------------------------------------------------------------------ finding
    def segments(self, image: Image.Image, *, settings: EditSettings | None = None,
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
        notify = on_progress or _ignore
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

    def carry_segments(self, before: Image.Image, after: Image.Image, *, changed: np.ndarray,
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
        """SAM's mask (bool HxW) for a click at `point` (x, y) or a drag of `box` (x0, y0, x1, y1, kept
        inside the box) on `image` (PIL RGB); a bad or off-picture prompt is refused before SAM runs."""
        prompt = check_region_inputs(image, point=point, box=box)
        segmenter = self.models.segmenter()
        if prompt.kind == "point":
            return segmenter.segment_point(image, prompt.value).mask
        mask = segmenter.segment_box(image, prompt.value).mask
        x0, y0, x1, y1 = (int(round(v)) for v in prompt.value)
        inside = np.zeros_like(mask, dtype=bool)
        inside[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = True
        return mask & inside if (mask & inside).any() else inside  # a box's region never leaves the box

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
        notify = on_progress or _ignore

        def on_step(done: int, total: int) -> None:
            notify(Progress("inpaint", done, total))

        if not (action == "remove" and settings.remove_method == "opencv"):
            self._load(timings, lambda: self.models.inpainter(language))
        start = time.perf_counter()
        outcome = self._repaint(image, mask, action=action, source=source, target=target, language=language,
                                settings=settings, inpaint_settings=inpaint_settings, on_step=on_step)
        timings["inpaint"] = time.perf_counter() - start - outcome.paste_seconds
        timings["paste"] = outcome.paste_seconds
        edited = mask & outcome.changed if action != "remove" else np.zeros_like(mask)
        self.carry_segments(image, outcome.image, changed=outcome.changed, edited=edited, settings=settings)
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

    # ----------------------------------------------------------------- one command of a session
    def run(self, command: EditCommand, image: Image.Image, *, region: RegionPrompt | None = None,
            interactive: bool, on_progress: ProgressCallback | None = None) -> StepResult | Ask:
        """Carry out one edit `command` on `image` (PIL RGB). Whole-picture commands (restyle, generate,
        an adjust with no source) need no region; the others find theirs — `command.source` ranked by
        its words, or the click, box or picked mask `region` — then repaint, remove, add, adjust, move
        or resize there with the editor's settings. An `Ask` when the user must pick (close, weak, out
        of range, not found) and `interactive`; otherwise the best match is taken with a note, or the
        refusal raised. Refusals (no target, no destination, a bad scale) come before any model work."""
        notify = on_progress or _ignore
        if command.action in ("replace", "add") and not (command.target or "").strip():
            raise refusal("needs_target")
        check_placement(command)
        whole = command.action in ("restyle", "generate") or (
            command.action == "adjust" and not (command.source or "").strip() and region is None)
        if whole:
            return self._whole_picture(command, image, self.settings, notify)
        found = self._region_for(command, image, region=region, interactive=interactive, notify=notify)
        if isinstance(found, Ask):
            return found
        return self._at_region(command, image, found, self.settings, notify)

    def rerun(self, step: Step, image: Image.Image, *, seed: int,
              on_progress: ProgressCallback | None = None) -> StepResult:
        """`step` again on `image` (PIL RGB) at the region it chose, with `seed`: the regenerate button.
        An adjust has no seed: it is done again the same way."""
        command, notify = step.command, on_progress or _ignore
        settings = replace(self.settings, seed=seed)
        if command.action in ("restyle", "generate") or (command.action == "adjust" and step.prompt == "text"
                                                          and not command.source):
            outcome = self._whole_picture(command, image, settings, notify)
        else:
            found = Found(step.region, step.prompt, step.chosen, step.candidates)
            outcome = self._at_region(command, image, found, settings, notify)
        return replace(outcome, step=replace(step, changed=outcome.step.changed, seed=outcome.step.seed,
                                             model_ids=outcome.step.model_ids, timings=outcome.step.timings))

    def _whole_picture(self, command: EditCommand, image: Image.Image, settings: EditSettings,
                       notify: ProgressCallback) -> StepResult:
        """A restyle, generate or whole-picture adjust of `image`."""
        if command.action == "adjust":
            return adjust_step(command, image, None, notify=notify)
        run = restyle_step if command.action == "restyle" else generate_step
        return run(self.models, command, image, settings=self.inpaint_settings(settings), notify=notify)

    def _at_region(self, command: EditCommand, image: Image.Image, found: Found, settings: EditSettings,
                   notify: ProgressCallback) -> StepResult:
        """`command` carried out at `found`'s region of `image`."""
        if command.action == "adjust":
            return adjust_step(command, image, found, notify=notify)
        if command.action in ("move", "resize"):
            outcome, moved = placement_step(self.models, command, image, found, settings=settings,
                                            inpaint_settings=self.inpaint_settings(settings), notify=notify)
            self.carry_segments(image, outcome.image, changed=outcome.step.changed, edited=moved, settings=settings)
            return outcome
        timings = dict(found.timings)
        result = self.apply(image, found.mask, action=command.action,
                            source=command.source or say("point_region", command.language), target=command.target,
                            language=command.language, settings=settings, on_progress=notify, timings=timings)
        step = found.step(command, result.mask, seed=result.seed, model_ids=result.model_ids, timings=timings)
        return StepResult(step=step, image=result.image, note=found.note)

    def _region_for(self, command: EditCommand, image: Image.Image, *, region: RegionPrompt | None,
                    interactive: bool, notify: ProgressCallback) -> Found | Ask:
        """Where `command` acts: the click, box or picked mask `region`, else `command.source` found by
        its words (an `Ask` when the user must pick and `interactive`)."""
        timings: dict[str, float] = {}
        if region is not None:
            mask, how = self._prompted_mask(image, region), ("pick" if region.kind == "mask" else region.kind)
            found = Found(mask, how)
        else:
            if not (command.source or "").strip():
                raise refusal("needs_source")
            ranked = self._find_region(image, command, timings=timings, notify=notify)
            note = ""
            if isinstance(ranked, Ask):
                if interactive:
                    return ranked
                ranked = self._without_asking(ranked, command)
                note = say("took_best", command.language, source=command.source)  # nobody to ask: the best
            best, candidates = ranked
            found = Found(best.mask, "text", summary(best), candidates, note)
        mask = np.asarray(found.mask, dtype=bool)
        if mask.shape != (image.height, image.width):
            mask = resize_mask(mask, image.size)
        if not mask.any():
            raise refusal("needs_source")
        return replace(found, mask=mask, timings=timings)

    def _prompted_mask(self, image: Image.Image, region: RegionPrompt) -> np.ndarray:
        """The mask (bool HxW) the user gave (`region.kind` "mask") or SAM's for their click or box."""
        if region.kind == "mask":
            return region.value
        return self.region(image, **{region.kind: region.value})

    def _find_region(self, image: Image.Image, command: EditCommand, *, timings: dict,
                     notify: ProgressCallback) -> tuple[Candidate, tuple[dict, ...]] | Ask:
        """(the candidate `command` means, masks at image size; candidate summaries) or an `Ask`."""
        language = command.language
        ranking, _ = self.find(image, command.source, language=language, timings=timings, on_progress=notify)
        notify(Progress("select"))
        start = time.perf_counter()
        sized = [at_size(c, image.size) for c in ranking.candidates]
        ranked = tuple(summary(c) for c in sized[:CANDIDATES_KEPT])
        excluded = None
        if command.exclude:
            other, _ = self.find(image, command.exclude, language=language)
            if other.found and other.best is not None:
                excluded = at_size(other.best, image.size).mask
        found = select_region(sized, command=command, threshold=ranking.threshold, ranked=ranked,
                              excluded=excluded, ask_when_unsure=not self.models.preset.tiny)
        timings["select"] = time.perf_counter() - start
        return found if isinstance(found, Ask) else (found, ranked)

    @staticmethod
    def _without_asking(ask: Ask, command: EditCommand) -> tuple[Candidate, tuple[dict, ...]]:
        """With nobody to ask: not found and out of range are refused; otherwise the best candidate."""
        if ask.reason == "not_found":
            raise not_found(command.source, command.language)
        if ask.reason == "out_of_range":
            raise refusal("out_of_range", **ask.fields)
        return max(ask.candidates, key=lambda c: c.score), ask.fields["ranked"]

    def _repaint(self, image: Image.Image, mask: np.ndarray, *, action: str, source: str, target: str | None,
                 language: str, settings: EditSettings, inpaint_settings: InpaintSettings,
                 on_step: DiffusionStepCallback) -> InpaintResult:
        """The new pixels for `action` at `mask` (bool HxW) of `image`, pasted back at full size."""
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


def add_region(mask: np.ndarray) -> np.ndarray:
    """Where to put a new thing onto a region (bool HxW): an ellipse at the region's centre, a third
    of its box across, so the new object sits on the region with some of it around."""
    segment = Segment.from_mask(mask)
    x0, y0, x1, y1 = segment.box
    cx, cy = segment.centre
    rx, ry = max(4.0, (x1 - x0) / 6), max(4.0, (y1 - y0) / 6)
    ys, xs = np.ogrid[:mask.shape[0], :mask.shape[1]]
    return ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
