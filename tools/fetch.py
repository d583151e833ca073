"""Where a model comes from: a local path, the user's cache, or a download — and the one-sentence
error when none of them works.

Downloads are tried only when the host answers, so a missing model offline is reported at once
instead of after minutes of retries.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from tools.errors import ModelUnavailableError
from tools.presets import COMPONENT_ENV, COMPONENT_TITLES, SAM_CHECKPOINTS, cache_dir

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
    """The one-sentence error for a component that cannot be loaded."""
    en_title, zh_title = COMPONENT_TITLES[component]
    env = COMPONENT_ENV[component]
    reason = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else type(cause).__name__
    return ModelUnavailableError(
        f"Could not load {en_title} '{source}' ({reason}); download it on a connected machine and "
        f"set {env}=/path/to/local/copy (or --model {component}=PATH).",
        zh=f"无法加载{zh_title}“{source}”（{reason}）；请在联网的机器上下载后设置 "
           f"{env}=/本地/路径（或 --model {component}=路径）。")


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sam_checkpoint_path(source: str) -> Path:
    """A local SAM checkpoint for `source` (a variant name or a path), downloading it if needed.

    Downloads go to the cache with their md5 checked; a file with a wrong md5 is deleted.
    """
    if source not in SAM_CHECKPOINTS:
        path = Path(source).expanduser()
        if path.is_dir():
            found = sorted(path.glob("*.pth")) + sorted(path.glob("*.pt"))
            if not found:
                raise unavailable("sam", source, "no .pth checkpoint in that folder")
            path = found[0]
        if not path.is_file():
            raise unavailable("sam", source, "no such file")
        return path
    info = SAM_CHECKPOINTS[source]
    target = cache_dir() / "sam" / Path(info.url).name
    if target.is_file():
        return target
    if offline():
        raise unavailable("sam", source, "not in the cache and downloads are off")
    if not host_reachable(info.url):
        raise unavailable("sam", source, f"not in the cache and {urllib.parse.urlparse(info.url).hostname} "
                                         "cannot be reached")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial_file = target.with_suffix(".part")
    try:
        log.info("downloading %s to %s", info.url, target)
        urllib.request.urlretrieve(info.url, partial_file)  # noqa: S310 - a fixed https URL
        if md5_of(partial_file) != info.md5:
            raise ValueError("the download's checksum does not match")
        os.replace(partial_file, target)
    except Exception as exc:
        partial_file.unlink(missing_ok=True)
        reason = "could not download it: no internet connection?" if isinstance(exc, OSError) else exc
        raise unavailable("sam", source, reason) from exc
    return target
