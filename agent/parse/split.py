"""Cutting a message into candidate steps: "把猫换成老虎，然后把沙发变成蓝色" → two spans.

The cuts are only candidates: agent/parse/rules.py joins a piece back to its neighbour when it is not an
edit on its own ("除了狗以外，把动物都去掉" stays one step).
"""
from __future__ import annotations

import re

from agent.parse.commands import Language

_ZH_WORDS = r"然后再|然后|接着再|接着|之后再|之后|随后|并且|而且|同时|另外|最后再|再然后|紧接着"
_ZH_SEP = re.compile(
    rf"\s*[,.。;!?]*\s*(?:{_ZH_WORDS})\s*|\s*[,.。;!?]+\s*(?:(?:再|还有|也|还)(?=[把将给在往用删去加添擦移换让]))?\s*"
    r"|(?<=[^,.。;!?\s])(?:再|并)(?=[把将给在往用删去加添擦移换让])")

_EN_VERBS = (r"(?:replace|swap|switch|change|turn|make|paint|remove|erase|delete|get\s+rid|take|add|put|place|"
             r"insert|draw|undo|redo|reset|start|try|pick|use|choose|select|give|colou?r|convert|transform|"
             r"eliminate|clear|wipe|crop|cut|recolou?r|go\s+back|restore|revert|regenerate|lose|hide|dye)\b")
_EN_JOIN = r"(?:and\s+then|then|after\s+that|afterwards|next|finally|and\s+also|and\s+finally|also|plus)"
_EN_SEP = re.compile(
    rf"\s*(?:[;!?]+|\.(?=\s|$))\s*(?:{_EN_JOIN}|and)?\s*"
    rf"|\s*,\s*(?:{_EN_JOIN}|and)?\s*(?={_EN_VERBS})"
    rf"|\s*,\s*{_EN_JOIN}\s+"
    rf"|\s+{_EN_JOIN}\s+"
    rf"|\s+and\s+(?={_EN_VERBS})", re.I)


def split_steps(text: str, language: Language) -> list[tuple[int, int]]:
    """(start, end) spans of the candidate steps of `text`, in order, separators left out.

    "replace the dog with a fox and then remove the ball" → spans of "replace the dog with a fox"
    and "remove the ball". A text with no separator is one span; empty pieces are dropped.
    """
    pattern = _ZH_SEP if language == "zh" else _EN_SEP
    spans, start = [], 0
    for match in pattern.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = max(start, match.end())
    if start < len(text):
        spans.append((start, len(text)))
    return spans
