"""Reading format-1 manifests (before the typed log and the saved language).

Format 1 logged each turn as two lines, {"role": "user", "text", "version", "time"} then
{"role": "assistant", ...}, with buttons written as words: "undo", "redo", "reset", "regenerate",
"#2" (a pick by number), "goto 1", "(x, y)" (a pick by a click), a position word or "all". Its
manifest had no language: the replies followed the language the user last typed in.

    log = log_from_format_1(manifest["log"], versions)   # tuple[LogEntry, ...], one per turn
    language = typed_language(log)                        # "zh" / "en", or None: nothing typed
"""
from __future__ import annotations

import re
from typing import Sequence

from agent.session.version import LogEntry, Version
from tools.language import detect_language

BUTTONS = ("undo", "redo", "reset", "regenerate")
PICK = re.compile(r"^#(\d+)\Z")
GOTO = re.compile(r"^goto (\d+)\Z")
PICK_WORDS = re.compile(r"^(\(.*\)|all)\Z")


def log_from_format_1(entries: Sequence[dict], versions: Sequence[Version]) -> tuple[LogEntry, ...]:
    """Format 1's user/assistant lines as typed entries, one per turn (an assistant line alone: a
    turn with no words, such as a bare click)."""
    turns: list[LogEntry] = []
    user: dict | None = None
    for entry in entries:
        if entry["role"] == "user":
            user = entry
            continue
        turns.append(turn_entry(user, entry, versions))
        user = None
    return tuple(turns)


def turn_entry(user: dict | None, assistant: dict, versions: Sequence[Version]) -> LogEntry:
    said = str(user["text"]) if user is not None else ""
    before = int(user["version"]) if user is not None else int(assistant["version"])
    version, answered = int(assistant["version"]), float(assistant["time"])
    kind, number = decoded(said)
    said = str(number) if kind == "goto" else said
    shows = made = None
    if version != before and version < len(versions) and versions[version].created <= answered + 1:
        shows = versions[version].uid  # (a version made later under the same number is another picture)
        made = versions[version].created >= float(user["time"] if user is not None else answered) - 1
    return LogEntry(kind, said, str(assistant["text"]), version, number=number, shows=shows, made=bool(made),
                    time=answered)


def decoded(said: str) -> tuple[str, int | None]:
    """(kind, number) of a format-1 user line."""
    if said in BUTTONS:
        return "button", None
    if match := PICK.match(said):
        return "pick", int(match.group(1))
    if match := GOTO.match(said):
        return "goto", int(match.group(1))
    if PICK_WORDS.match(said):
        return "pick", None
    return "text", None


def typed_language(log: Sequence[LogEntry]) -> str | None:
    """The language of the last words the user typed, or None when they typed none."""
    typed = [entry.said for entry in log if entry.kind == "text" and entry.said.strip()]
    return detect_language(typed[-1]) if typed else None
