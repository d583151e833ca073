"""The Chinese rules for the actions beyond object edits, tried before the object-edit rules of zh.py:
adjust (adjust_zh.py), resize and move (layout_zh.py), generate and restyle (picture_zh.py).

    read_action_zh("把狗放大一点")   # → ClauseParse((resize 狗 ×1.25,), sure=True)
    read_action_zh("把猫换成狗")     # → None: an object edit, for zh.py
"""
from __future__ import annotations

from typing import Optional

from agent.parse.adjust_zh import read_adjust_zh
from agent.parse.clause import ClauseParse
from agent.parse.layout_zh import read_layout_zh
from agent.parse.picture_zh import read_picture_zh


def read_action_zh(text: str) -> Optional[ClauseParse]:
    """The adjust, resize, move, generate or restyle command `text` asks for (text cleaned, punctuation and
    polite words off), or None when it asks for none of them."""
    text = text.replace(" ", "")
    if not text:
        return None
    return read_adjust_zh(text) or read_layout_zh(text) or read_picture_zh(text)
