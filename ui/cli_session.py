"""`edit-everything chat` and `edit-everything run`: the session in a terminal.

    edit-everything chat photo.jpg --preset tiny            # type instructions; images go to ./edit-everything-out
    edit-everything run photo.jpg "把猫换成狗" "把沙发变成红色" "撤销" -o out.png --preset tiny --json

`run` has nobody to ask: an ambiguous turn takes the best candidate (and says so); a turn whose
source is not found stops the script with exit code 3. In `chat`, besides instructions:
    :point X Y 换成狗    :box X0 Y0 X1 Y1 去掉    :pick N    :goto N    :history    :export FILE.zip    :quit
"""
from __future__ import annotations

import json
import logging
import shlex
import sys
from pathlib import Path

from tools.errors import BadInputError, EditError
from tools.unicode import clean_text

HELP = {"zh": "可以说“把猫换成狗”“撤销”“重做”“恢复原图”“重新生成”“选第2个”；命令：:point X Y 指令、:box X0 Y0 X1 Y1 指令、"
              ":pick N、:goto N、:history、:export 文件.zip、:quit",
        "en": "Say 'replace the cat with a dog', 'undo', 'redo', 'reset', 'regenerate', 'use #2'; commands: "
              ":point X Y text, :box X0 Y0 X1 Y1 text, :pick N, :goto N, :history, :export FILE.zip, :quit"}


def add_session_commands(commands) -> None:
    """The `chat` and `run` subparsers (called by ui.cli.build_parser)."""
    from ui.cli import add_generation_options

    chat = commands.add_parser("chat", help="edit a photo in a conversation (reads instructions from stdin)")
    chat.add_argument("image", type=Path)
    chat.add_argument("-o", "--output-dir", type=Path, default=Path("edit-everything-out"),
                      help="folder for the pictures of each turn (default ./edit-everything-out)")
    run = commands.add_parser("run", help="run a script of turns on a photo")
    run.add_argument("image", type=Path)
    run.add_argument("turns", nargs="+", type=clean_text,  # bytes that are not UTF-8 become U+FFFD
                     help='instructions, one per turn, e.g. "把猫换成狗" "撤销"')
    run.add_argument("-o", "--output", type=Path, required=True, help="where to write the final picture")
    run.add_argument("--json", action="store_true", help="print one JSON object per turn")
    for parser in (chat, run):
        parser.add_argument("--data-dir", type=Path, help="save the session here after every turn")
        parser.add_argument("--session", help="continue a session saved in --data-dir (its id)")
        add_generation_options(parser)


def run_session_command(args) -> int:
    if args.command == "chat":
        return chat(args)
    if args.command == "run":
        return run(args)
    raise BadInputError(f"Unknown command '{args.command}'.", zh=f"未知的命令“{args.command}”。")


def open_session(args, *, interactive: bool):
    """The session for `args`: a new one over the image, or `--session` restored from `--data-dir`."""
    from agent.editor import Editor
    from agent.session import Session
    from agent.store import SessionStore
    from tools.images import load_image
    from tools.models import load_models
    from ui.cli import check_options, settings_from

    check_options(args)
    if args.session and not args.data_dir:
        raise BadInputError("--session needs --data-dir (where the session was saved).",
                            zh="--session 需要同时给出 --data-dir（会话保存的位置）。")
    loaded = None if args.session else load_image(args.image)
    for note in (loaded.notes if loaded else ()):
        print(f"note: {note.en}", file=sys.stderr)
    editor = Editor(load_models(args.preset, device=args.device, overrides=dict(args.model)), settings_from(args))
    store = SessionStore(args.data_dir) if args.data_dir else None
    if args.session:
        return Session.restore(store, args.session, editor, interactive=interactive)
    return Session(loaded, editor, store=store, interactive=interactive)


def turn_report(reply, turn: str) -> dict:
    """A JSON-ready summary of one turn."""
    return {"turn": turn, "kind": reply.kind, "text": reply.text, "language": reply.language,
            "version": reply.version, "versions": reply.versions, "error": reply.error,
            "changed_pixels": int(reply.changed.sum()) if reply.changed is not None else 0,
            "candidates": [{"number": c.number, "box": list(c.box), "score": round(c.score, 4)}
                           for c in reply.candidates],
            "saved": reply.saved}


