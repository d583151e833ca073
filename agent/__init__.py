"""The chat side of Edit Everything: instruction parsing and the editing session.

Light to import: no torch, no model and no jieba load happen here. `Session`, `Reply` and the other
session types load torch and the tools, so they are imported on first use (`from agent import Session`).
"""
from agent.parse import EditCommand, parse_instruction

__all__ = ["EditCommand", "parse_instruction", "Session", "Reply", "CandidateView", "Progress",
           "Version", "SessionStore", "Editor", "EditSettings"]

_LAZY = {"Session": "agent.session.session", "Reply": "agent.session.reply",
         "CandidateView": "agent.session.reply", "Progress": "agent.edit_types",
         "Version": "agent.session.version", "SessionStore": "agent.session.store",
         "Editor": "agent.editor", "EditSettings": "agent.editor"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
