"""The English rules for the actions beyond object edits, tried before the object-edit rules of en.py:
adjust (adjust_en.py), resize and move (layout_en.py), generate and restyle (picture_en.py).

    read_action_en("make the cup smaller", "make the cup smaller")   # → (resize cup ×0.67,), sure
    read_action_en("replace the cat with a dog", …)                  # → None: an object edit, for en.py
"""
from __future__ import annotations

from typing import Optional

from agent.parse.adjust_en import read_adjust_en
from agent.parse.clause import ClauseParse
from agent.parse.layout_en import read_layout_en
from agent.parse.picture_en import read_picture_en


def read_action_en(text: str, bare: str) -> Optional[ClauseParse]:
    """The adjust, resize, move, generate or restyle command `text` asks for (lower case, cleaned, polite
    words off; `bare` the same with them), or None when it asks for none of them."""
    if not text:
        return None
    return read_adjust_en(text) or read_layout_en(text) or read_picture_en(text, bare)
