"""`edit-everything chat` and `edit-everything run`: the session in a terminal.

    edit-everything chat photo.jpg --preset tiny            # type instructions; images go to ./edit-everything-out
    edit-everything run photo.jpg "把猫换成狗" "把沙发变成红色" "撤销" -o out.png --preset tiny --json
    edit-everything run --session ID --data-dir D "重新生成" -o out.png   # continue a saved session

`run` has nobody to ask: an ambiguous turn takes the best candidate (and says so); a turn with
nothing to do (undo at the start, redo at the end, reset on the original, a pick with nothing to
pick, regenerate before any edit) says so and the script goes on; a turn whose source is not found
stops the script with exit code 3, any other failed turn with exit code 2. With --data-dir, `run`
ends by printing the session id that --session takes. In `chat`, besides instructions:
    :point X Y 换成狗    :box X0 Y0 X1 Y1 去掉    :pick N    :goto N    :history    :export FILE.zip    :help    :quit
"""
from __future__ import annotations

import json
import logging
import shlex
import sys
from pathlib import Path

import numpy as np

from tools.errors import BadInputError, EditError
from tools.unicode import clean_text
from ui.cli_options import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FOUND,
    EXIT_OK,
    add_generation_options,
    chat_help,
    check_options,
    check_outputs,
    settings_from,
    text,
    write_outputs,
)
from ui.cli_remote import open_remote_session, server_of

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif",
                    ".mpo")
RUN_USAGE = ("edit-everything run [IMAGE] TURN [TURN ...] -o OUTPUT [--json] [--data-dir DIR [--session ID]] "
             "[generation options]")


def add_session_commands(commands) -> None:
    """The `chat` and `run` subparsers (called by ui.cli.build_parser)."""
    chat = commands.add_parser("chat", help="edit a photo in a conversation (reads instructions from stdin)")
    chat.add_argument("image", type=Path, nargs="?", help="the photo (leave it out with --session)")
    chat.add_argument("-o", "--output-dir", type=Path, default=Path("edit-everything-out"),
                      help="folder for the pictures of each turn (default ./edit-everything-out)")
    run = commands.add_parser("run", help="run a script of turns on a photo", usage=RUN_USAGE)
    run.add_argument("words", nargs="+", metavar="[IMAGE] TURN",
                     help='the photo (leave it out with --session), then the instructions, one per turn, '
                          'e.g. photo.jpg "把猫换成狗" "撤销"')
    run.add_argument("-o", "--output", type=Path, required=True, help="where to write the final picture")
    run.add_argument("--json", action="store_true", help="print one JSON object per turn")
    for parser in (chat, run):
        parser.add_argument("--data-dir", type=Path, help="save the session here after every turn")
        parser.add_argument("--session", help="continue a session saved in --data-dir (its id)")
        parser.add_argument("--server", help="run the session on an `edit-everything serve` at this URL. "
                                             "Env: EDIT_EVERYTHING_SERVER")
        add_generation_options(parser)


def run_session_command(args) -> int:
    if args.command == "chat":
        return chat(args)
    if args.command == "run":
        return run(args)
    raise BadInputError(f"Unknown command '{args.command}'.", zh=f"未知的命令“{args.command}”。")


def image_and_turns(words: list[str], *, session: str | None) -> tuple[Path | None, list[str]]:
    """`run`'s positionals as (the photo, the turns). Without --session the first word is the photo;
    with it, the first word is a photo only when it names a file or ends like a picture file."""
    first = words[0]
    if session is None or Path(first).suffix.lower() in PICTURE_SUFFIXES or Path(first).is_file():
        image, turns = Path(first), words[1:]
    else:
        image, turns = None, words
    if not turns:
        raise BadInputError("Give the photo, then at least one turn: run photo.jpg \"把猫换成狗\" -o out.png "
                            "(or --session ID --data-dir DIR, then the turns).",
                            zh="请先给照片，再给至少一轮指令：run photo.jpg \"把猫换成狗\" -o out.png"
                               "（或者 --session ID --data-dir 目录，再给指令）。")
    return image, turns


