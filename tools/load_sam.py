"""SAM: the builders per variant and `load_sam`, which reads a checkpoint safely (weights only).

    sam = load_sam("vit_h", "vit_h", "cuda")            # fetched into the cache on first use
    sam = load_sam("/models/sam_vit_b.pth", "vit_b", "cpu")
"""
from __future__ import annotations

from typing import Callable

from tools.fetch import ProgressCallback, not_a_model, sam_checkpoint_path, unavailable
from tools.tiny_models import build_tiny_sam


def sam_builders() -> dict[str, Callable]:
    """SAM variant → builder taking `checkpoint=`; "tiny" is the test architecture (same interface)."""
    from segment_anything.build_sam import sam_model_registry

    builders = dict(sam_model_registry)
    builders["tiny"] = build_tiny_sam
    return builders


ENCODER_WIDTHS = {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}  # patch embedding channels per variant


def variant_of(state: dict, expected: str) -> str:
    """The SAM variant a checkpoint's state dict is (a local sam_vit_b file under a vit_h preset is
    read as vit_b); `expected` when the width says nothing (the tiny test architecture)."""
    weight = state.get("image_encoder.patch_embed.proj.weight")
    found = ENCODER_WIDTHS.get(int(weight.shape[0])) if hasattr(weight, "shape") else None
    return found if found is not None and expected != "tiny" else expected


def load_sam(source: str, variant: str, device: str, *, on_progress: ProgressCallback | None = None):
    """A `segment_anything.Sam` on `device`, in eval mode.

    `source` is a variant name ("vit_h": the checkpoint is fetched into the cache, `on_progress` sees
    the download) or a local `.pth` file / folder; a local checkpoint of another variant than
    `variant` (sam_vit_b.pth for a vit_h preset) is built as the variant its weights are.
    A file that is not a SAM state dict is refused in one line naming it; the file is read with
    weights_only=True, never unpickled.
    """
    path = sam_checkpoint_path(source, on_progress=on_progress)
    builder = sam_builders().get(variant)
    if builder is None:
        raise unavailable("sam", source, f"unknown SAM variant '{variant}' (vit_b, vit_l, vit_h)")
    import torch

    try:  # read the file first: a corrupted one fails before a large model is built
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise not_a_model("sam", str(path)) from exc
    if not isinstance(state, dict) or not any(str(key).startswith("image_encoder.") for key in state):
        raise not_a_model("sam", str(path))
    variant = variant_of(state, variant)
    builder = sam_builders()[variant]
    try:
        sam = builder(checkpoint=None)
        sam.load_state_dict(state)
    except Exception as exc:
        raise unavailable("sam", source, f"the checkpoint does not fit SAM {variant}") from exc
    return sam.to(device).eval()
