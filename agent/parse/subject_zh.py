"""Chinese pieces the new-action rules share: what is acted on, how much, and numbers.

    source_zh("把右边的椅子")  # → Phrase("椅子", position="right")
    source_zh("把整张图")      # → Phrase(None): the whole picture
    degree_zh("一点")          # → "small";  degree_zh("很多") → "large";  degree_zh("") → "plain"
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import Degree, action_words, alternation
from agent.parse.clause import Phrase
from agent.parse.phrase_zh import clean_phrase, split_colour_noun, zh_number

_EDGE = " 的,，"
_FILLERS = re.compile(r"(?:都|也|再|给|一起|先|就|还|看起来|看上去|显得|变得)+$")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class _Words:
    whole: frozenset[str]
    markers: re.Pattern[str]
    small: re.Pattern[str]
    large: re.Pattern[str]
    degree_only: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("zh")
    small, large = alternation(w["degree_small"]), alternation(w["degree_large"])
    return _Words(
        whole=frozenset(w["whole_picture"]),
        markers=re.compile(rf"^(?:{alternation(w['markers'])})+"),
        small=re.compile(small),
        large=re.compile(large),
        degree_only=re.compile(rf"(?:再|更|还|稍微|{large}|{small})*(?:一下|吧|了|啦|哦|呀)*"),
    )


def is_whole(text: Optional[str]) -> bool:
    """True when `text` names the whole picture ("整张图", "照片", "画面") or nothing."""
    return not text or text.strip(_EDGE) in _words().whole


def source_zh(text: str) -> Phrase:
    """The thing in front of a verb, its qualifiers read; Phrase(None) for the whole picture or nothing.

    "把右边的椅子" → Phrase("椅子", "right"); "让照片" → Phrase(None); "花的颜色" → Phrase("花")."""
    text = _FILLERS.sub("", _words().markers.sub("", text.strip(_EDGE))).strip(_EDGE)
    if is_whole(text):
        return Phrase(None)
    text, _ = split_colour_noun(text)
    if is_whole(text):
        return Phrase(None)
    phrase = clean_phrase(text)
    return Phrase(None, phrase.position, phrase.index, phrase.all) if is_whole(phrase.text) else phrase


def degree_zh(text: str) -> Degree:
    """How much `text` asks for: "small" (一点, 稍微), "large" (很多, 大幅) or "plain"."""
    if _words().large.search(text):
        return "large"
    return "small" if _words().small.search(text) else "plain"


def only_degree(text: str) -> bool:
    """True when `text` says nothing but how much ("一点", "再多一些吧", "")."""
    return bool(_words().degree_only.fullmatch(text))


def zh_float(text: str) -> Optional[float]:
    """"2" → 2, "1.5" → 1.5, "两" → 2, "十" → 10, "一百" → 100, "半" → 0.5; None when not a number."""
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return float(text)
    if text == "半":
        return 0.5
    for unit, size in (("千", 1000), ("百", 100)):
        if unit in text:
            head, _, rest = text.partition(unit)
            high = _DIGITS.get(head, 1) if head else 1
            low = zh_float(rest.lstrip("零")) if rest else 0
            return None if low is None else high * size + low
    number = zh_number(text)
    return None if number is None else float(number)
