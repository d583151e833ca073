"""Load the models of a preset once, lazily, and share them.

    models = load_models("tiny")            # nothing is loaded yet
    segmenter = models.segmenter()          # SAM, loaded on first use
    ranker = models.ranker("zh")            # cn_clip for Chinese text (per the preset)
    inpainter = models.inpainter("en")      # diffusers inpainting for English text

Every loader turns a missing or broken model into one `ModelUnavailableError` sentence that names
the model and the setting to point at a local copy.
"""
from __future__ import annotations

import contextlib
import io
import os
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from tools.errors import BadInputError, ModelUnavailableError
from tools.fetch import from_hub, host_reachable, hub_url, looks_local, offline, sam_checkpoint_path, unavailable
from tools.presets import Preset, cache_dir, get_preset


def resolve_device(device: str = "auto") -> str:
    """"auto" → "cuda" when available, else "mps", else "cpu"; other values are returned as given."""
    import torch

    name = (device or "auto").strip().lower()
    if name != "auto":
        kind = name.split(":")[0]
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
        if kind not in available:
            raise BadInputError(f"Unknown device '{device}': use auto, cpu, cuda or mps.",
                                zh=f"未知的设备“{device}”：可选 auto、cpu、cuda、mps。")
        if not available[kind]:
            raise BadInputError(f"The device '{device}' is not available on this machine; use --device auto.",
                                zh=f"这台机器上没有设备“{device}”；请用 --device auto。")
        return name
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


PRECISION_ENV = "EDIT_EVERYTHING_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def cpu_has_native_bf16() -> bool:
    """True on a CPU with bf16 instructions (AVX512-BF16 or AMX), where bf16 runs ~2–4× fp32."""
    import torch

    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def dtype_for(device: str, precision: str = "auto"):
    """The dtype SAM and Stable Diffusion compute in on `device`.

    `precision`: "auto" is float16 on CUDA,
    bfloat16 on a CPU with native bf16 instructions, float32 elsewhere (MPS, older CPUs; CPU fp16
    is slow or unsupported). "fp32", "bf16" or "fp16" force one (fp16 needs a GPU). CLIP ranking
    always stays float32: its scores are compared against a calibrated threshold.
    """
    import torch

    name = (precision or "auto").strip().lower()
    if name not in PRECISIONS:
        raise BadInputError(f"Unknown precision '{name}': use {', '.join(PRECISIONS)} ({PRECISION_ENV}).",
                            zh=f"未知的精度“{name}”：可选 {', '.join(PRECISIONS)}（{PRECISION_ENV}）。")
    on_cpu = device.startswith("cpu")
    if name == "fp16" and on_cpu:
        raise BadInputError("fp16 needs a GPU; on a CPU use bf16 or fp32.", zh="fp16 需要 GPU；CPU 上请用 bf16 或 fp32。")
    if name == "auto":
        if device.startswith("cuda"):
            return torch.float16
        return torch.bfloat16 if on_cpu and cpu_has_native_bf16() else torch.float32
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def quiet_libraries() -> None:
    """No download/loading progress bars from transformers and diffusers in our output."""
    import diffusers
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()


@contextlib.contextmanager
def quiet_stdout():
    """Silence libraries that `print` while loading (cn_clip prints model configs)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# ----------------------------------------------------------------------------------------- SAM
def sam_builders() -> dict[str, Callable]:
    """SAM variant → builder taking `checkpoint=`; "tiny" is the test architecture (same builder)."""
    from segment_anything.build_sam import sam_model_registry

    builders = dict(sam_model_registry)
    builders["tiny"] = build_tiny_sam
    return builders


def build_tiny_sam(checkpoint: str | None = None):
    """A 256-px, 2-block, 64-wide SAM for tests; loads `checkpoint` (a state dict) like SAM's builders."""
    import torch
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=2, embed_dim=64, img_size=256, mlp_ratio=4, num_heads=2, patch_size=16, qkv_bias=True,
            use_rel_pos=True, global_attn_indexes=[1], window_size=4, out_chans=32,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6)),
        prompt_encoder=PromptEncoder(embed_dim=32, image_embedding_size=(16, 16),
                                     input_image_size=(256, 256), mask_in_chans=8),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3, transformer_dim=32, iou_head_depth=3, iou_head_hidden_dim=32,
            transformer=TwoWayTransformer(depth=2, embedding_dim=32, mlp_dim=64, num_heads=2)),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])
    sam.eval()
    if checkpoint is not None:
        sam.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    return sam