def open_session(args, *, interactive: bool):
    """The session for `args`: a new one over `args.image`, or `--session` restored from `--data-dir`
    (when `args.image` is given too, it must be that session's original picture)."""
    from agent.editor import Editor
    from agent.session.session import Session
    from agent.session.store import SessionStore
    from tools.images import load_image
    from tools.models import load_models

    language = getattr(args, "ui_language", "en")
    check_options(args)
    if server_of(args):
        return open_remote_session(args, server_of(args), interactive=interactive)
    if args.session and not args.data_dir:
        raise BadInputError("--session needs --data-dir (where the session was saved).",
                            zh="--session 需要同时给出 --data-dir（会话保存的位置）。")
    if args.image is None and not args.session:
        raise BadInputError("Give the photo to edit, or --session ID --data-dir DIR to continue a saved session.",
                            zh="请给出要编辑的照片，或者用 --session ID --data-dir 目录 继续保存的会话。")
    loaded = None if args.image is None else load_image(args.image)
    for note in (loaded.notes if loaded else ()):
        print(text("note", language, message=note.zh if language == "zh" else note.en), file=sys.stderr)
    editor = Editor(load_models(args.preset, device=args.device, overrides=dict(args.model)), settings_from(args))
    store = SessionStore(args.data_dir) if args.data_dir else None
    if not args.session:
        return Session(loaded, editor, store=store, interactive=interactive)
    session = Session.restore(store, args.session, editor, interactive=interactive)
    if loaded is not None:
        check_same_picture(loaded.rgb, session.versions[0].image, image=args.image, session=args.session)
    return session


def check_same_picture(given, original, *, image: Path, session: str) -> None:
    """BadInputError unless `given` (PIL RGB) has the pixels of the session's original picture."""
    if given.size != original.size or not np.array_equal(np.asarray(given), np.asarray(original.convert("RGB"))):
        raise BadInputError(
            f"{image} is not the picture session {session} started from; leave the photo out to continue "
            f"the session, or drop --session to start a new one.",
            zh=f"{image} 不是会话 {session} 开始时的图片；继续这个会话时不用再给照片，或者去掉 --session 开始新会话。")


def turn_report(reply, turn: str) -> dict:
    """A JSON-ready summary of one turn."""
    return {"turn": turn, "kind": reply.kind, "text": reply.text, "language": reply.language,
            "version": reply.version, "versions": reply.versions, "error": reply.error,
            "changed_pixels": int(reply.changed.sum()) if reply.changed is not None else 0,
            "candidates": [{"number": c.number, "box": list(c.box), "score": round(c.score, 4)}
                           for c in reply.candidates],
            "saved": reply.saved}


def run(args) -> int:
    """The turns in order; a turn with nothing to do is said and skipped, a failed turn stops the
    script (exit 3 not found, 2 otherwise); the final picture is written only when every turn ran."""
    from tools.images import save_image

    args.image, turns = image_and_turns(args.words, session=args.session)
    args.turns = [clean_text(turn) for turn in turns]  # bytes that are not UTF-8 become U+FFFD
    check_outputs((args.output, "image"))
    session = open_session(args, interactive=False)
    code, reply = EXIT_OK, None
    for number, turn in enumerate(args.turns, start=1):
        reply = session.send(turn)
        print_turn(args, session, reply, turn, number)
        if reply.error not in (None, "nothing_to_do"):
            code = EXIT_NOT_FOUND if reply.error == "not_found" else EXIT_BAD_INPUT
            stop = text("stopped_at", reply.language, number=number, total=len(args.turns))
            message = reply.text + ("" if reply.language == "zh" else " ") + stop
            print(text("not_found" if code == EXIT_NOT_FOUND else "error", reply.language, message=message),
                  file=sys.stderr)
            break
    else:
        write_outputs([(args.output, lambda path: save_image(path, session.image, session.alpha))])
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


