"""The model registry: load the models of a preset once, lazily, and share them.

    models = load_models("tiny")            # nothing is loaded yet
    segmenter = models.segmenter()          # SAM, loaded on first use
    ranker = models.ranker("zh")            # cn_clip for Chinese text (per the preset)
    inpainter = models.inpainter("en")      # diffusers inpainting for English text

How each family loads lives beside this file: tools/device.py (device, precision), tools/load_sam.py,
tools/load_clip.py (CLIP and cn_clip), tools/load_sd.py (diffusers). Every loader turns a missing or
broken model into one `ModelUnavailableError` sentence naming the model and the setting to point at a
local copy; a component's path is checked when that component is first loaded, so a wrong path for a
model a turn never uses costs nothing.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Callable

from tools.device import PRECISION_ENV, PRECISIONS, cpu_has_native_bf16, dtype_for, resolve_device
from tools.inpaint import Inpainter
from tools.load_clip import load_cn_clip, load_hf_clip
from tools.load_sam import load_sam, sam_builders
from tools.load_sd import load_inpaint_pipeline
from tools.presets import Preset, cache_dir, get_preset
from tools.quiet import quiet_libraries, quiet_stdout
from tools.rank import ClipScorer, CnClipScorer
from tools.segment import Segmenter
from tools.tiny_models import build_tiny_sam, ensure_tiny_models

# names other modules import from here (kept where they were before the loaders moved out)
__all__ = ["PRECISION_ENV", "PRECISIONS", "Models", "build_tiny_sam", "cpu_has_native_bf16", "dtype_for",
           "load_cn_clip", "load_hf_clip", "load_inpaint_pipeline", "load_models", "load_sam", "quiet_libraries",
           "quiet_stdout", "resolve_device", "sam_builders"]


@dataclass
class Models:
    """The models of one preset, each loaded lazily once and shared by every session and thread."""

    preset: Preset
    device: str
    _loaded: dict = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def _once(self, key: str, build: Callable):
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = build()
            return self._loaded[key]

    @property
    def dtype(self):
        """What SAM and SD compute in: $EDIT_EVERYTHING_PRECISION, else the preset's precision."""
        return dtype_for(self.device, os.environ.get(PRECISION_ENV) or self.preset.precision)

    def model_id(self, component: str) -> str:
        """The Hub id or local path behind `component` ("sam", "clip_zh", "sd_en", ...)."""
        return self.preset.sources[component]

    def ranker_component(self, language: str) -> str:
        return self.preset.rankers[language]

    def inpainter_component(self, language: str) -> str:
        return self.preset.inpainters[language]

    def components(self, language: str | None = None) -> list[str]:
        """The components a turn in `language` uses (SAM, its ranker, its inpainter); all of the
        preset's when `language` is None."""
        languages = [language] if language else list(self.preset.rankers)
        found = ["sam"]
        for lang in languages:
            found += [self.ranker_component(lang), self.inpainter_component(lang)]
        return list(dict.fromkeys(found))

    def is_loaded(self, component: str) -> bool:
        return component in self._loaded

    def segmenter(self) -> Segmenter:
        """The shared `tools.segment.Segmenter` (SAM)."""
        def build():
            sam = load_sam(self.preset.sources["sam"], self.preset.sam_variant, self.device)
            return Segmenter(sam, model_id=self.preset.sources["sam"], auto=self.preset.auto, dtype=self.dtype)

        return self._once("sam", build)

    def ranker(self, language: str) -> ClipScorer:
        """The shared `tools.rank.ClipScorer` for text in `language` ("zh" or "en")."""
        component = self.ranker_component(language)
        source = self.preset.sources[component]

        def build():
            if component == "clip_zh":
                return CnClipScorer(*load_cn_clip(source, self.device), model_id=source)
            return ClipScorer(*load_hf_clip(source, self.device), model_id=source)

        return self._once(component, build)

    def inpainter(self, language: str) -> Inpainter:
        """The shared `tools.inpaint.Inpainter` for prompts in `language`."""
        component = self.inpainter_component(language)
        source = self.preset.sources[component]
        return self._once(component, lambda: Inpainter(
            load_inpaint_pipeline(component, source, self.device, self.dtype), model_id=source))


def load_models(preset: str | Preset = "auto", *, device: str = "auto",
                overrides: dict[str, str] | None = None) -> Models:
    """Resolve a preset (no network, nothing loaded yet). The tiny preset's models are built in the
    cache on first call, so it works offline. An unknown component in `overrides` is refused now; a
    wrong path is reported when that component is first loaded."""
    if isinstance(preset, str):
        preset = get_preset(preset, overrides)
    quiet_libraries()
    if preset.tiny:
        ensure_tiny_models(cache_dir())
    models = Models(preset=preset, device=resolve_device(device))
    _ = models.dtype  # a bad $EDIT_EVERYTHING_PRECISION is reported now, not in the middle of a turn
    return models
