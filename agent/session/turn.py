"""One turn's bookkeeping: its language and progress while it runs, and what it ends with.

    turn = Turn("zh", on_progress)          # the steps report progress through turn.notify
    text = turn.text(answer, failed=False)  # what was said before + the answer + notes after it
    entry = log_entry(said, text, before=state, history=history)   # the typed line of the log
    reply = turn_reply(turn, kind="edited", text=text, before=image, history=history)

The turn frame itself (lock, catch up, run, roll back, log, save, reply) is `Session._turn`
(agent/session/session.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from PIL import Image

from agent.editor import Progress
from agent.session.history import History, HistoryState
from agent.session.reply import Reply, candidate_views, join, overview, say
from agent.session.version import LogEntry, LogKind


@dataclass(frozen=True)
class Said:
    """What the user did to start a turn: `kind` as in LogEntry; `words` what they typed (text),
    the button ("undo", ...), or the pick ("#2", "(x, y)", "left", "all"); `number` of a pick or goto."""

    kind: LogKind
    words: str
    number: int | None = None


class Turn:
    """Progress and language of the turn being run."""

    def __init__(self, language: str, on_progress: Callable[[Progress], None] | None):
        self.language, self.on_progress, self.events = language, on_progress, []
        self.command, self.commands = 1, 1  # which edit command of the message runs
        self.preface: list[tuple[str, dict]] = []  # (message key, fields): said before the reply
        self.notes: list[tuple[str, dict]] = []    # said after it, unless the turn fails

    def notify(self, event: Progress | str) -> None:
        event = Progress(event) if isinstance(event, str) else event
        progress = replace(event, command=self.command, commands=self.commands)
        self.events.append(progress)
        if self.on_progress is not None:
            self.on_progress(progress)

    def note_dropped(self, dropped: range) -> None:
        """Say which versions a new version dropped (those after an undo or a goto), if any."""
        if len(dropped) > 1:
            self.notes.append(("discarded", {"first": dropped[0], "last": dropped[-1]}))
        elif len(dropped) == 1:
            self.notes.append(("discarded_one", {"first": dropped[0]}))

    def text(self, answer: str, *, failed: bool) -> str:
        """The reply's text: the preface, the answer, and the notes (not after a failure)."""
        language = self.language
        return join(language, *(say(key, language, **fields) for key, fields in self.preface), answer,
                    *(say(key, language, **fields) for key, fields in (self.notes if not failed else ())))


def changed_pixels(before: Image.Image, after: Image.Image) -> np.ndarray | None:
    """bool HxW: the pixels that differ between two pictures of one size (None: the same picture)."""
    if after is before:
        return None
    return (np.asarray(after) != np.asarray(before)).any(axis=2)


def log_entry(said: Said, text: str, *, before: HistoryState, history: History) -> LogEntry:
    """The log's line for a turn that went from `before` to `history`'s state."""
    current = history.current
    moved = history.pointer != before.pointer or current is not before.versions[before.pointer]
    made = moved and not any(current is version for version in before.versions)
    return LogEntry(said.kind, said.words.strip(), text, history.pointer, number=said.number,
                    shows=current.uid if moved else None, made=made)


def turn_reply(turn: Turn, *, kind: str, text: str, before: Image.Image, history: History,
               error: str | None, saved: bool | None) -> Reply:
    """The Reply of a finished turn: the picture, what changed, and the candidates of a question."""
    after = history.current.image
    views = ()
    if history.pending is not None and error is None and kind in ("asked", "not_found"):
        views = candidate_views(after, history.pending.candidates)
    return Reply(kind=kind, text=text, language=turn.language, image=after, changed=changed_pixels(before, after),
                 candidates=views, overview=overview(after, views) if views else None,
                 progress=tuple(turn.events), version=history.pointer, versions=len(history),
                 error=error if error else ("not_found" if kind == "not_found" else None), saved=saved)


def unsaved_reply(turn: Turn, *, text: str, error: str, history: History) -> Reply:
    """The reply of a turn that could not start: the saved session's lock or state was not had."""
    return Reply(kind="error", text=text, language=turn.language, image=history.current.image,
                 version=history.pointer, versions=len(history), error=error, saved=False)
