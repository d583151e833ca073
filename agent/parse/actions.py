"""What the rules for the whole-picture and layout actions (restyle, adjust, move, resize, generate) share
in both languages: their word lists, the numbers a wording stands for, and the command they build.

The numbers follow the EditCommand field descriptions (agent/parse/commands.py): an adjustment "a bit" is
±0.25, plain ±0.5, "a lot" ±1.0; "放大一点" scales by 1.25, "缩小一点" by 0.8; "往右移一点" shifts by 0.15 of
the picture; a restyle "completely" repaints 0.75, "slightly" 0.35 (None leaves the editor's default).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, Optional

from agent.parse.clause import ClauseParse, Phrase
from agent.parse.commands import Action, EditCommand, Language
from agent.parse.lexicon import load_yaml

Degree = Literal["small", "plain", "large"]
AMOUNT: dict[Degree, float] = {"small": 0.25, "plain": 0.5, "large": 1.0}
SCALE_UP: dict[Degree, float] = {"small": 1.25, "plain": 1.5, "large": 2.0}
SCALE_DOWN: dict[Degree, float] = {"small": 0.8, "plain": 0.67, "large": 0.5}
SHIFT: dict[Degree, Optional[float]] = {"small": 0.15, "plain": 0.3, "large": 0.5}
STRENGTH = {"strong": 0.75, "light": 0.35}


def action_words(language: Language) -> dict[str, Any]:
    """prompts/<language>_actions.yaml: the word lists of these actions (read-only)."""
    return load_yaml(f"{language}_actions.yaml")


def alternation(values: Iterable[str]) -> str:
    """A regex alternation of `values`, longest first, each escaped (spaces match any run of spaces)."""
    return "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in sorted(set(values), key=len, reverse=True))


def action_clause(action: Action, language: Language, *, source: Optional[Phrase] = None,
                  **fields: Any) -> ClauseParse:
    """One sure command of a new action; `source` None or a Phrase with no text means the whole picture
    (adjust), no region named (move/resize) or nothing (restyle/generate)."""
    source = source or Phrase(None)
    command = EditCommand(action=action, source=source.text or None, position=source.position,
                          index=source.index if source.index and source.index >= 1 else None, all=source.all,
                          language=language, **fields)
    return ClauseParse((command,), sure=True)


def scale_for(bigger: bool, degree: Degree) -> float:
    """The resize factor for a wording with no number: "放大一点" → 1.25, "make it much smaller" → 0.5."""
    return (SCALE_UP if bigger else SCALE_DOWN)[degree]


def scale_by(bigger: bool, number: float, unit: str, absolute: bool) -> float:
    """The resize factor a number says.

    unit "times": "放大两倍" / "3 times bigger" → 3, "放大一倍" → 2 (one more time its size), "缩小两倍" /
    "2 times smaller" → 0.5; "percent": "放大50%" → 1.5, "缩小30%" → 0.7; "tenths" (成): "缩小三成" → 0.7.
    absolute: the number is the new size ("放大到两倍", "缩小到80%", "scale by 1.5") → 2, 0.8, 1.5.
    A zero stays zero ("缩小0倍" → 0): the editor refuses it rather than the parser guessing.
    """
    if unit == "percent":
        number /= 100
    elif unit == "tenths":
        number /= 10
    if absolute:
        return round(number, 4)
    if unit != "times":
        return round(1 + number if bigger else 1 - number, 4)
    if bigger:
        return 2.0 if number == 1 else number
    if number == 0:
        return 0.0
    return 0.5 if number == 1 else round(1 / number, 4)
