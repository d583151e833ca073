"""The editing session: one picture's history of versions and the turns that change it.

    session.py   Session: the public API (send, pick, undo, redo, reset, regenerate, goto) and the turn frame
    history.py   History: versions, the pointer, the pending pick, and every rule that moves them
    message.py   a message's text (and click or box) → the commands to run, or a pick
    edits.py     commands run on the history: edits in a row make one version; undo/redo/reset/regenerate
    turn.py      Turn (a turn's language and progress) and the Reply and log entry a turn ends with
    version.py   Version, Step, LogEntry: the data of the history and of the conversation
    store.py     SessionStore: sessions on disk (PNG + JSON manifest), loading, export
    lock.py      the writer lock of a saved session
    reply.py     Reply and the message tables (`say`)

Light to import: the names below are loaded on first use (`from agent.session import Session`).
"""
from __future__ import annotations

__all__ = ["Session", "History", "SessionStore", "Snapshot", "Version", "Step", "LogEntry", "Reply"]

_LAZY = {"Session": "agent.session.session", "History": "agent.session.history",
         "SessionStore": "agent.session.store", "Snapshot": "agent.session.store",
         "Version": "agent.session.version", "Step": "agent.session.version", "LogEntry": "agent.session.version",
         "Reply": "agent.session.reply"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agent.session' has no attribute {name!r}")
