"""Model presets as data: which segmenter, rankers and inpainters a preset uses.

A component is named by a Hub id (fetched on first use) or a local directory/file. Every component
can be pointed at a local copy with an environment variable (see `COMPONENT_ENV`) or the CLI's
`--model COMPONENT=PATH`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from tools.errors import BadInputError
from tools.segment import AutoSettings

PRESET_NAMES = ("auto", "zh", "en", "tiny")
DEFAULT_PRESET = "auto"

# component -> environment variable that points it at a local copy
COMPONENT_ENV = {
    "sam": "EDIT_EVERYTHING_SAM",
    "clip_en": "EDIT_EVERYTHING_CLIP_EN",
    "clip_zh": "EDIT_EVERYTHING_CLIP_ZH",
    "sd_en": "EDIT_EVERYTHING_SD_EN",
    "sd_zh": "EDIT_EVERYTHING_SD_ZH",
}

COMPONENT_TITLES = {
    "sam": ("the SAM segmenter", "SAM 分割模型"),
    "clip_en": ("the English CLIP ranker", "英文 CLIP 排序模型"),
    "clip_zh": ("the Chinese CLIP ranker", "中文 CLIP 排序模型"),
    "sd_en": ("the English Stable Diffusion inpainter", "英文 Stable Diffusion 重绘模型"),
    "sd_zh": ("the Chinese Stable Diffusion inpainter", "中文 Stable Diffusion 重绘模型"),
}


@dataclass(frozen=True)
class SamCheckpoint:
    """A SAM variant ("vit_b", "vit_l", "vit_h" or "tiny") and where its checkpoint comes from."""

    variant: str
    url: str = ""
    md5: str = ""


SAM_CHECKPOINTS = {
    "vit_b": SamCheckpoint(
        "vit_b", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
        "01ec64d29a2fca3f0661936605ae66f8"),
    "vit_l": SamCheckpoint(
        "vit_l", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
        "0b3195507c641ddb6910d2bb5adee89c"),
    "vit_h": SamCheckpoint(
        "vit_h", "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
        "4b8939a88964f0f4ff5f5b2642c598a6"),
}


@dataclass(frozen=True)
class Preset:
    """Where each component comes from. Values are Hub ids, SAM variant names or local paths.

    `rankers` / `inpainters` map the request language ("zh", "en") to a component key
    ("clip_zh", "clip_en", "sd_zh", "sd_en"); `sources` maps a component key to its id or path.
    """

    name: str
    sources: dict[str, str]
    rankers: dict[str, str] = field(default_factory=lambda: {"zh": "clip_zh", "en": "clip_en"})
    inpainters: dict[str, str] = field(default_factory=lambda: {"zh": "sd_zh", "en": "sd_en"})
    sam_variant: str = "vit_h"
    tiny: bool = False
    # a calibrated score below this means "not found"; the tiny preset's scores mean nothing
    not_found_below: float = 0.5
    # segments above this fraction of the frame are not candidates (the tiny SAM's random weights
    # give one near-full-frame segment, so the tiny preset keeps it)
    max_area_fraction: float = 0.9
    # short side of the crop window SD works on
    work_size: int = 512
    auto: AutoSettings = AutoSettings()
    # what SAM and SD compute in (tools.models.dtype_for): "auto" = fp16 on CUDA, bf16 on a CPU with
    # native bf16, else fp32; the tiny preset stays fp32 (bf16 makes its tiny convolutions slower)
    precision: str = "auto"


REAL_SOURCES = {
    "sam": "vit_h",
    "clip_en": "openai/clip-vit-large-patch14",
    "clip_zh": "ViT-L-14",
    "sd_en": "stable-diffusion-v1-5/stable-diffusion-inpainting",
    "sd_zh": "IDEA-CCNL/Taiyi-Stable-Diffusion-1B-Chinese-v0.1",
}


def _real(name: str, rankers: dict[str, str], inpainters: dict[str, str]) -> Preset:
    return Preset(name=name, sources=dict(REAL_SOURCES), rankers=rankers, inpainters=inpainters)


def tiny_sources(cache_dir: Path) -> dict[str, str]:
    """Local directories of the tiny random-weight models (built by tools.tiny_models)."""
    root = cache_dir / "tiny"
    return {
        "sam": str(root / "sam" / "sam_tiny.pth"),
        "clip_en": str(root / "clip_en"),
        "clip_zh": str(root / "clip_zh"),
        "sd_en": str(root / "sd_en"),
        "sd_zh": str(root / "sd_zh"),
    }


def cache_dir() -> Path:
    """The user's model cache: $EDIT_EVERYTHING_CACHE or ~/.cache/edit-everything."""
    return Path(os.environ.get("EDIT_EVERYTHING_CACHE") or Path.home() / ".cache" / "edit-everything")


def get_preset(name: str, overrides: dict[str, str] | None = None) -> Preset:
    """The preset called `name`, with environment and explicit overrides applied.

    overrides: component key ("sam", "clip_en", ...) -> Hub id or local path; these win over the
    environment variables in COMPONENT_ENV, which win over the preset's defaults.
    """
    name = (name or DEFAULT_PRESET).strip().lower()
    if name == "auto":
        preset = _real("auto", {"zh": "clip_zh", "en": "clip_en"}, {"zh": "sd_zh", "en": "sd_en"})
    elif name == "zh":
        preset = _real("zh", {"zh": "clip_zh", "en": "clip_zh"}, {"zh": "sd_zh", "en": "sd_zh"})
    elif name == "en":
        preset = _real("en", {"zh": "clip_en", "en": "clip_en"}, {"zh": "sd_en", "en": "sd_en"})
    elif name == "tiny":
        preset = Preset(name="tiny", sources=tiny_sources(cache_dir()), sam_variant="tiny",
                        tiny=True, not_found_below=0.0, max_area_fraction=1.0, work_size=128, precision="fp32",
                        auto=AutoSettings(points_per_side=8, pred_iou_thresh=0.0,
                                          stability_score_thresh=0.0, min_mask_region_area=0))
    else:
        raise BadInputError(
            f"Unknown preset '{name}'. Choose one of: {', '.join(PRESET_NAMES)}.",
            zh=f"未知的预设“{name}”。可选：{'、'.join(PRESET_NAMES)}。")
    sources = dict(preset.sources)
    if not preset.tiny:
        for key, env in COMPONENT_ENV.items():
            if os.environ.get(env, "").strip():
                sources[key] = os.environ[env].strip()
    for key, value in (overrides or {}).items():
        if key not in COMPONENT_ENV:
            raise BadInputError(
                f"Unknown model component '{key}'. Use one of: {', '.join(COMPONENT_ENV)}.",
                zh=f"未知的模型组件“{key}”。可选：{'、'.join(COMPONENT_ENV)}。")
        sources[key] = value
    sam_variant = preset.sam_variant
    if sources["sam"] in SAM_CHECKPOINTS:
        sam_variant = sources["sam"]
    return replace(preset, sources=sources, sam_variant=sam_variant)
