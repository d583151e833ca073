"""Fetch every model of a preset into the cache before the first edit, and verify what is there.

    for fetched in fetch_preset(get_preset("en"), on_progress=show):   # show(DownloadProgress)
        print(fetched.component, fetched.path)

SAM's checkpoint is downloaded with its md5 checked; a Hub model is fetched file by file (only the
files its loader reads: one weights format, no fp16/EMA variants, no safety checker) into the Hugging
Face cache where `from_pretrained` finds it, then its config is read back. Offline, a model that is
not in the cache is one `ModelUnavailableError` line naming it and the variable to set.
"""
from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tools.errors import ModelUnavailableError
from tools.fetch import (
    ProgressCallback,
    fetch_hub_file,
    host_reachable,
    hub_url,
    looks_local,
    offline,
    sam_checkpoint_path,
    unavailable,
)
from tools.load_clip import check_hf_clip_folder, cn_clip_cache, cn_clip_hub_file, load_local_cn_clip
from tools.load_sd import check_pipeline_folder
from tools.presets import SAM_CHECKPOINTS, Preset
from tools.transfer import md5_of, progress_bar_class

SKIPPED_NAMES = ("fp16", "non_ema", "non-ema", "ema-only", "flax", "tf_model", "openvino", "onnx")
SKIPPED_FOLDERS = ("safety_checker", "feature_extractor")  # the inpainter loads neither
WEIGHTS = (".safetensors", ".bin")
CONFIGS = (".json", ".txt", ".model")


@dataclass(frozen=True)
class FetchedModel:
    """A component of a preset, present and verified: where it is on disk."""

    component: str  # "sam", "clip_zh", ...
    source: str  # the Hub id, variant name or local path the preset names
    path: Path


def preset_components(preset: Preset) -> list[str]:
    """The components `preset` uses, in the order a turn loads them: SAM, rankers, inpainters."""
    return list(dict.fromkeys(["sam", *preset.rankers.values(), *preset.inpainters.values()]))


def fetch_preset(preset: Preset, *, components: list[str] | None = None, check: bool = True,
                 on_progress: ProgressCallback | None = None) -> list[FetchedModel]:
    """Fetch and verify each of `components` (default: every one `preset` uses); stops at the first
    that cannot be fetched (`ModelUnavailableError`). `check=False` trusts what the cache holds (no
    md5 of a cached SAM, no Hub request for a complete snapshot): the app's quick look before a turn."""
    return [fetch_model(component=component, source=preset.sources[component], check=check,
                        on_progress=on_progress)
            for component in (components or preset_components(preset))]


def fetch_model(*, component: str, source: str, check: bool = True,
                on_progress: ProgressCallback | None = None) -> FetchedModel:
    """One component in the cache (downloaded if needed) or at its local path, verified."""
    if not check and looks_local(source):  # nothing to download; its loader checks it at first use
        return FetchedModel(component, source, Path(source).expanduser())
    if component == "sam":
        if not check:
            return FetchedModel(component, source, sam_checkpoint_path(source, on_progress=on_progress))
        return FetchedModel(component, source, verified_sam(source, on_progress))
    if component == "clip_zh":
        hub_file = cn_clip_hub_file(source)
        if hub_file is None:
            load_local_cn_clip(source)  # read once: a file that is not a cn_clip checkpoint is refused now
            return FetchedModel(component, source, Path(source).expanduser())
        path = fetch_hub_file(component, source, repo=hub_file[0], file=hub_file[1], local_dir=cn_clip_cache(),
                              on_progress=on_progress)
        return FetchedModel(component, source, path)
    pipeline = component.startswith("sd_")
    if looks_local(source):
        (check_pipeline_folder(component, source) if pipeline else check_hf_clip_folder(source))
        return FetchedModel(component, source, Path(source).expanduser())
    folder = fetch_hub_snapshot(component, source, pipeline=pipeline, check=check, on_progress=on_progress)
    verify_snapshot(component, source, folder, pipeline=pipeline)
    return FetchedModel(component, source, folder)


def verified_sam(source: str, on_progress: ProgressCallback | None) -> Path:
    """SAM's checkpoint; a cached one whose md5 no longer matches is deleted and reported."""
    path = sam_checkpoint_path(source, on_progress=on_progress)
    info = SAM_CHECKPOINTS.get(source)
    if info is not None and info.md5 and md5_of(path) != info.md5:
        path.unlink(missing_ok=True)
        raise unavailable("sam", source, "the cached checkpoint was damaged and is deleted; run download again")
    return path


def hub_files_to_fetch(files: list[str], *, pipeline: bool) -> list[str]:
    """The files of a Hub repo that its loader reads: configs and tokenizer files, and per folder one
    weights format (safetensors when there, else .bin) without fp16/EMA/other-framework variants. A
    diffusers pipeline's files are in its component folders (its root has only model_index.json);
    a transformers model's are at the root."""
    chosen, weights = [], defaultdict(list)
    for file in files:
        folder, _, name = file.rpartition("/")
        lowered = name.lower()
        if "/" in folder or (pipeline and folder in SKIPPED_FOLDERS) or any(s in lowered for s in SKIPPED_NAMES):
            continue
        if pipeline and not folder and name != "model_index.json":
            continue
        if not pipeline and folder:
            continue
        if lowered.endswith(WEIGHTS):
            weights[folder].append(file)
        elif lowered.endswith(CONFIGS):
            chosen.append(file)
    for found in weights.values():
        chosen += [f for f in found if f.endswith(".safetensors")] or found
    return chosen


def fetch_hub_snapshot(component: str, repo: str, *, pipeline: bool, check: bool = True,
                       on_progress: ProgressCallback | None) -> Path:
    """The folder of `repo`'s snapshot in the Hugging Face cache, with the files its loader reads
    (each one asked of the Hub unless `check` is False and the cached snapshot looks complete)."""
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download

    config = "model_index.json" if pipeline else "config.json"
    if not check:
        with contextlib.suppress(Exception):
            cached = Path(snapshot_download(repo, local_files_only=True))
            verify_snapshot(component, repo, cached, pipeline=pipeline)
            return cached
    if offline() or not host_reachable(hub_url()):
        try:
            return Path(snapshot_download(repo, local_files_only=True))
        except Exception as exc:
            reason = "downloads are off" if offline() else f"{hub_url()} cannot be reached"
            raise unavailable(component, repo, f"not in the cache and {reason}") from exc
    try:
        files = hub_files_to_fetch(HfApi().list_repo_files(repo), pipeline=pipeline)
        for file in files:
            hf_hub_download(repo, file, tqdm_class=progress_bar_class(component, file, on_progress))
        return Path(hf_hub_download(repo, config)).parent
    except ModelUnavailableError:
        raise
    except Exception as exc:
        raise unavailable(component, repo, exc) from exc


def verify_snapshot(component: str, repo: str, folder: Path, *, pipeline: bool) -> None:
    """The snapshot's config reads, and a pipeline has a folder for each part it names."""
    try:
        config = json.loads((folder / ("model_index.json" if pipeline else "config.json")).read_text("utf-8"))
    except Exception as exc:
        raise unavailable(component, repo, "its config is missing or unreadable; run download again") from exc
    if pipeline:
        parts = [part for part, spec in config.items() if isinstance(spec, list) and spec[0]]
        missing = [part for part in parts if part not in SKIPPED_FOLDERS and not (folder / part).is_dir()]
        if missing:
            raise unavailable(component, repo, f"incomplete: no {', '.join(missing)}; run download again")
