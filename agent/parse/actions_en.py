"""The English rules for the actions beyond object edits, tried before the object-edit rules of en.py:
adjust (adjust_en.py), resize and move (layout_en.py), generate and restyle (picture_en.py).

    read_action_en("make the cup smaller", "make the cup smaller")   # → (resize cup ×0.67,), sure
    read_action_en("replace the cat with a dog", …)                  # → None: an object edit, for en.py
"""
from __future__ import annotations

import re
from typing import Optional

from agent.parse.adjust_en import read_adjust_en
from agent.parse.clause import ClauseParse
from agent.parse.layout_en import read_layout_en
from agent.parse.picture_en import read_picture_en

_TWO_MOVES = re.compile(r"(?P<verb>move|shift|drag|slide|put|place)\s+(?P<a>.+?\s+(?:to|towards?|into)\s+.+?)\s+and\s+"
                        r"(?P<b>(?:the\s+|a\s+|that\s+|this\s+)?\w+(?:\s+\w+)?\s+(?:to|towards?|into)\s+.+)")
_TWO = re.compile(r"(?P<head>(?:make|get)\s+.+?)\s+(?P<a>(?:a\s+(?:bit|little)\s+|much\s+)?\w+)\s+and\s+"
                  r"(?P<b>(?:a\s+(?:bit|little)\s+|much\s+)?\w+(?:\s+\w+)?)")


def read_action_en(text: str, bare: str) -> Optional[ClauseParse]:
    """The adjust, resize, move, generate or restyle command `text` asks for (lower case, cleaned, polite
    words off; `bare` the same with them), or None when it asks for none of them."""
    if not text:
        return None
    return _two_changes(text, bare) or _read(text, bare)


def _read(text: str, bare: str) -> Optional[ClauseParse]:
    return read_adjust_en(text) or read_layout_en(text) or read_picture_en(text, bare)


def _two_changes(text: str, bare: str) -> Optional[ClauseParse]:
    """"make the moon bigger and brighter" → resize moon, then adjust it (agent/parse/rules.py reads "it");
    "move the cat to the left and the dog to the right" → two moves."""
    match, moves = _TWO.fullmatch(text), _TWO_MOVES.fullmatch(text)
    if moves:
        first, second = _read(f"{moves['verb']} {moves['a']}", bare), _read(f"{moves['verb']} {moves['b']}", bare)
    elif match:
        first, second = _read(f"{match['head']} {match['a']}", bare), _read(f"make it {match['b']}", bare)
    else:
        return None
    if not first or not second:
        return None
    return ClauseParse(first.commands + second.commands, sure=first.sure and second.sure)