def load_sam(source: str, variant: str, device: str):
    """A `segment_anything.Sam` on `device`, in eval mode."""
    path = sam_checkpoint_path(source)
    builder = sam_builders().get(variant)
    if builder is None:
        raise unavailable("sam", source, f"unknown SAM variant '{variant}' (vit_b, vit_l, vit_h)")
    import torch

    try:  # read the file first: a corrupted one fails before a large model is built
        state = torch.load(path, map_location="cpu", weights_only=True)
        sam = builder(checkpoint=None)
    except Exception as exc:
        raise unavailable("sam", source, exc) from exc
    try:
        sam.load_state_dict(state)
    except Exception as exc:
        raise unavailable("sam", source, f"the checkpoint does not fit SAM {variant}") from exc
    return sam.to(device).eval()


# ---------------------------------------------------------------------------------------- CLIP
def load_hf_clip(source: str, device: str):
    """(transformers CLIPModel, CLIPProcessor) from a Hub id or a local directory."""
    from transformers import CLIPModel, CLIPProcessor

    def load(local_files_only: bool):
        return (CLIPModel.from_pretrained(source, local_files_only=local_files_only),
                CLIPProcessor.from_pretrained(source, local_files_only=local_files_only))

    model, processor = from_hub("clip_en", source, load)
    return model.to(device).eval(), processor


def load_cn_clip(source: str, device: str):
    """(cn_clip CLIP model, image transform) from a model name or a local directory/file.

    A name cn_clip knows ("ViT-L-14", ...) is fetched into the cache by cn_clip. Every checkpoint is
    read with weights_only=True (`cn_clip_model`), never unpickled. A local directory holds one `*.pt` checkpoint (cn_clip's format: a dict with
    "state_dict") and, unless its file name is cn_clip's own, a `config.json`: either
    {"vision_model_name", "text_model_name", "input_resolution"} naming cn_clip's configs, or
    {"model_info": {...CLIP kwargs...}, "input_resolution": N} for a custom architecture.
    """
    import json

    import torch
    from cn_clip.clip import utils as cn_utils
    from cn_clip.clip.model import CLIP, convert_weights

    if source in cn_utils.available_models():
        if not (cache_dir() / "cn_clip" / cn_utils._MODELS[source][1]).is_file():
            if offline():
                raise unavailable("clip_zh", source, "not in the cache and downloads are off")
            if not host_reachable(hub_url()):
                raise unavailable("clip_zh", source, f"not in the cache and {hub_url()} cannot be reached")
        try:
            info = cn_utils._MODEL_INFO[source]
            checkpoint = Path(cn_utils._download(source, str(cache_dir() / "cn_clip")))
            model = cn_clip_model(checkpoint, info["struct"])
        except Exception as exc:
            raise unavailable("clip_zh", source, exc) from exc
        return model.to(device).eval(), cn_utils.image_transform(info["input_resolution"])

    path = Path(source).expanduser()
    folder = path if path.is_dir() else path.parent
    checkpoints = sorted(folder.glob("*.pt")) if path.is_dir() else [path]
    if not checkpoints or not checkpoints[0].is_file():
        raise unavailable("clip_zh", source, "no such file or no .pt checkpoint in that folder")
    checkpoint = checkpoints[0]
    try:
        config_file = folder / "config.json"
        known = {file: name for name, (_, file) in cn_utils._MODELS.items()}
        if checkpoint.name in known and not config_file.exists():
            info = cn_utils._MODEL_INFO[known[checkpoint.name]]
            model = cn_clip_model(checkpoint, info["struct"])
            return model.to(device).eval(), cn_utils.image_transform(info["input_resolution"])
        config = json.loads(config_file.read_text(encoding="utf-8"))
        resolution = int(config["input_resolution"])
        if "model_info" in config:
            model = CLIP(**config["model_info"])
            convert_weights(model)
            state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
            state = {k.removeprefix("module."): v for k, v in state.items() if "bert.pooler" not in k}
            model.load_state_dict(state)
        else:
            model = cn_clip_model(checkpoint, f"{config['vision_model_name']}@{config['text_model_name']}")
    except ModelUnavailableError:
        raise
    except Exception as exc:
        raise unavailable("clip_zh", source, exc) from exc
    return model.float().to(device).eval(), cn_utils.image_transform(resolution)


