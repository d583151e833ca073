"""The CLIP rankers' models: transformers' CLIP (English) and cn_clip (Chinese).

    model, processor = load_hf_clip("openai/clip-vit-large-patch14", "cpu")
    model, transform = load_cn_clip("ViT-L-14", "cpu")      # or a local folder / .pt file

Every checkpoint is read with weights_only=True, never unpickled.
"""
from __future__ import annotations

import json
from pathlib import Path

from tools.errors import ModelUnavailableError
from tools.fetch import ProgressCallback, fetch_hub_file, from_hub, looks_local, not_a_model, unavailable
from tools.presets import cache_dir
from tools.quiet import quiet_stdout

CN_CLIP_HUB_ORG = "OFA-Sys"  # cn_clip's own checkpoints live on the Hub as OFA-Sys/<repo>/<file>


def load_hf_clip(source: str, device: str):
    """(transformers CLIPModel, CLIPProcessor) from a Hub id or a local folder saved by transformers."""
    from transformers import CLIPModel, CLIPProcessor

    if looks_local(source):
        check_hf_clip_folder(source)

    def load(local_files_only: bool):
        return (CLIPModel.from_pretrained(source, local_files_only=local_files_only),
                CLIPProcessor.from_pretrained(source, local_files_only=local_files_only))

    model, processor = from_hub("clip_en", source, load)
    return model.to(device).eval(), processor


def check_hf_clip_folder(source: str) -> None:
    """A local `clip_en` must be a folder whose config.json is a CLIP model's (else one line naming it)."""
    folder = Path(source).expanduser()
    if not folder.exists():
        raise unavailable("clip_en", source, "no such file or folder")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except Exception as exc:
        raise not_a_model("clip_en", source) from exc
    if not isinstance(config, dict) or "clip" not in str(config.get("model_type", "")).lower():
        raise not_a_model("clip_en", source)


def cn_clip_hub_file(name: str) -> tuple[str, str] | None:
    """(Hub repo id, file name) of a checkpoint cn_clip knows by `name` ("ViT-L-14"), else None."""
    from cn_clip.clip import utils as cn_utils

    if name not in cn_utils.available_models():
        return None
    repo, file = cn_utils._MODELS[name]
    return f"{CN_CLIP_HUB_ORG}/{repo}", file


def cn_clip_cache() -> Path:
    """Where cn_clip's named checkpoints are kept: <cache>/cn_clip/<file>."""
    return cache_dir() / "cn_clip"


def load_cn_clip(source: str, device: str, *, on_progress: ProgressCallback | None = None):
    """(cn_clip CLIP model, image transform) from a model name or a local directory/file.

    A name cn_clip knows ("ViT-L-14", ...) is fetched into <cache>/cn_clip (`on_progress` sees the
    download). A local directory holds one `*.pt` checkpoint (cn_clip's format: a dict with
    "state_dict") and, unless its file name is cn_clip's own, a `config.json`: either
    {"vision_model_name", "text_model_name", "input_resolution"} naming cn_clip's configs, or
    {"model_info": {...CLIP kwargs...}, "input_resolution": N} for a custom architecture.
    """
    from cn_clip.clip import utils as cn_utils

    hub_file = cn_clip_hub_file(source)
    if hub_file is not None:
        checkpoint = fetch_hub_file("clip_zh", source, repo=hub_file[0], file=hub_file[1],
                                    local_dir=cn_clip_cache(), on_progress=on_progress)
        info = cn_utils._MODEL_INFO[source]
        try:
            model = cn_clip_model(checkpoint, info["struct"])
        except Exception as exc:
            raise unavailable("clip_zh", source, exc) from exc
        return model.to(device).eval(), cn_utils.image_transform(info["input_resolution"])
    model, resolution = load_local_cn_clip(source)
    return model.float().to(device).eval(), cn_utils.image_transform(resolution)


def load_local_cn_clip(source: str):
    """(cn_clip CLIP model on the CPU, input resolution) from a local folder or `.pt` file."""
    import torch
    from cn_clip.clip import utils as cn_utils
    from cn_clip.clip.model import CLIP, convert_weights

    path = Path(source).expanduser()
    if not path.exists():
        raise unavailable("clip_zh", source, "no such file or folder")
    folder = path if path.is_dir() else path.parent
    checkpoints = sorted(folder.glob("*.pt")) if path.is_dir() else [path]
    if not checkpoints:
        raise not_a_model("clip_zh", source)
    checkpoint = checkpoints[0]
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise not_a_model("clip_zh", str(checkpoint)) from exc
    if not isinstance(state, dict) or not isinstance(state.get("state_dict"), dict):
        raise not_a_model("clip_zh", str(checkpoint))
    try:
        config_file = folder / "config.json"
        known = {file: name for name, (_, file) in cn_utils._MODELS.items()}
        if checkpoint.name in known and not config_file.exists():
            info = cn_utils._MODEL_INFO[known[checkpoint.name]]
            return cn_clip_model(checkpoint, info["struct"]), int(info["input_resolution"])
        config = json.loads(config_file.read_text(encoding="utf-8"))
        resolution = int(config["input_resolution"])
        if "model_info" not in config:
            return cn_clip_model(checkpoint, f"{config['vision_model_name']}@{config['text_model_name']}"), resolution
        model = CLIP(**config["model_info"])
        convert_weights(model)
        weights = {k.removeprefix("module."): v for k, v in state["state_dict"].items() if "bert.pooler" not in k}
        model.load_state_dict(weights)
        return model, resolution
    except ModelUnavailableError:
        raise
    except Exception as exc:
        raise unavailable("clip_zh", source, exc) from exc


def cn_clip_model(checkpoint: Path, structure: str):
    """cn_clip's `load_from_name` without its pickle: the checkpoint (a dict with "state_dict") is
    read with weights_only=True whatever the torch version, then `create_model(structure)` builds
    the model ("ViT-B-16@RoBERTa-wwm-ext-base-chinese": cn_clip's own config files)."""
    import torch
    from cn_clip.clip.utils import create_model

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    with quiet_stdout():
        return create_model(structure, state).float()
