"""Stable Diffusion: the diffusers inpainting pipeline of a preset's `sd_en` / `sd_zh`.

    pipe = load_inpaint_pipeline("sd_en", "stable-diffusion-v1-5/stable-diffusion-inpainting", "cuda", torch.float16)
"""
from __future__ import annotations

from pathlib import Path

from tools.device import dtype_for
from tools.fetch import from_hub, looks_local, not_a_model, unavailable


def check_pipeline_folder(component: str, source: str) -> None:
    """A local `sd_*` must be a folder saved by diffusers (it holds model_index.json)."""
    folder = Path(source).expanduser()
    if not folder.exists():
        raise unavailable(component, source, "no such file or folder")
    if not (folder / "model_index.json").is_file():
        raise not_a_model(component, source)


def load_inpaint_pipeline(component: str, source: str, device: str, dtype=None):
    """A diffusers `StableDiffusionInpaintPipeline` (9-channel inpaint UNet or 4-channel text-to-image
    UNet, which the pipeline handles by latent blending), safety checker off, progress bar off."""
    from diffusers import StableDiffusionInpaintPipeline

    if looks_local(source):
        check_pipeline_folder(component, source)
    pipe = from_hub(component, source, lambda local_files_only: StableDiffusionInpaintPipeline.from_pretrained(
        source, dtype=dtype or dtype_for(device), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False, local_files_only=local_files_only))
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)
