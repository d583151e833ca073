"""`edit-everything run`: a script of turns on a photo, on a picture drawn from words, or on a saved session.

    edit-everything run photo.jpg "把猫换成狗" "把沙发变成红色" "撤销" -o out.png --preset tiny --json
    edit-everything run --new "画一张海边日落的图片" "把图片调亮一点" -o out.png   # start from words
    edit-everything run photo.jpg "换成狗" --point 220 150 -o out.png            # the first turn's region by hand
    edit-everything run photo.jpg "把猫换成狗" -o out.png --save-mask mask.png  # what the last turn could change
    edit-everything run --session ID --data-dir D "重新生成" -o out.png         # continue a saved session

`run` has nobody to ask: an ambiguous turn takes the best candidate (and says so); a turn with
nothing to do (undo at the start, redo at the end, reset on the original, a pick with nothing to
pick, regenerate before any edit) says so and the script goes on; a turn whose source is not found
stops the script with exit code 3, any other failed turn with exit code 2. With --new the drawing is
turn 1. With --data-dir, `run` ends by printing the session id that --session takes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from tools.unicode import clean_text
from ui.cli_options import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    add_generation_options,
    add_region_options,
    check_outputs,
    region_prompt,
    text,
    write_outputs,
)
from ui.cli_session import add_start_options, open_session, progress_printer, refused

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif",
                    ".mpo")
RUN_USAGE = ("edit-everything run [IMAGE | --new WORDS] TURN [TURN ...] -o OUTPUT [--point X Y | --box X0 Y0 X1 Y1] "
             "[--save-mask MASK.png] [--json] [--data-dir DIR [--session ID]] [generation options]")


def add_run_command(commands) -> None:
    """The `run` subparser (called by ui.cli.build_parser)."""
    run = commands.add_parser("run", help="run a script of turns on a photo", usage=RUN_USAGE)
    run.add_argument("words", nargs="*", metavar="[IMAGE] TURN",
                     help='the photo (leave it out with --session or --new), then the instructions, one per '
                          'turn, e.g. photo.jpg "把猫换成狗" "撤销"')
    run.add_argument("-o", "--output", type=Path, required=True, help="where to write the final picture")
    run.add_argument("--save-mask", type=Path,
                     help="write a 1-bit PNG of the pixels the last turn was allowed to change (white)")
    run.add_argument("--json", action="store_true", help="print one JSON object per turn")
    add_start_options(run)
    add_region_options(run)
    add_generation_options(run)


def looks_like_picture(word: str) -> bool:
    return Path(word).suffix.lower() in PICTURE_SUFFIXES or Path(word).is_file()


def image_and_turns(words: list[str], *, session: str | None, new: str | None = None) -> tuple[Path | None, list[str]]:
    """`run`'s positionals as (the photo, the turns). Without --session or --new the first word is
    the photo; with --session, the first word is a photo only when it names a file or ends like a
    picture file; with --new there is no photo (one given is refused) and the turns may be none."""
    if new is not None:
        if words and looks_like_picture(words[0]):
            raise refused("new_and_image", image=words[0])
        return None, list(words)
    if words and (session is None or looks_like_picture(words[0])):
        image, turns = Path(words[0]), words[1:]
    else:
        image, turns = None, list(words)
    if not turns:
        raise refused("no_turns")
    return image, turns


def turn_report(reply, turn: str) -> dict:
    """A JSON-ready summary of one turn."""
    return {"turn": turn, "kind": reply.kind, "text": reply.text, "language": reply.language,
            "version": reply.version, "versions": reply.versions, "error": reply.error,
            "changed_pixels": int(reply.changed.sum()) if reply.changed is not None else 0,
            "candidates": [{"number": c.number, "box": list(c.box), "score": round(c.score, 4)}
                           for c in reply.candidates],
            "saved": reply.saved}


def last_turn_mask(session, reply) -> np.ndarray:
    """bool HxW: the pixels the last turn was allowed to change (the new version's steps' regions)
    and those it did change (an undo, a goto): white in --save-mask."""
    width, height = session.image.size
    mask = np.zeros((height, width), dtype=bool) if reply.changed is None else reply.changed.copy()
    made = session.log[-1].made if session.log else False
    if made and session.current.mask is not None:
        mask |= session.current.mask
    return mask


def run(args) -> int:
    """The turns in order; a turn with nothing to do is said and skipped, a failed turn stops the
    script (exit 3 not found, 2 otherwise); the final picture (and --save-mask) are written only when
    every turn ran."""
    from tools.images import save_image
    from tools.masks import save_mask

    args.image, turns = image_and_turns(args.words, session=args.session, new=args.new)
    args.turns = [clean_text(turn) for turn in turns]  # bytes that are not UTF-8 become U+FFFD
    check_outputs((args.output, "image"), (args.save_mask, "mask"))
    prompt = region_prompt(args)  # a backwards box is refused now, before any model loads
    if prompt is not None and not args.turns:
        raise refused("region_needs_turn")
    session = open_session(args, interactive=False, on_progress=progress_printer(), region=prompt)
    code, reply, said = EXIT_OK, session.opening, [args.new] if session.opening is not None else []
    if reply is not None:
        print_turn(args, session, reply, args.new, 1)
    for number, turn in enumerate(args.turns, start=len(said) + 1):
        where = {prompt.kind: prompt.value} if prompt is not None and number == len(said) + 1 else {}
        reply = session.send(turn, **where)
        print_turn(args, session, reply, turn, number)
        if reply.error not in (None, "nothing_to_do"):
            code = EXIT_NOT_FOUND if reply.error == "not_found" else EXIT_BAD_INPUT
            stop = text("stopped_at", reply.language, number=number, total=len(said) + len(args.turns))
            message = reply.text + ("" if reply.language == "zh" else " ") + stop
            print(text("not_found" if code == EXIT_NOT_FOUND else "error", reply.language, message=message),
                  file=sys.stderr)
            break
    else:
        writes = [(args.output, lambda path: save_image(path, session.image, session.alpha))]
        if args.save_mask:
            mask = last_turn_mask(session, reply)
            writes.append((args.save_mask, lambda path, mask=mask: save_mask(path, mask)))
        write_outputs(writes)
        if not args.json:
            print(text("wrote", args.ui_language, path=args.output))
    if args.data_dir and not args.json and reply is not None and reply.saved:
        print(text("session_saved", args.ui_language, id=session.id, folder=args.data_dir))
    return code


def print_turn(args, session, reply, turn: str, number: int) -> None:
    """One line per turn: JSON (with the seed, model ids and timings of an edit) or `[N] turn → reply`."""
    if not args.json:
        print(f"[{number}] {turn} → {reply.text}")
        return
    report = dict(turn_report(reply, turn), step=number, session=session.id)
    if reply.kind == "edited":
        current = session.current
        report.update(seed=current.seed, model_ids=current.model_ids,
                      timings={k: round(v, 4) for k, v in current.timings.items()})
    print(json.dumps(report, ensure_ascii=False))
