"""`ours`: the product's real code path — `agent.editor.Editor` over a `tools.models.Models` whose
model cache is pre-filled with the product's Segmenter / ClipScorer / Inpainter built around the
benchmark's modules. Everything the Editor does (embedding and segment caches, carry-over across
edits, batched CLIP, crop-window SD, paste-back) runs as in the app.

The one intervention: random-weight CLIP ranks at random, so while a turn runs the Editor's ranking
is steered (after CLIP has scored every crop) to the smallest candidate under the turn's anchor —
the region the baseline edits too. If no candidate holds the anchor, the ranking says "not found",
which makes the Editor re-segment a carried-over version from scratch, exactly as for a real miss.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import replace

from PIL import Image

from bench.workload import Turn, pick


def build_models(components, preset):
    """A `Models` for `preset` with its shared models already loaded (the benchmark's modules), in
    the precision the product picks for this CPU (`Models.dtype`; bf16 where the CPU has native
    bf16): SAM under autocast, SD as a converted copy (the seed-style mode keeps float32)."""
    import copy

    import torch

    from tools.inpaint import Inpainter
    from tools.models import Models
    from tools.rank import ClipScorer
    from tools.segment import Segmenter

    models = Models(preset=preset, device="cpu")
    dtype = models.dtype
    pipe = components.pipe if dtype == torch.float32 else copy.deepcopy(components.pipe).to(dtype=dtype)
    models._loaded["sam"] = Segmenter(components.sam, model_id=preset.sources["sam"], auto=preset.auto, dtype=dtype)
    models._loaded[models.ranker_component("en")] = ClipScorer(
        components.clip_model, components.clip_processor, model_id=preset.sources["clip_en"])
    models._loaded[models.inpainter_component("en")] = Inpainter(pipe, model_id=preset.sources["sd_en"])
    return models


def bench_preset(tiny: bool, sam_variant: str):
    """The product's preset (the real "en" one, or "tiny" for --quick) with CLIP's threshold off
    (random scores) — same SAM generator settings, work size and everything else."""
    from tools.presets import get_preset

    if tiny:
        return replace(get_preset("tiny"), name="bench-quick")
    return replace(get_preset("en"), name="bench", sam_variant=sam_variant, not_found_below=0.0)


@contextlib.contextmanager
def steered(full_size: tuple[int, int], turn: Turn):
    """While active, the Editor's ranking puts the smallest candidate under `turn`'s anchor first."""
    import agent.editor as editor_module

    real = editor_module.rank_segments
    seen: dict = {"rankings": 0, "crops_scored": 0, "segments": 0}

    def rank(image, segments, source, scorer, **kwargs):
        ranking = real(image, segments, source, scorer, **kwargs)
        seen["rankings"] += 1
        seen["crops_scored"] += ranking.crops_scored
        seen["segments"] = len(segments)
        scale = image.width / full_size[0]
        x, y = turn.point(*full_size)
        chosen = pick([c.mask for c in ranking.candidates], (int(x * scale), int(y * scale)))
        if chosen is None:
            return replace(ranking, found=False)
        first = ranking.candidates[chosen]
        rest = [c for i, c in enumerate(ranking.candidates) if i != chosen]
        candidates = [replace(c, rank=i + 1) for i, c in enumerate([first] + rest)]
        return replace(ranking, candidates=candidates, found=True)

    editor_module.rank_segments = rank
    try:
        yield seen
    finally:
        editor_module.rank_segments = real


class Ours:
    def __init__(self, components, preset, *, steps: int, seed: int = 0):
        from agent.editor import Editor, EditSettings

        self.models = build_models(components, preset)
        self.editor = Editor(self.models)
        self.settings = EditSettings(steps=steps, seed=seed)
        self.turns_done = 0
        self.last_removal = None  # (turn number, image, mask) of the last SD removal

    @property
    def segmenter(self):
        return self.models.segmenter()

    @property
    def pipe(self):
        return self.models.inpainter("en").pipe

    @property
    def precision(self) -> str:
        """The dtype SAM and SD compute in (CLIP stays float32)."""
        return str(self.segmenter.dtype).removeprefix("torch.")

    def turn(self, image: Image.Image, turn: Turn) -> tuple[Image.Image, dict]:
        from agent.editor import SEGMENT_MAX_SIDE
        from tools.images import downscale_for_work
        from tools.inpaint import work_dimensions

        encodes = self.segmenter.encoder_calls
        carried = self.segmenter.is_carried(downscale_for_work(image, SEGMENT_MAX_SIDE)[0],
                                            self.settings.points_per_side)
        started = time.perf_counter()
        with steered(image.size, turn) as seen:
            result = self.editor.edit(image, source=turn.source, target=turn.target, remove=turn.remove,
                                      language="en", settings=self.settings)
        wall = time.perf_counter() - started
        self.turns_done += 1
        if turn.remove and result.chosen is not None:
            from tools.masks import resize_mask

            self.last_removal = (self.turns_done, image, resize_mask(result.chosen.mask, image.size))
        timings = {k: result.timings.get(k, 0.0) for k in ("segment", "rank", "inpaint", "paste")}
        timings["total"] = wall
        timings["other"] = max(0.0, wall - sum(timings[k] for k in ("segment", "rank", "inpaint", "paste")))
        inpainter = self.models.inpainter("en")
        x0, y0, x1, y1 = result.window
        sd_size = work_dimensions(x1 - x0, y1 - y0, self.editor.inpaint_settings(self.settings))
        facts = {"segments": seen["segments"], "crops_scored": seen["crops_scored"],
                 "rankings": seen["rankings"], "sam_encodes": self.segmenter.encoder_calls - encodes,
                 "carried": bool(carried and seen["rankings"] == 1),
                 "chosen_box": list(result.chosen.box) if result.chosen else None,
                 "changed_window": list(result.window), "sd_size": list(sd_size),
                 "unet_calls_total": inpainter.unet_calls}
        return result.image, {"timings": timings, **facts}

    def same_version_segment_seconds(self, image: Image.Image) -> tuple[float, int]:
        """Seconds for the segment stage of a second instruction on `image`, already segmented."""
        encodes = self.segmenter.encoder_calls
        start = time.perf_counter()
        self.editor.segments(image, settings=self.settings)
        return time.perf_counter() - start, self.segmenter.encoder_calls - encodes