def cn_clip_model(checkpoint: Path, structure: str):
    """cn_clip's `load_from_name` without its pickle: the checkpoint (a dict with "state_dict") is
    read with weights_only=True whatever the torch version, then `create_model(structure)` builds
    the model ("ViT-B-16@RoBERTa-wwm-ext-base-chinese": cn_clip's own config files)."""
    import torch
    from cn_clip.clip.utils import create_model

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    with quiet_stdout():
        return create_model(structure, state).float()


# ------------------------------------------------------------------------------------ diffusers
def load_inpaint_pipeline(component: str, source: str, device: str, dtype=None):
    """A diffusers `StableDiffusionInpaintPipeline` (9-channel inpaint UNet or 4-channel text-to-image
    UNet, which the pipeline handles by latent blending), safety checker off, progress bar off."""
    from diffusers import StableDiffusionInpaintPipeline

    pipe = from_hub(component, source, lambda local_files_only: StableDiffusionInpaintPipeline.from_pretrained(
        source, dtype=dtype or dtype_for(device), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False, local_files_only=local_files_only))
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


# --------------------------------------------------------------------------------------- Models
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

    def segmenter(self):
        """The shared `tools.segment.Segmenter` (SAM)."""
        from tools.segment import Segmenter

        def build():
            sam = load_sam(self.preset.sources["sam"], self.preset.sam_variant, self.device)
            return Segmenter(sam, model_id=self.preset.sources["sam"], auto=self.preset.auto, dtype=self.dtype)

        return self._once("sam", build)

    def ranker(self, language: str):
        """The shared `tools.rank.ClipScorer` for text in `language` ("zh" or "en")."""
        from tools.rank import ClipScorer, CnClipScorer

        component = self.ranker_component(language)
        source = self.preset.sources[component]

        def build():
            if component == "clip_zh":
                return CnClipScorer(*load_cn_clip(source, self.device), model_id=source)
            return ClipScorer(*load_hf_clip(source, self.device), model_id=source)

        return self._once(component, build)

    def inpainter(self, language: str):
        """The shared `tools.inpaint.Inpainter` for prompts in `language`."""
        from tools.inpaint import Inpainter

        component = self.inpainter_component(language)
        source = self.preset.sources[component]
        return self._once(component, lambda: Inpainter(
            load_inpaint_pipeline(component, source, self.device, self.dtype), model_id=source))


def load_models(preset: str | Preset = "auto", *, device: str = "auto",
                overrides: dict[str, str] | None = None) -> Models:
    """Resolve a preset (no network, nothing loaded yet). The tiny preset's models are built in the
    cache on first call, so it works offline."""
    if isinstance(preset, str):
        preset = get_preset(preset, overrides)
    quiet_libraries()
    if preset.tiny:
        from tools.tiny_models import ensure_tiny_models

        ensure_tiny_models(cache_dir())
    for component, source in preset.sources.items():  # a wrong path is reported before any work
        if looks_local(source) and not Path(source).expanduser().exists():
            raise unavailable(component, source, "no such file or folder")
    models = Models(preset=preset, device=resolve_device(device))
    _ = models.dtype  # a bad $EDIT_EVERYTHING_PRECISION is reported now, not in the middle of a turn
    return models
