"""`edit-everything chat`: the session in a terminal (`run`, the same turns from the command line: ui/cli_run.py).

    edit-everything chat photo.jpg --preset tiny            # type instructions; images go to ./edit-everything-out
    edit-everything chat --new "画一张海边日落的图片"        # start from a picture drawn from words
    edit-everything chat --session ID --data-dir D           # continue a saved session

In `chat`, besides instructions:
    :point X Y 换成狗    :box X0 Y0 X1 Y1 去掉    :pick N    :goto N    :history    :export FILE.zip    :help    :quit
"""
from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path

import numpy as np

from tools.errors import BadInputError, EditError
from tools.unicode import clean_text
from ui.cli_options import (
    EXIT_OK,
    add_generation_options,
    chat_help,
    check_options,
    settings_from,
    text,
)
from ui.cli_remote import open_remote_session, server_of


def add_session_commands(commands) -> None:
    """The `chat` subparser (called by ui.cli.build_parser; `run`'s is ui/cli_run.py's)."""
    chat = commands.add_parser("chat", help="edit a photo in a conversation (reads instructions from stdin)")
    chat.add_argument("image", type=Path, nargs="?", help="the photo (leave it out with --session or --new)")
    chat.add_argument("-o", "--output-dir", type=Path, default=Path("edit-everything-out"),
                      help="folder for the pictures of each turn (default ./edit-everything-out)")
    add_start_options(chat)
    add_generation_options(chat)


def add_start_options(parser) -> None:
    """Where a `chat` or `run` session starts: a photo (positional), --new words, or a saved --session."""
    parser.add_argument("--new", metavar="WORDS", help='start from a picture drawn from words instead of a photo, '
                                                       'e.g. --new "画一张海边日落的图片"')
    parser.add_argument("--data-dir", type=Path, help="save the session here after every turn")
    parser.add_argument("--session", help="continue a session saved in --data-dir (its id)")
    parser.add_argument("--server", help="run the session on an `edit-everything serve` at this URL. "
                                         "Env: EDIT_EVERYTHING_SERVER")


def run_session_command(args) -> int:
    if args.command == "chat":
        return chat(args)
    raise BadInputError(f"Unknown command '{args.command}'.", zh=f"未知的命令“{args.command}”。")


def refused(key: str, **fields) -> BadInputError:
    """A BadInputError with the command line's text `key` (prompts/cli.yaml) in both languages."""
    return BadInputError(text(key, "en", **fields), zh=text(key, "zh", **fields))


def check_start(args, *, on_server: bool = False) -> None:
    """One way to start, refused in one line before any model loads: a photo, --new words (that ask
    for a picture), or --session (with --data-dir, unless the session lives `on_server`)."""
    new = getattr(args, "new", None)
    if new is not None and args.image is not None:
        raise refused("new_and_image", image=args.image)
    if new is not None and args.session:
        raise refused("new_and_session")
    if args.session and not args.data_dir and not on_server:
        raise BadInputError("--session needs --data-dir (where the session was saved).",
                            zh="--session 需要同时给出 --data-dir（会话保存的位置）。")
    if args.image is None and not args.session and new is None:
        raise refused("no_start")
    if new is not None:
        from agent import parse_instruction
        from agent.session.start import drawing_command

        drawing_command(clean_text(new), parse=parse_instruction)  # "" or not a picture: refused now


def open_session(args, *, interactive: bool, on_progress=None, region=None):
    """The session for `args`: a new one over `args.image` or drawn from `args.new`, or `--session`
    restored from `--data-dir` (when `args.image` is given too, it must be that session's original
    picture). A session drawn from words has its first reply in `session.opening`. `region` (a
    RegionPrompt for the first turn) is checked against the photo before any model loads."""
    from agent.editor import Editor
    from agent.session.session import Session
    from agent.session.store import SessionStore
    from tools.images import load_image
    from tools.models import load_models

    language = getattr(args, "ui_language", "en")
    check_options(args)
    if server_of(args):
        check_start(args, on_server=True)
        return open_remote_session(args, server_of(args), interactive=interactive)
    check_start(args)
    loaded = None if args.image is None else load_image(args.image)
    if region is not None and loaded is not None:
        region.within(loaded.rgb.size)  # a point or box off the photo: refused now
    for note in (loaded.notes if loaded else ()):
        print(text("note", language, message=note.zh if language == "zh" else note.en), file=sys.stderr)
    editor = Editor(load_models(args.preset, device=args.device, overrides=dict(args.model)), settings_from(args))
    store = SessionStore(args.data_dir) if args.data_dir else None
    if getattr(args, "new", None) is not None:
        return Session.from_words(clean_text(args.new), editor, store=store, interactive=interactive,
                                  on_progress=on_progress)
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
    session = open_session(args, interactive=True, on_progress=progress_printer())
    try:  # bytes that are not UTF-8 reach us as lone surrogates, cleaned below, never as a crash
        sys.stdin.reconfigure(errors="surrogateescape")
    except (AttributeError, ValueError, OSError):
        pass
    tty = sys.stdin.isatty()
    print(text("chat_session", session.language, id=session.id, width=session.image.width,
                    height=session.image.height), chat_help(session.language), sep="\n")
    if session.opening is not None:  # drawn from --new words: the picture is version 0
        show(session.opening, session, folder)
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
