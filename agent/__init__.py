"""The chat side of Edit Everything: instruction parsing (and, later, the editing loop).

Light to import: no torch, no model and no jieba load happen here.
"""
from agent.commands import EditCommand
from agent.parser import parse_instruction

__all__ = ["EditCommand", "parse_instruction"]
