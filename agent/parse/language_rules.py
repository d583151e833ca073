"""The contract each language's rules fulfil, and the registry the message parser picks them from.

    RULES["zh"].split("把猫换成老虎，然后把沙发变成蓝色")   # → [(0, 7), (10, 17)]
    RULES["en"].clause("make the car red").commands          # → (replace car → red car,)

A new language is one module (its rules and phrase helpers, word lists in prompts/<language>_lexicon.yaml)
and one line here; agent/parse/clause.py holds what every language shares.
"""
from __future__ import annotations

from typing import Protocol

from agent.parse.clause import ClauseParse
from agent.parse.commands import Language
from agent.parse.en import EN
from agent.parse.zh import ZH


class LanguageRules(Protocol):
    """What the rules of one language offer agent/parse/rules.py. Every text is already cleaned
    (agent/parse/text.py: one line, half-width punctuation, no emoji or control characters)."""

    language: Language

    def split(self, text: str) -> list[tuple[int, int]]:
        """(start, end) spans of the candidate steps of a message, in order, separators left out."""
        ...

    def clause(self, text: str) -> ClauseParse:
        """The commands one step asks for, and whether the rules are sure of them."""
        ...

    def paint_target(self, thing: str | None, target: str | None) -> str | None:
        """What to paint when `thing` is made `target`: a colour or a style names the thing too
        ("沙发", "红色" → "红色的沙发"; "car", "red" → "red car"; "cat", "dog" → "dog")."""
        ...


RULES: dict[Language, LanguageRules] = {"zh": ZH, "en": EN}
