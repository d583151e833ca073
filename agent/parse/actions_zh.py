"""The Chinese rules for the actions beyond object edits, tried before the object-edit rules of zh.py:
adjust (adjust_zh.py), resize and move (layout_zh.py), generate and restyle (picture_zh.py).

    read_action_zh("把狗放大一点")   # → ClauseParse((resize 狗 ×1.25,), sure=True)
    read_action_zh("把猫换成狗")     # → None: an object edit, for zh.py
"""
from __future__ import annotations

import re
from typing import Optional

from agent.parse.adjust_zh import read_adjust_zh
from agent.parse.clause import ClauseParse
from agent.parse.layout_zh import read_layout_zh
from agent.parse.picture_zh import read_picture_zh

_STEP = re.compile(r"[把将]|[移挪搬拖放摆][到至动]|放大|缩小|变成|换成|调[亮暗大小高低]|[变调][大小]")


def read_action_zh(text: str) -> Optional[ClauseParse]:
    """The adjust, resize, move, generate or restyle command `text` asks for (text cleaned, punctuation and
    polite words off), or None when it asks for none of them."""
    text = text.replace(" ", "")
    if not text:
        return None
    parsed = read_adjust_zh(text) or read_layout_zh(text) or read_picture_zh(text)
    if parsed and any(_STEP.search(c.source or "") for c in parsed.commands):
        return ClauseParse(parsed.commands, sure=False)  # "狗移到左边再放大": two steps in one
    return parsed
