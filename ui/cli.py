"""The `edit-everything` command line.

    edit-everything edit photo.jpg --source 猫 --target 狗 -o out.png --preset tiny
    edit-everything edit photo.jpg "把猫换成狗，然后把沙发变成红色" -o out.png
    edit-everything edit photo.jpg --source cat --remove -o out.png --save-mask mask.png --json
    edit-everything edit photo.jpg "换成狗" --point 220 150 -o out.png     # the region by hand (or --box)
    edit-everything run --new "画一张海边日落的图片" "把图片调亮一点" -o out.png   # start from words

`edit` runs each edit of the instruction the way a session turn does (so "去掉左边的人", "第二个",
"所有的" and "除了…" choose the same region as `run`); undo, redo and the other history words belong
to `run`. Every output path is checked before any model loads, and the outputs are written all or
nothing.

Exit codes: 0 done, 2 bad input or a model that cannot be loaded, 3 the thing to edit was not found,
1 an internal error (its traceback goes to the log file, never to the terminal).
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from tools.errors import EditError, NotFoundError
from ui.cli_download import add_download_command, run_download
from ui.cli_edit import run_edit
from ui.cli_options import (  # noqa: F401
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_NOT_FOUND,
    EXIT_OK,
    Parser,
    add_generation_options,
    add_region_options,
    argv_language,
    text,
)
from ui.cli_run import add_run_command, run
from ui.cli_serve import add_serve_command, run_serve
from ui.cli_session import add_session_commands, run_session_command

LOG_FILE = Path(os.environ.get("EDIT_EVERYTHING_LOG") or Path(tempfile.gettempdir()) / "edit-everything.log")


def build_parser() -> Parser:
    parser = Parser(prog="edit-everything", description="Chat-driven image editing: SAM + CLIP + Stable Diffusion.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    edit = commands.add_parser("edit", help="edit one photo from a source/target or an instruction")
    edit.add_argument("image", type=Path)
    edit.add_argument("instruction", nargs="?", help='e.g. "把猫换成狗" or "make the sofa red"')
    edit.add_argument("--source", help="what to find, e.g. 猫 / cat / 背景")
    edit.add_argument("--target", help="what to paint there, e.g. 狗 / dog")
    edit.add_argument("--remove", action="store_true", help="erase the source instead of repainting it")
    edit.add_argument("--language", choices=("zh", "en"), help="override the detected language")
    edit.add_argument("-o", "--output", type=Path, required=True,
                      help="where to write the result (.png .jpg .jpeg .webp .bmp .tif .tiff)")
    edit.add_argument("--save-mask", type=Path, help="write a 1-bit PNG of the pixels allowed to change")
    edit.add_argument("--json", action="store_true", help="print one JSON object with the details")
    add_region_options(edit)
    add_generation_options(edit)
    add_session_commands(commands)
    add_run_command(commands)
    add_download_command(commands)
    add_serve_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a bad option already reported in one line
        return int(done.code or 0)
    logging.basicConfig(filename=LOG_FILE, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.captureWarnings(True)  # library warnings go to the log, not the terminal
    language = argv_language(sys.argv[1:] if argv is None else list(argv))
    args.ui_language = language
    try:
        if args.command == "edit":
            return run_edit(args)
        if args.command == "download":
            return run_download(preset=args.preset, language=language)
        if args.command == "run":
            return run(args)
        if args.command == "serve":
            return run_serve(args)
        return run_session_command(args)
    except NotFoundError as error:
        print(text("not_found", language, message=error.message_for(language)), file=sys.stderr)
        return EXIT_NOT_FOUND
    except EditError as error:
        print(text("error", language, message=error.message_for(language)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(text("interrupted", language), file=sys.stderr)
        return 130
    except Exception as error:  # a bug: details to the log, one line to the user
        logging.getLogger("edit-everything").exception("internal error")
        print(text("internal", language, name=type(error).__name__, log=LOG_FILE), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
