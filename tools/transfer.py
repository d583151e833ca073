"""Bytes from a URL or the Hugging Face Hub into a file, reporting `DownloadProgress` as they arrive.

    def show(event: DownloadProgress) -> None:
        print(event.file, event.done, event.total)
    download_url(url="https://…/sam_vit_h_4b8939.pth", target=path, md5="4b89…", on_progress=show)

Nothing here prints: front ends render the events (the CLI as tqdm bars, the app as st.progress).
"""
from __future__ import annotations

import hashlib
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHUNK = 1 << 20


@dataclass(frozen=True)
class DownloadProgress:
    """One step of a file's download: `done` of `total` bytes (`total` None when the server does not say)."""

    component: str  # "sam", "clip_zh", ...
    file: str  # the file's name as the user would recognise it ("sam_vit_h_4b8939.pth", "unet/…")
    done: int
    total: int | None

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total


ProgressCallback = Callable[[DownloadProgress], None]


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(*, url: str, target: Path, component: str, md5: str = "",
                 on_progress: ProgressCallback | None = None, timeout: float = 60.0) -> Path:
    """Stream `url` to `target` (through `target.part`, renamed when complete and its md5 matches).

    Raises OSError when the transfer fails and ValueError when the md5 does not match; in both cases
    no partial file is left behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:  # noqa: S310
            length = response.headers.get("Content-Length")
            total, done = (int(length) if length else None), 0
            _emit(on_progress, DownloadProgress(component, target.name, 0, total))
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                done += len(chunk)
                _emit(on_progress, DownloadProgress(component, target.name, done, total))
        if total is not None and done != total:
            raise OSError(f"the transfer stopped at {done} of {total} bytes")
        if md5 and md5_of(partial) != md5:
            raise ValueError("the download's checksum does not match")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _emit(on_progress: ProgressCallback | None, event: DownloadProgress) -> None:
    if on_progress is not None:
        on_progress(event)


class _Discard:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def progress_bar_class(component: str, file: str, on_progress: ProgressCallback | None):
    """A tqdm class for huggingface_hub's `tqdm_class=`: draws nothing, turns its updates into events."""
    from tqdm import tqdm

    class EventBar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs.pop("name", None)
            kwargs.update(file=_Discard(), disable=False)
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            shown = super().update(n)
            _emit(on_progress, DownloadProgress(component, file, int(self.n), int(self.total) if self.total else None))
            return shown

    return EventBar
