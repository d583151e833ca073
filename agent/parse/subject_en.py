"""English pieces the new-action rules share: what is acted on, how much, and numbers.

    source_en("the chair on the left")  # → Phrase("chair", position="left")
    source_en("the photo")              # → Phrase(None): the whole picture
    degree_en("a bit")                  # → "small";  degree_en("a lot") → "large";  degree_en("") → "plain"
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import Degree, action_words, alternation
from agent.parse.clause import Phrase
from agent.parse.phrase_en import clean_phrase

_EDGE = " ,.;:!?'\""
_POSSESSIVE = re.compile(r"(?:'s|’s|s')$")


@dataclass(frozen=True)
class _Words:
    whole: frozenset[str]
    pronouns: frozenset[str]
    small: re.Pattern[str]
    large: re.Pattern[str]
    degree: str
    numbers: dict[str, float]
    number: str


@functools.cache
def _words() -> _Words:
    w = action_words("en")
    small, large = alternation(w["degree_small"]), alternation(w["degree_large"])
    words = alternation(w["degree_small"] + w["degree_large"] + ["more", "even", "further", "still", "just"])
    numbers = {k: float(v) for k, v in w["numbers"].items()}
    return _Words(
        whole=frozenset(w["whole_picture"]),
        pronouns=frozenset(w["pronouns"]),
        small=re.compile(rf"\b(?:{small})\b"),
        large=re.compile(rf"\b(?:{large})\b"),
        degree=rf"(?:{words})(?:\s+(?:{words})){{0,2}}",  # bounded: no runaway backtracking
        numbers=numbers,
        number=rf"(?:\d+(?:\.\d+)?|{alternation(numbers)})",
    )


def degree_pattern() -> str:
    """A regex for degree words ("a bit", "much", "a lot more") in a row."""
    return _words().degree


def number_pattern() -> str:
    """A regex for one number: "2", "1.5", "two", "twice", "half"."""
    return _words().number


def as_number(text: str) -> Optional[float]:
    """"2" → 2.0, "two" → 2.0, "twice" → 2.0, "half" → 0.5; None when not a number."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    return _words().numbers.get(text)


def is_whole(text: Optional[str]) -> bool:
    """True when `text` names the whole picture ("the photo", "everything", "it") or nothing."""
    return not text or text.strip(_EDGE) in _words().whole


def is_pronoun(text: Optional[str]) -> bool:
    """True for "it", "this", "that" …: a word that may point back at an earlier step."""
    return bool(text) and text.strip(_EDGE) in _words().pronouns


def source_en(text: Optional[str], *, keep_pronoun: bool = False) -> Phrase:
    """The thing acted on, its qualifiers read; Phrase(None) for the whole picture or nothing.

    keep_pronoun: "it" stays "it" (a move or resize of what an earlier step named) instead of meaning the
    whole picture."""
    text = _POSSESSIVE.sub("", (text or "").strip(_EDGE)).strip(_EDGE)
    if keep_pronoun and is_pronoun(text):
        return Phrase(text)
    if is_whole(text):
        return Phrase(None)
    phrase = clean_phrase(text)
    if is_whole(phrase.text):
        return Phrase(None, phrase.position, phrase.index, phrase.all)
    return phrase


def degree_en(text: Optional[str]) -> Degree:
    """How much `text` asks for: "small" (a bit, slightly), "large" (a lot, much) or "plain"."""
    text = text or ""
    if _words().small.search(text):
        return "small"
    return "large" if _words().large.search(text) else "plain"
