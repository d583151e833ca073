"""Where a model comes from: a local path, the user's cache, or a download — and the one-sentence
error when none of them works.

Downloads are tried only when the host answers, so a missing model offline is reported at once
instead of after minutes of retries.
"""
from __future__ import annotations

import functools
import logging
import os
import socket
import urllib.parse
from pathlib import Path
from typing import Callable

from tools.errors import ModelUnavailableError
from tools.presets import COMPONENT_ENV, COMPONENT_TITLES, SAM_CHECKPOINTS, cache_dir
from tools.transfer import DownloadProgress, ProgressCallback, download_url, progress_bar_class

__all__ = ["DownloadProgress", "ProgressCallback", "fetch_hub_file", "from_hub", "host_reachable", "hub_url",
           "looks_local", "not_a_model", "offline", "sam_cache_path", "sam_checkpoint_path", "unavailable"]

# what a local copy of each component must be, for the one line that says a file is not one
COMPONENT_FORMATS = {
    "sam": (("a SAM checkpoint", "a SAM .pth file"), ("SAM 检查点", "SAM 的 .pth 文件")),
    "clip_en": (("a CLIP model folder", "a folder saved by transformers' CLIPModel (config.json + weights)"),
                ("CLIP 模型文件夹", "transformers CLIPModel 保存的文件夹（config.json 和权重）")),
    "clip_zh": (("a cn_clip checkpoint", "a cn_clip .pt checkpoint or a folder holding one"),
                ("cn_clip 检查点", "cn_clip 的 .pt 检查点或包含它的文件夹")),
    "sd_en": (("a diffusers pipeline folder", "a folder saved by diffusers (model_index.json, unet/, vae/, …)"),
              ("diffusers 流水线文件夹", "diffusers 保存的文件夹（model_index.json、unet/、vae/ 等）")),
}
COMPONENT_FORMATS["sd_zh"] = COMPONENT_FORMATS["sd_en"]

log = logging.getLogger(__name__)


def offline() -> bool:
    """True when downloads are switched off (HF_HUB_OFFLINE=1 or EDIT_EVERYTHING_OFFLINE=1)."""
    return any(os.environ.get(v, "").strip() in ("1", "true", "yes")
               for v in ("HF_HUB_OFFLINE", "EDIT_EVERYTHING_OFFLINE"))


def looks_local(source: str) -> bool:
    """True for a filesystem path (absolute, ~, ./, or existing), False for a Hub id like "org/name"."""
    return source.startswith(("/", "~", ".", "\\")) or Path(source).expanduser().exists()


@functools.lru_cache(maxsize=4)
def host_reachable(url: str, timeout: float = 3.0) -> bool:
    """One quick TCP connection to `url`'s host: can we download from it at all?"""
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def hub_url() -> str:
    """The Hugging Face endpoint in use ($HF_ENDPOINT, e.g. a mirror, or huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"


def from_hub(component: str, source: str, load: Callable[[bool], object]):
    """`load(local_files_only)` for a Hub id: the cache first, then a download when the Hub answers.

    A local path is loaded as it is. No download is tried offline or when the Hub cannot be reached,
    so a missing model is reported at once instead of after minutes of retries.
    """
    if looks_local(source):
        if not Path(source).expanduser().exists():
            raise unavailable(component, source, "no such file or folder")
        try:
            return load(True)
        except Exception as exc:
            raise unavailable(component, source, exc) from exc
    try:
        return load(True)
    except Exception as exc:
        cached_error = exc
    if offline():
        raise unavailable(component, source, "not in the cache and downloads are off") from cached_error
    if not host_reachable(hub_url()):
        raise unavailable(component, source, f"not in the cache and {hub_url()} cannot be reached") from cached_error
    try:
        return load(False)
    except Exception as exc:
        raise unavailable(component, source, exc) from exc


def unavailable(component: str, source: str, cause: BaseException | str) -> ModelUnavailableError:
    """The one-sentence error for a component that cannot be loaded (a download, or a local copy)."""
    en_title, zh_title = COMPONENT_TITLES[component]
    env = COMPONENT_ENV[component]
    reason = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else type(cause).__name__
    if looks_local(source):
        return ModelUnavailableError(
            f"Could not load {en_title} from '{source}' ({reason}); set {env} (or --model {component}=PATH) "
            "to a working copy.",
            zh=f"无法从“{source}”加载{zh_title}（{reason}）；请把 {env}（或 --model {component}=路径）指向可用的副本。")
    return ModelUnavailableError(
        f"Could not load {en_title} '{source}' ({reason}); download it on a connected machine and "
        f"set {env}=/path/to/local/copy (or --model {component}=PATH).",
        zh=f"无法加载{zh_title}“{source}”（{reason}）；请在联网的机器上下载后设置 "
           f"{env}=/本地/路径（或 --model {component}=路径）。")


def not_a_model(component: str, path: str) -> ModelUnavailableError:
    """The one line for a local file or folder that is not what `component` needs ("not a SAM checkpoint")."""
    (en_kind, en_need), (zh_kind, zh_need) = COMPONENT_FORMATS[component]
    env = COMPONENT_ENV[component]
    return ModelUnavailableError(
        f"'{path}' is not {en_kind}: --model {component} ({env}) needs {en_need}.",
        zh=f"“{path}”不是 {zh_kind}：--model {component}（{env}）需要 {zh_need}。")


def fetch_hub_file(component: str, source: str, *, repo: str, file: str, local_dir: Path,
                   on_progress: ProgressCallback | None = None) -> Path:
    """`local_dir/file`, downloaded from the Hub repo `repo` unless it is already there."""
    target = local_dir / file
    if target.is_file():
        return target
    if offline():
        raise unavailable(component, source, "not in the cache and downloads are off")
    if not host_reachable(hub_url()):
        raise unavailable(component, source, f"not in the cache and {hub_url()} cannot be reached")
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo, file, local_dir=local_dir,
                                    tqdm_class=progress_bar_class(component, file, on_progress)))
    except Exception as exc:
        raise unavailable(component, source, exc) from exc


def sam_checkpoint_path(source: str, *, on_progress: ProgressCallback | None = None) -> Path:
    """A local SAM checkpoint for `source` (a variant name or a path), downloading it if needed.

    Downloads go to the cache with their md5 checked (`on_progress` sees each chunk); a file with a
    wrong md5 is deleted.
    """
    if source not in SAM_CHECKPOINTS:
        path = Path(source).expanduser()
        if path.is_dir():
            found = sorted(path.glob("*.pth")) + sorted(path.glob("*.pt"))
            if not found:
                raise not_a_model("sam", source)
            path = found[0]
        if not path.is_file():
            raise unavailable("sam", source, "no such file or folder")
        return path
    info = SAM_CHECKPOINTS[source]
    target = sam_cache_path(source)
    if target.is_file():
        return target
    if offline():
        raise unavailable("sam", source, "not in the cache and downloads are off")
    if not host_reachable(info.url):
        raise unavailable("sam", source, f"not in the cache and {urllib.parse.urlparse(info.url).hostname} "
                                         "cannot be reached")
    try:
        log.info("downloading %s to %s", info.url, target)
        return download_url(url=info.url, target=target, component="sam", md5=info.md5, on_progress=on_progress)
    except Exception as exc:
        reason = "could not download it: no internet connection?" if isinstance(exc, OSError) else exc
        raise unavailable("sam", source, reason) from exc


def sam_cache_path(variant: str) -> Path:
    """Where the checkpoint of a SAM variant ("vit_h") is kept in the cache."""
    return cache_dir() / "sam" / Path(SAM_CHECKPOINTS[variant].url).name
