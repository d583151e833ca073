"""The contract each language's rules fulfil, and the registry the message parser picks them from.

    RULES["zh"].split("把猫换成老虎，然后把沙发变成蓝色")   # → [(0, 7), (10, 17)]
    RULES["en"].clause("make the car red").commands          # → (replace car → red car,)

A new language is one module (its rules and phrase helpers, word lists in prompts/<language>_lexicon.yaml)
and one line here; agent/parse/clause.py holds what every language shares.
"""
from __future__ import annotations

from agent.parse.clause import LanguageRules
from agent.parse.commands import Language
from agent.parse.en import EN
from agent.parse.zh import ZH

__all__ = ["LanguageRules", "RULES"]

RULES: dict[Language, LanguageRules] = {"zh": ZH, "en": EN}
