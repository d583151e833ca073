"""`edit-everything download [--preset auto|zh|en|tiny]`: every model of a preset into the cache, with a
progress bar per file (size, speed, time left), verified.

    edit-everything download --preset en       # SAM + CLIP + SD-1.5-inpainting, ~7 GB
    edit-everything download --preset tiny     # builds the tiny random-weight models (offline)

Offline, a model that is not in the cache is one line naming it and the variable to set; exit 2.
"""
from __future__ import annotations

import os
import sys

from tools.transfer import DownloadProgress
from ui.cli_options import EXIT_OK, text


def add_download_command(commands) -> None:
    """The `download` subparser (registered by ui.cli.build_parser; ui.cli.main calls `run_download`)."""
    parser = commands.add_parser("download", help="fetch every model of a preset into the cache, with progress")
    parser.add_argument("--preset", default=os.environ.get("EDIT_EVERYTHING_PRESET", "auto"),
                        help="auto (all five models), zh, en, or tiny (built locally, offline)")


class TerminalBars:
    """DownloadProgress events drawn as one tqdm bar per file on stderr."""

    def __init__(self) -> None:
        self.bars: dict[tuple[str, str], object] = {}

    def __call__(self, event: DownloadProgress) -> None:
        from tqdm import tqdm

        key = (event.component, event.file)
        bar = self.bars.get(key)
        if bar is None:
            bar = self.bars[key] = tqdm(total=event.total, desc=f"{event.component} {event.file}", unit="B",
                                        unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=True)
        bar.update(event.done - bar.n)
        if event.finished:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def run_download(*, preset: str, language: str = "en") -> int:
    """Fetch and verify; one line per model on stdout. A failure raises `EditError` (ui.cli.main
    prints it in one line)."""
    from tools.models import load_models
    from tools.prefetch import fetch_preset

    bars = TerminalBars()
    try:
        models = load_models(preset, device="cpu")
        if models.preset.tiny:
            print(text("tiny_built", language, folder=os.path.commonpath(list(models.preset.sources.values()))))
        for fetched in fetch_preset(models.preset, on_progress=bars):
            shown = "" if str(fetched.path) == fetched.source else f"{fetched.source} -> "
            print(f"{fetched.component}: {shown}{fetched.path}")
    finally:
        bars.close()
    print(text("models_ready", language, preset=models.preset.name))
    return EXIT_OK
