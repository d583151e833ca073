"""English whole-picture looks and new pictures: "make it look like night" → restyle "night"; "turn this into
a pencil sketch" → restyle "pencil sketch"; "draw a picture of a lighthouse on a cliff" → generate "lighthouse
on a cliff"; "create a wide image of a desert road" → generate, aspect landscape. "draw a cat" (one thing, no
picture or scene word) is left to the add rules, "make the cat look like a tiger" (a named thing) to the
replace rules. Word lists: prompts/en_actions.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import STRENGTH, action_clause, action_words, alternation
from agent.parse.clause import ClauseParse
from agent.parse.phrase_en import strip_articles
from agent.parse.subject_en import is_pronoun, is_whole

_ARTICLE = r"(?:(?:a|an|one|some|the)\s+)?"
_PLAIN_MODS = {"new", "nice", "beautiful", "pretty", "cool", "simple", "fresh", "different", "good", "lovely"}
_TAKEN = re.compile(r"^(?:it|they)\s*(?:'s|was|were|is|are)\s+(?:(?:taken|shot|photographed|painted|drawn|set)\s+"
                    r"(?:at|in|during|on|by|from)\s+)?")


@dataclass(frozen=True)
class _Words:
    verb: re.Pattern[str]
    weak_verbs: frozenset[str]
    aspect_of: dict[str, str]
    aspects: tuple[re.Pattern[str], ...]
    framed: re.Pattern[str]
    picture_words: frozenset[str]
    scene: re.Pattern[str]
    looks: re.Pattern[str]
    look_suffix: re.Pattern[str]
    look_like: re.Pattern[str]
    turn: re.Pattern[str]
    give: re.Pattern[str]
    switch: re.Pattern[str]
    apply: re.Pattern[str]
    strong: re.Pattern[str]
    light: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("en")
    aspect_of = {word: a for a, ws in w["aspects"].items() for word in ws}
    aspects = alternation(aspect_of)
    frames = alternation(w["picture_words"] + w["medium_words"])
    plain = alternation(a for a in aspect_of if a not in w["subject_aspects"])
    suffixes = alternation(w["look_suffixes"])
    whole = alternation(w["whole_picture"])
    return _Words(
        verb=re.compile(rf"(?P<verb>{alternation(w['generate_verbs'])})\s+(?:me\s+|us\s+)?(?P<rest>.+)"),
        weak_verbs=frozenset(w["weak_generate_verbs"]),
        aspect_of=aspect_of,
        aspects=(re.compile(rf"\s*,?\s*\bin\s+(?:a\s+)?(?P<a>{aspects})(?:\s+(?:format|orientation|mode|ratio))?\b"),
                 re.compile(rf"\s*\b(?P<a>{aspects})\s+(?:format|orientation|mode|aspect\s+ratio|ratio)\b"),
                 re.compile(rf"\b(?P<a>{aspects})\s+(?=(?:{frames})\b)"),
                 re.compile(rf"\s*,?\s*(?P<a>{plain})$")),
        framed=re.compile(rf"{_ARTICLE}(?P<mods>(?:[\w'-]+\s+){{0,3}}?)(?P<wrap>{frames})"
                          rf"(?:\s+(?:{alternation(w['picture_links'])})\s+(?P<desc>.+))?"),
        picture_words=frozenset(w["picture_words"]),
        scene=re.compile(rf"\b(?:{alternation(w['scene_words'])})\b"),
        looks=re.compile(rf"\b(?:{alternation(w['looks'])})\b"),
        look_suffix=re.compile(rf".+\s(?:{suffixes})"),
        look_like=re.compile(rf"(?:(?:make|have|let|get|render)\s+(?P<src>.+?)\s+)?(?P<link>{alternation(w['look_links'])})"
                             r"\s+(?P<look>.+)"),
        turn=re.compile(rf"(?:make|turn|convert|change|transform|render|restyle|redo|recreate|reimagine|re-imagine|repaint|"
                        rf"redraw|paint|set|switch|style|stylize|stylise)\s+(?P<src>{whole})"
                        r"(?:\s+(?P<link>into|to|in\s+to|as|in|like))?\s+(?P<look>.+)"),
        give=re.compile(rf"give\s+(?P<src>.+?)\s+(?:a|an|some)\s+(?P<look>.+?\s(?:{suffixes}|feel|makeover|"
                        r"treatment|vibe|glow|tint|tone|atmosphere|mood|finish|light|lighting))"),
        switch=re.compile(r"(?:switch|change|go|turn|convert|transform)(?:\s+(?:it|everything|over))?\s+(?:to|into)\s+"
                          r"(?P<look>.+)"),
        apply=re.compile(r"(?:apply|add|use|put\s+on)\s+(?:a|an|some|the)?\s*(?P<look>.+?\s(?:filter|effect|style|"
                         r"look|aesthetic|treatment))(?:\s+(?:to|on)\s+(?P<src>.+))?"),
        strong=re.compile(rf"\b(?:{alternation(w['strength_strong'])})\b"),
        light=re.compile(rf"\b(?:{alternation(w['strength_light'])})\b"),
    )


def _aspect(text: str) -> tuple[str, Optional[str]]:
    w = _words()
    for pattern in w.aspects:
        match = pattern.search(text)
        if match:
            return (text[:match.start()] + " " + text[match.end():]).strip(), w.aspect_of[match["a"]]
    return text, None


def _generate(text: str) -> Optional[ClauseParse]:
    w = _words()
    match = w.verb.fullmatch(text)
    verb, rest = (match["verb"], match["rest"]) if match else (None, text)
    rest = re.sub(r"\s*:\s*", " of ", rest)  # "create a new image: a cat on a sofa"
    rest, aspect = _aspect(rest)
    framed = w.framed.fullmatch(rest)
    if framed:
        if not re.match(r"(?:a|an|one|some)\s", rest) and rest != framed["wrap"]:
            return None  # "make this a night scene": a restyle
        mods = [m for m in framed["mods"].split() if m not in _PLAIN_MODS]
        if framed["wrap"] in w.picture_words and not mods:
            target = strip_articles(framed["desc"] or "")
        else:
            target = strip_articles(rest)
        return action_clause("generate", "en", target=target or None, aspect=aspect)
    if verb and verb not in w.weak_verbs and (w.scene.search(rest) or aspect):
        return action_clause("generate", "en", target=strip_articles(rest) or None, aspect=aspect)
    return None


def _strength(bare: str) -> Optional[float]:
    if _words().strong.search(bare):
        return STRENGTH["strong"]
    return STRENGTH["light"] if _words().light.search(bare) else None


def _look(text: str) -> str:
    w = _words()
    text = re.sub(r"^(?:the\s+)?style\s+of\s+(?P<x>.+)$", r"\g<x> style", text.strip())
    text = _TAKEN.sub("", w.strong.sub("", w.light.sub("", text)).strip())
    return strip_articles(re.sub(r"\s+", " ", text))


def is_look(text: str) -> bool:
    """True for a look of the whole picture: a style, medium, season, weather or time of day."""
    w = _words()
    return bool(w.looks.search(text) or w.look_suffix.fullmatch(text))


def _restyle(text: str, bare: str) -> Optional[ClauseParse]:
    w = _words()
    text = re.sub(rf"^(?:(?:{w.strong.pattern}|{w.light.pattern})\s+)+", "", text)
    match = w.look_like.fullmatch(text)
    bare_link = match is not None and match["link"] in ("look", "looks", "appear", "seem") and not match["src"]
    if match and not bare_link and (is_whole(match["src"]) or is_pronoun(match["src"])) and _look(match["look"]):
        return action_clause("restyle", "en", target=_look(match["look"]), strength=_strength(bare))
    match = w.switch.fullmatch(text)
    if match and is_look(_look(match["look"])):  # "switch to night"
        return action_clause("restyle", "en", target=_look(match["look"]), strength=_strength(bare))
    for pattern in (w.give, w.apply, w.turn):
        match = pattern.fullmatch(text)
        if not match or not (is_whole(match["src"]) or is_pronoun(match["src"])):
            continue
        look = _look(match["look"])
        explicit = match["src"] and not is_pronoun(match["src"]) and match.groupdict().get("link")
        if look and (is_look(look) or explicit or pattern is not w.turn):
            return action_clause("restyle", "en", target=look, strength=_strength(bare))
    look = _look(text)
    if re.match(r"(?:make|turn|change|convert|transform|paint|render|set|give|apply|add|put|draw)\b", look):
        return None  # "make the cat cartoon style": a thing restyled, for the replace rules
    if look and re.fullmatch(r"[\w\s'-]+", look) and len(look.split()) <= 4 and w.looks.fullmatch(look) or (
            w.look_suffix.fullmatch(look) and re.search(r"\b(?:style|look|aesthetic|vibe|vibes)$", look)):
        return action_clause("restyle", "en", target=look, strength=_strength(bare))
    return None


def read_picture_en(text: str, bare: str) -> Optional[ClauseParse]:
    """A generate or restyle command for `text` (lower case, cleaned, polite words off; `bare` is the same
    with its polite words, which may say how strongly: "completely"), or None."""
    return _generate(text) or _restyle(text, bare)
