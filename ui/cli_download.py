"""`edit-everything download [--preset auto|zh|en|tiny]`: every model of a preset into the cache, with a
progress bar per file (size, speed, time left), verified.

    edit-everything download --preset en       # SAM + CLIP + SD-1.5-inpainting, ~7 GB
    edit-everything download --preset tiny     # builds the tiny random-weight models (offline)

Offline, a model that is not in the cache is one line naming it and the variable to set; exit 2.
The subcommand runs as soon as its arguments are parsed (like --help), so ui/cli.py only registers it.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from tools.errors import EditError
from tools.transfer import DownloadProgress

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
LOG_FILE = Path(os.environ.get("EDIT_EVERYTHING_LOG") or Path(tempfile.gettempdir()) / "edit-everything.log")


def add_download_command(commands) -> None:
    """The `download` subparser (registered by ui.cli.build_parser)."""
    parser = commands.add_parser("download", help="fetch every model of a preset into the cache, with progress")
    parser.add_argument("--preset", default=os.environ.get("EDIT_EVERYTHING_PRESET", "auto"),
                        help="auto (all five models), zh, en, or tiny (built locally, offline)")
    parse = parser.parse_known_args

    def parse_then_download(args=None, namespace=None):
        parsed, rest = parse(args, namespace)
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        parser.exit(run_download(preset=parsed.preset))

    parser.parse_known_args = parse_then_download


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


def run_download(*, preset: str) -> int:
    """Fetch and verify; one line per model on stdout, one line for a failure on stderr."""
    from tools.models import load_models
    from tools.prefetch import fetch_preset

    logging.basicConfig(filename=LOG_FILE, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.captureWarnings(True)  # library warnings go to the log, not the terminal
    bars = TerminalBars()
    try:
        models = load_models(preset, device="cpu")
        if models.preset.tiny:
            print(f"built the tiny models in {os.path.commonpath(list(models.preset.sources.values()))}")
        for fetched in fetch_preset(models.preset, on_progress=bars):
            shown = "" if str(fetched.path) == fetched.source else f"{fetched.source} -> "
            print(f"{fetched.component}: {shown}{fetched.path}")
    except EditError as error:
        bars.close()
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        bars.close()
        print("stopped", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: details to the log, one line to the user
        bars.close()
        logging.getLogger("edit-everything").exception("download failed")
        print(f"internal error: {type(error).__name__}; details in {LOG_FILE}", file=sys.stderr)
        return EXIT_INTERNAL
    bars.close()
    print(f"all models of the '{models.preset.name}' preset are ready")
    return EXIT_OK
