"""English noun phrases: qualifiers out, articles off, colours recognised.

"the red car" → Phrase("red car"); "the person on the right" → Phrase("person", position="right");
"the third bottle" → Phrase("bottle", index=3); "every bottle" → Phrase("bottle", all=True);
paint_target("red car", "blue") → "blue car".
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.parse.clause import Phrase
from agent.parse.lexicon import lexicon, positions

_EDGE = " ,.;:!?'\"“”‘’()"
_PICTURE = re.compile(
    r"\s+(?:in|from|on|of|out\s+of|inside)\s+(?:the|this|my|our|that)\s+"
    r"(?:image|picture|photo|pic|scene|frame|shot|photograph|canvas)$")
_OF_THE_TWO = re.compile(r"^(?:the\s+)?(?P<pos>\w+)\s+(?:one\s+)?of\s+(?:the|these|those)\s+"
                         r"(?:two|three|four|several|many)\s+")
_NUMBER_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "many",
                 "few", "couple", "multiple", "a couple of", "a few"}


@dataclass(frozen=True)
class _Words:
    determiners: tuple[str, ...]
    all_determiners: frozenset[str]
    all_suffixes: tuple[str, ...]
    ordinals: dict[str, int]
    index: re.Pattern[str]
    position_of: dict[str, str]
    position_suffix: re.Pattern[str]
    colour: re.Pattern[str]
    colour_word: re.Pattern[str]
    styles: frozenset[str]
    style_suffixes: frozenset[str]
    others: tuple[str, ...]


def _alternation(values: list[str]) -> str:
    return "|".join(map(re.escape, sorted(values, key=len, reverse=True)))


@functools.cache
def _words() -> _Words:
    lex = lexicon("en")
    colours, modifiers = _alternation(lex["colours"]), _alternation(lex["colour_modifiers"])
    one_colour = rf"(?:(?:{modifiers})[\s-]+)*(?:{colours})(?:ish)?"
    return _Words(
        determiners=tuple(sorted(lex["determiners"], key=len, reverse=True)),
        all_determiners=frozenset(lex["all_determiners"]),
        all_suffixes=tuple(sorted(lex["all_suffixes"], key=len, reverse=True)),
        ordinals={w: n for w, n in lex["ordinals"].items() if w not in _NUMBER_WORDS | {"one"}},
        index=re.compile(lex["index_regex"], re.I),
        position_of=positions("en"),
        position_suffix=re.compile(lex["position_suffix_regex"], re.I),
        colour=re.compile(
            rf"{one_colour}(?:(?:\s+and\s+|\s*-\s*|\s+)(?:{one_colour}))?"
            rf"(?:[\s-]+colou?r(?:ed)?|[\s-]+paint(?:ed)?|[\s-]+tone[sd]?|[\s-]+shade)?", re.I),
        colour_word=re.compile(rf"(?:{modifiers}|{colours})(?:ish)?", re.I),
        styles=frozenset(lex["styles"]),
        style_suffixes=frozenset(lex["style_suffixes"]),
        others=tuple(sorted(lex["other_words"], key=len, reverse=True)),
    )


def strip_articles(text: str) -> str:
    """"the red car" → "red car", "an orange" → "orange"."""
    return re.sub(r"^(?:the|a|an|some|another)\s+", "", text.strip(_EDGE), flags=re.I).strip(_EDGE)


def _take_determiners(words: list[str]) -> tuple[list[str], bool]:
    w = _words()
    every = False
    changed = True
    while changed and len(words) > 1:
        changed = False
        joined = " ".join(words)
        for det in w.determiners:
            if joined.startswith(det + " "):
                every = every or det in w.all_determiners
                words, changed = words[len(det.split()):], True
                break
    return words, every


def clean_phrase(text: str, *, qualifiers: bool = True, drop_others: bool = False) -> Phrase:
    """A source phrase without articles, with position, index and "all" taken out.

    "the person on the right" → ("person", right); "the second cup" → ("cup", index 2);
    "all the bottles" → ("bottles", all); "the left one" → (None, left).
    With qualifiers=False only articles are dropped (for targets: "a dog" → "dog").
    """
    w = _words()
    text = _PICTURE.sub("", text.strip(_EDGE)).strip(_EDGE)
    if not qualifiers:
        return Phrase(strip_articles(text) or None)
    position = index = None
    text = _OF_THE_TWO.sub(r"\g<pos> ", text)  # "the bigger of the two dogs" → "bigger dogs"
    match = w.position_suffix.search(text)
    if match and match.start() > 0:
        position, text = w.position_of.get(match["pos"].lower(), match["pos"].lower()), text[:match.start()]
    match = w.index.search(text)
    if match:
        index = int(match.group(1) or match.group(2))
        text = (text[:match.start()] + text[match.end():]).strip()
    words, every = _take_determiners(text.split())
    if drop_others:
        joined = " ".join(words)
        for other in w.others:
            joined = re.sub(rf"\b{re.escape(other)}\b", " ", joined)
        words = joined.split() or words
    if len(words) > 1 and words[0] in w.ordinals:
        index, words = index or w.ordinals[words[0]], words[1:]
    if len(words) > 1 and words[0] in _NUMBER_WORDS:
        words = words[1:]
    for size in (2, 1):
        head = " ".join(words[:size])
        if len(words) > size and head in w.position_of and not position:
            position, words = w.position_of[head], words[size:]
            break
    joined = " ".join(words)
    for suffix in w.all_suffixes:
        if joined.endswith(" " + suffix):
            joined, every = joined[: -len(suffix) - 1], True
            break
    joined = re.sub(r"^(?:the\s+)?ones?$|\s+ones?$", "", joined).strip(_EDGE)
    return Phrase(joined or None, position=position, index=index, all=every)


def colour_name(text: str) -> str | None:
    """The colour `text` names, or None: "blue" → "blue", "a dark green colour" → "dark green"."""
    text = strip_articles(text)
    if not _words().colour.fullmatch(text):
        return None
    return re.sub(r"[\s-]+(?:colou?r(?:ed)?|paint(?:ed)?|tone[sd]?|shade)$", "", text)


def strip_colours(text: str | None) -> str | None:
    """`text` without colour words: "red car" → "car"; all-colour text is kept."""
    if not text:
        return text
    kept = [word for word in text.split() if not _words().colour_word.fullmatch(word)]
    return " ".join(kept) or text


def is_style(text: str) -> bool:
    """True for a look rather than a thing: "cartoon", "oil painting style", "wooden"."""
    w = _words()
    words = text.split()
    return text in w.styles or (len(words) > 1 and words[-1] in w.style_suffixes)


def paint_target(source: str | None, target: str | None) -> str | None:
    """What to paint for "make <source> <target>": a colour or a style names the object too.

    ("car", "red") → "red car"; ("red car", "blue") → "blue car"; ("cat", "cartoon style") →
    "cartoon style cat"; ("car", "a red one") → "red car"; ("apple", "an orange") → "orange".
    """
    if not target:
        return target
    plain = strip_articles(target)
    base = strip_colours(source)
    if base and re.search(r"['’]s\s", base):  # "cat's fur" → paint "orange fur": only what is repainted
        base = re.split(r"['’]s\s+", base)[-1]
    one = re.fullmatch(r"(?P<adj>.+?)\s+one", plain)
    if one and base:
        return f"{one['adj']} {base.split()[-1]}"  # "a new one" for "old chair" → "new chair"
    noun = re.match(r"(?:a|an)\s", target.strip(), re.I) and not re.search(r"(?:colou?r|shade|tone)$", plain)
    colour = None if noun else colour_name(plain)
    if colour:
        return f"{colour} {base}" if base else colour
    if not noun and is_style(plain):
        return f"{plain} {base}" if base else plain
    return plain
