"""What `edit`, `run` and `chat` share: exit codes, the option parser, settings, output-path checks
and the command line's own one-line texts (in the user's language).

    args.output = check_output(args.output)                # before any model loads
    check_output(args.save_mask, mask=True)
    print(text("wrote", "zh", path=out))                   # "已写入 out.png" (prompts/cli.yaml)
"""
from __future__ import annotations

import argparse
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import prompts
from tools.errors import BadInputError, StorageError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_NOT_FOUND = 0, 1, 2, 3
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


def text(key: str, language: str, **fields) -> str:
    """The command line's text `key` (prompts/cli.yaml) in `language` ("zh"; anything else reads
    English), filled in."""
    return prompts.text("cli", key, language, **fields)


def chat_help(language: str) -> str:
    """What one can say in the chat, then its `:commands` (prompts/help.yaml), in `language`."""
    return prompts.text("help", "help", language) + "\n" + prompts.text("help", "chat_commands", language)


def argv_language(argv: list[str]) -> str:
    """"zh" when anything the user typed holds a Chinese character, else "en"."""
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in " ".join(argv)) else "en"


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line and exit code 2 (its own default, kept)."""

    def error(self, message: str):
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


def add_region_options(parser: argparse.ArgumentParser) -> None:
    """--point / --box: the region of the first instruction by hand (as `:point` / `:box` in `chat`)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--point", nargs=2, type=finite_float, metavar=("X", "Y"),
                       help="the first instruction's region is the thing at this pixel (e.g. --point 220 150)")
    where.add_argument("--box", nargs=4, type=finite_float, metavar=("X0", "Y0", "X1", "Y1"),
                       help="the first instruction's region is the thing in this box, in pixels")


def region_prompt(args):
    """The first instruction's RegionPrompt from --point / --box (None: found by its words); a box
    that is backwards is refused now, one off the picture when the picture is known."""
    from tools.regions import RegionPrompt

    if getattr(args, "point", None) is not None:
        return RegionPrompt("point", tuple(args.point))
    if getattr(args, "box", None) is not None:
        return RegionPrompt("box", tuple(args.box))
    return None


def settings_from(args):
    """The EditSettings the options ask for."""
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


def check_outputs(*paths: tuple[Path | None, str]) -> None:
    """Refuse, before any work, an output that could not be written: `paths` are (path, "image" or
    "mask") pairs (None: not asked for). The folder must exist and be writable, the name must end in
    an extension we write (a mask: .png), the path must not be a folder, and no two outputs may be
    the same file."""
    seen: set[Path] = set()
    for path, kind in paths:
        if path is None:
            continue
        check_output(path, mask=kind == "mask")
        resolved = Path(os.path.abspath(path))
        if resolved in seen:
            raise BadInputError(f"Two outputs name the same file {path}; give each its own name.",
                                zh=f"两个输出用了同一个文件 {path}，请分别起名。")
        seen.add(resolved)


def check_output(path: Path, *, mask: bool = False) -> None:
    """BadInputError unless a picture (or a 1-bit PNG mask) can be written at `path`."""
    allowed = (".png",) if mask else IMAGE_EXTENSIONS
    shown = " ".join(str(path).split())
    if path.is_dir():
        raise BadInputError(f"{shown} is a folder; give a file name for the output.",
                            zh=f"{shown} 是一个文件夹，请给输出一个文件名。")
    if path.suffix.lower() not in allowed:
        names, names_zh = ", ".join(allowed), "、".join(allowed)
        what, what_zh = ("the mask", "蒙版") if mask else ("the picture", "图片")
        raise BadInputError(f"Cannot write {what} as {shown}: use a file name ending in {names}.",
                            zh=f"无法把{what_zh}写成 {shown}：文件名请以 {names_zh} 结尾。")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BadInputError(f"The folder {folder} for {path.name} does not exist; create it first.",
                            zh=f"保存 {path.name} 的文件夹 {folder} 不存在，请先创建它。")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInputError(f"Cannot write {shown}: the folder {folder} is not writable.",
                            zh=f"无法写入 {shown}：文件夹 {folder} 没有写入权限。")


def write_outputs(writes: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """All or nothing: each `write(temporary path)` runs first (a hidden file beside its output, same
    extension), then every temporary is moved into place; a failure leaves no output changed."""
    moves: list[tuple[Path, Path]] = []
    try:
        for path, write in writes:
            temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")
            moves.append((temporary, path))
            write(temporary)
        for temporary, path in moves:
            try:
                os.replace(temporary, path)
            except OSError as err:
                raise storage_error(path, err) from err
    finally:
        for temporary, _ in moves:
            temporary.unlink(missing_ok=True)


def storage_error(path: Path, err: OSError) -> StorageError:
    from tools.files import os_reason

    english, chinese = os_reason(err)
    return StorageError(f"Could not write {path}: {english}.", zh=f"无法写入 {path}：{chinese}。")
