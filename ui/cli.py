"""The `edit-everything` command line.

    edit-everything edit photo.jpg --source 猫 --target 狗 -o out.png --preset tiny
    edit-everything edit photo.jpg "把猫换成狗，然后把沙发变成红色" -o out.png
    edit-everything edit photo.jpg --source cat --remove -o out.png --save-mask mask.png --json

Exit codes: 0 done, 2 bad input or a model that cannot be loaded, 3 the thing to edit was not found,
1 an internal error (its traceback goes to the log file, never to the terminal).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tempfile
from pathlib import Path

from tools.errors import BadInputError, EditError, NotFoundError
from ui.cli_download import add_download_command

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 0, 1, 2, 3
LOG_FILE = Path(os.environ.get("EDIT_EVERYTHING_LOG") or Path(tempfile.gettempdir()) / "edit-everything.log")


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit code 2 (its own default, kept)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def model_override(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"use COMPONENT=PATH (e.g. sam=/models/sam_vit_b.pth), got {text!r}")
    return key.strip(), value.strip()


def add_generation_options(parser: argparse.ArgumentParser) -> None:
    """The options shared by `edit`, `run` and `chat`."""
    parser.add_argument("--preset", default=os.environ.get("EDIT_EVERYTHING_PRESET", "auto"),
                        help="auto (Chinese models for Chinese text, English for English), zh, en or tiny "
                             "(tiny random-weight models, offline). Env: EDIT_EVERYTHING_PRESET")
    parser.add_argument("--steps", type=int, default=None, help="diffusion steps (default 30; tiny: 2)")
    parser.add_argument("--guidance", type=finite_float, default=7.5, help="classifier-free guidance scale")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same result)")
    parser.add_argument("--scheduler", default="default", help="default, ddim, euler_a, dpm or lcm")
    parser.add_argument("--remove-method", choices=("sd", "opencv"), default="sd",
                        help="how --remove erases: Stable Diffusion fill, or OpenCV (fast, no model)")
    parser.add_argument("--points-per-side", type=int, default=None, help="SAM automatic points per side")
    parser.add_argument("--device", default="auto", help="auto (CUDA > MPS > CPU), cpu, cuda, mps")
    parser.add_argument("--model", action="append", type=model_override, default=[], metavar="COMPONENT=PATH",
                        help="point a component (sam, clip_en, clip_zh, sd_en, sd_zh) at a Hub id or a local copy")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="edit-everything", description="Chat-driven image editing: SAM + CLIP + Stable Diffusion.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    edit = commands.add_parser("edit", help="edit one photo from a source/target or an instruction")
    edit.add_argument("image", type=Path)
    edit.add_argument("instruction", nargs="?", help='e.g. "把猫换成狗" or "make the sofa red"')
    edit.add_argument("--source", help="what to find, e.g. 猫 / cat / 背景")
    edit.add_argument("--target", help="what to paint there, e.g. 狗 / dog")
    edit.add_argument("--remove", action="store_true", help="erase the source instead of repainting it")
    edit.add_argument("--language", choices=("zh", "en"), help="override the detected language")
    edit.add_argument("-o", "--output", type=Path, required=True, help="where to write the result")
    edit.add_argument("--save-mask", type=Path, help="write a 1-bit PNG of the pixels allowed to change")
    edit.add_argument("--json", action="store_true", help="print one JSON object with the details")
    add_generation_options(edit)
    from ui.cli_session import add_session_commands

    add_session_commands(commands)
    add_download_command(commands)
    return parser


def settings_from(args):
    from agent.editor import EditSettings

    return EditSettings(steps=args.steps, guidance=args.guidance, seed=args.seed, scheduler=args.scheduler,
                        remove_method=args.remove_method, points_per_side=args.points_per_side)


def check_options(args) -> None:
    """Nonsense settings are refused before any model loads."""
    if args.points_per_side is not None and not 1 <= args.points_per_side <= 128:
        raise BadInputError(f"--points-per-side must be 1 to 128, got {args.points_per_side}.",
                            zh=f"--points-per-side 必须在 1 到 128 之间，收到 {args.points_per_side}。")
    from tools.inpaint import InpaintSettings

    InpaintSettings(steps=args.steps if args.steps is not None else 1, guidance=args.guidance,
                    seed=args.seed, scheduler=args.scheduler).checked()


def edit_requests(args) -> list[dict]:
    """The edits to run, as keyword arguments for `Editor.edit`, from the flags or the instruction."""
    if args.instruction is not None:
        if args.source or args.target or args.remove:
            raise BadInputError("Give either an instruction or --source/--target, not both.",
                                zh="请给出一句指令，或者 --source/--target，不要同时给。")
        from agent import parse_instruction

        commands = [c for c in parse_instruction(args.instruction) if c.is_edit]
        if not commands:
            shown = " ".join(args.instruction.split())[:60] or "(empty)"
            raise BadInputError(f"'{shown}' is not an edit; try '把猫换成狗' or 'replace the cat with a dog'.",
                                zh=f"“{shown}”不是编辑指令；试试“把猫换成狗”。")
        return [{"source": c.source or "", "target": c.target, "remove": c.action == "remove",
                 "add": c.action == "add", "language": args.language or c.language} for c in commands]
    if not args.source or not args.source.strip():
        raise BadInputError("Say what to edit: --source 猫 (or an instruction like \"把猫换成狗\").",
                            zh="请说明要编辑什么：--source 猫（或一句指令，如“把猫换成狗”）。")
    if not args.remove and (not args.target or not args.target.strip()):
        raise BadInputError("Say what to paint: --target 狗, or --remove to erase.",
                            zh="请说明要画成什么：--target 狗，或用 --remove 去掉。")
    return [{"source": args.source, "target": None if args.remove else args.target, "remove": args.remove,
             "language": args.language}]


def run_edit(args) -> int:
    from agent.editor import Editor
    from tools.images import load_image, save_image
    from tools.masks import save_mask
    from tools.models import load_models

    check_options(args)
    requests = edit_requests(args)
    loaded = load_image(args.image)
    for note in loaded.notes:
        print(f"note: {note.en}", file=sys.stderr)
    editor = Editor(load_models(args.preset, device=args.device, overrides=dict(args.model)),
                    settings_from(args))
    image, changed, summaries = loaded.rgb, None, []
    for request in requests:
        result = editor.edit(image, **request)
        image = result.image
        changed = result.mask if changed is None else (changed | result.mask)
        summaries.append(result.summary())
    save_image(args.output, image, loaded.alpha)
    if args.save_mask:
        save_mask(args.save_mask, changed)
    if args.json:
        out = dict(summaries[-1], output=str(args.output), steps=summaries if len(summaries) > 1 else None,
                   notes=[n.en for n in loaded.notes])
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"wrote {args.output}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, or a bad option already reported in one line
        return int(done.code or 0)
    logging.basicConfig(filename=LOG_FILE, level=logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.captureWarnings(True)  # library warnings go to the log, not the terminal
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(sys.argv[1:] if argv is None else argv)) else "en"
    try:
        if args.command == "edit":
            return run_edit(args)
        from ui.cli_session import run_session_command

        return run_session_command(args)
    except NotFoundError as error:
        print(f"not found: {error.message_for(language)}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except EditError as error:
        print(f"error: {error.message_for(language)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: details to the log, one line to the user
        logging.getLogger("edit-everything").exception("internal error")
        print(f"internal error: {type(error).__name__}; details in {LOG_FILE}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