def output_folder(folder: Path) -> Path:
    """`--output-dir`, created if missing; one line (BadInputError) when it cannot be a folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        from tools.files import os_reason

        shown = "".join(ch if ch.isprintable() else "?" for ch in str(folder))[:200]
        why, zh_why = ("it is a file", "它是一个文件") if folder.exists() else os_reason(error)
        raise BadInputError(f"--output-dir {shown} cannot be used as a folder: {why}.",
                            zh=f"--output-dir {shown} 不能用作文件夹：{zh_why}。") from error
    return folder


def chat(args) -> int:
    folder = output_folder(args.output_dir)
    session = open_session(args, interactive=True)
    try:  # bytes that are not UTF-8 reach us as lone surrogates, cleaned below, never as a crash
        sys.stdin.reconfigure(errors="surrogateescape")
    except (AttributeError, ValueError, OSError):
        pass
    tty = sys.stdin.isatty()
    print(text("chat_session", session.language, id=session.id, width=session.image.width,
                    height=session.image.height), chat_help(session.language), sep="\n")
    while True:
        if tty:
            print("> ", end="", flush=True)
        line = clean_text(sys.stdin.readline())
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if not tty:
            print(f"> {line}")
        if line in (":quit", ":q", ":exit"):
            break
        chat_line(session, line, folder)
    print(text("bye", session.language, count=len(session.versions), folder=folder))
    return EXIT_OK


def chat_line(session, line: str, folder: Path) -> None:
    """Run one line and show its reply; a failure is one line in the session's language, and the
    chat goes on."""
    try:
        reply = chat_turn(session, line, folder)
        if reply is not None:
            show(reply, session, folder)
    except EditError as error:
        print(error.message_for(session.language))
    except Exception:  # a bug: the log gets the traceback, the user a line, the chat goes on
        logging.getLogger("edit-everything").exception("chat line failed: %r", line)
        print(text("chat_internal", session.language))


def chat_turn(session, line: str, folder: Path):
    """One line of the chat: a `:command` or an instruction; None when nothing went to the session."""
    if not line.startswith(":"):
        return session.send(line, on_progress=progress_printer())
    try:
        words = shlex.split(line[1:])
    except ValueError:
        words = line[1:].split()
    name, rest = (words[0].lower(), words[1:]) if words else ("", [])
    try:
        if name == "point" and len(rest) >= 2:
            return session.send(" ".join(rest[2:]), point=(float(rest[0]), float(rest[1])),
                                on_progress=progress_printer())
        if name == "box" and len(rest) >= 4:
            return session.send(" ".join(rest[4:]), box=tuple(float(v) for v in rest[:4]),
                                on_progress=progress_printer())
        if name == "pick" and len(rest) == 1:
            return session.pick(int(rest[0]), on_progress=progress_printer())
        if name == "goto" and len(rest) == 1:
            return session.goto(int(rest[0]))
    except ValueError:
        pass
    if name == "history":
        for version in session.versions:
            mark = "*" if version.number == session.pointer else " "
            print(f"{mark} v{version.number} {version.kind:10} {version.instruction}")
        return None
    if name == "export" and len(rest) == 1:
        print(text("exported", session.language, path=session.export(rest[0])))
        return None
    print(chat_help(session.language))  # :help, or a command it does not know
    return None


def progress_printer():
    """Prints each stage once (not every diffusion step) to stderr, when it is a terminal."""
    seen = set()

    def show(event) -> None:
        if sys.stderr.isatty() and (event.command, event.stage) not in seen:
            seen.add((event.command, event.stage))
            print(f"  … {event.stage}", file=sys.stderr, flush=True)

    return show


def show(reply, session, folder: Path) -> None:
    """Print the reply and write its pictures: vNNN.png for a new current picture, the numbered
    candidates as vNNN-candidates.png."""
    print(reply.text)
    if reply.changed is not None:
        path = folder / f"v{reply.version:03d}.png"
        from tools.images import save_image

        save_image(path, reply.image, session.alpha)
        share = 100.0 * reply.changed.mean()
        print(text("picture", session.language, version=reply.version, path=path, share=share))
    if reply.overview is not None:
        path = folder / f"v{reply.version:03d}-candidates.png"
        reply.overview.save(path)
        boxes = ", ".join(f"#{c.number} {c.box}" for c in reply.candidates)
        print(text("candidates", session.language, path=path, boxes=boxes))