def run(args) -> int:
    from tools.images import save_image
    from ui.cli import EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_OK

    session = open_session(args, interactive=False)
    for number, turn in enumerate(args.turns, start=1):
        reply = session.send(turn)
        if args.json:
            report = dict(turn_report(reply, turn), step=number, session=session.id)
            if reply.kind == "edited":
                current = session.current
                report.update(seed=current.seed, model_ids=current.model_ids,
                              timings={k: round(v, 4) for k, v in current.timings.items()})
            print(json.dumps(report, ensure_ascii=False))
        else:
            print(f"[{number}] {turn} → {reply.text}")
        if reply.error == "not_found":
            print(f"not found: {reply.text} (turn {number} of {len(args.turns)}; stopped)", file=sys.stderr)
            return EXIT_NOT_FOUND
        if reply.error is not None:
            print(f"error: {reply.text} (turn {number} of {len(args.turns)}; stopped)", file=sys.stderr)
            return EXIT_BAD_INPUT
    save_image(args.output, session.image, session.alpha)
    if not args.json:
        print(f"wrote {args.output}")
    return EXIT_OK


CHAT = {  # the chat's own lines: key → (English, Chinese)
    "session": ("session {id}: {width}×{height}. {help}", "会话 {id}：{width}×{height}。{help}"),
    "picture": ("  v{version}: {path} ({share:.1f}% of pixels changed)", "  第 {version} 版：{path}（改动了 {share:.1f}% 的像素）"),
    "candidates": ("  candidates: {path}: {boxes}", "  候选：{path}：{boxes}"),
    "exported": ("exported {path}", "已导出 {path}"),
    "bye": ("bye: {count} versions; pictures in {folder}", "再见：共 {count} 个版本；图片在 {folder}"),
    "internal": ("Something went wrong with that line (details in the log); the chat goes on.",
                 "这一行出了点问题（详情在日志里）；可以继续对话。"),
}


def chat_text(key: str, language: str, **fields) -> str:
    english, chinese = CHAT[key]
    return (chinese if language == "zh" else english).format(**fields)


def output_folder(folder: Path) -> Path:
    """`--output-dir`, created if missing; one line (BadInputError) when it cannot be a folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        shown = "".join(ch if ch.isprintable() else "?" for ch in str(folder))[:200]
        why = "it is a file" if folder.exists() else (error.strerror or type(error).__name__)
        zh_why = "它是一个文件" if folder.exists() else (error.strerror or type(error).__name__)
        raise BadInputError(f"--output-dir {shown} cannot be used as a folder: {why}.",
                            zh=f"--output-dir {shown} 不能用作文件夹：{zh_why}。") from error
    return folder


def chat(args) -> int:
    from ui.cli import EXIT_OK

    folder = output_folder(args.output_dir)
    session = open_session(args, interactive=True)
    try:  # bytes that are not UTF-8 reach us as lone surrogates, cleaned below, never as a crash
        sys.stdin.reconfigure(errors="surrogateescape")
    except (AttributeError, ValueError, OSError):
        pass
    tty = sys.stdin.isatty()
    print(chat_text("session", session.language, id=session.id, width=session.image.width,
                    height=session.image.height, help=HELP[session.language]))
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
    print(chat_text("bye", session.language, count=len(session.versions), folder=folder))
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
        print(chat_text("internal", session.language))


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
        print(chat_text("exported", session.language, path=session.export(rest[0])))
        return None
    print(HELP[session.language])
    return None


def progress_printer():
    """Prints each stage once (not every diffusion step) to stderr, when it is a terminal."""
    seen = set()

    def show(event) -> None:
        if sys.stderr.isatty() and (event.step, event.stage) not in seen:
            seen.add((event.step, event.stage))
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
        print(chat_text("picture", session.language, version=reply.version, path=path, share=share))
    if reply.overview is not None:
        path = folder / f"v{reply.version:03d}-candidates.png"
        reply.overview.save(path)
        boxes = ", ".join(f"#{c.number} {c.box}" for c in reply.candidates)
        print(chat_text("candidates", session.language, path=path, boxes=boxes))
