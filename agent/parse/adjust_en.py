"""English photo adjustments: "make the photo darker" → adjust brightness -0.5 (whole picture); "increase the
contrast of the sky a bit" → contrast +0.25 on sky; "blur the background" → sharpness -0.5 on background;
"it's too dark" → brightness +0.5; "make it black and white" → grayscale.

"it"/"this" stays in the source: agent/parse/rules.py makes it what an earlier step named, or the whole
picture when nothing came before. Word lists: prompts/en_actions.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import AMOUNT, action_clause, action_words, alternation
from agent.parse.clause import ClauseParse
from agent.parse.subject_en import degree_en, degree_pattern, is_pronoun, is_whole, source_en


@dataclass(frozen=True)
class _Words:
    kind_of: dict[str, tuple[str, int]]
    noun_of: dict[str, str]
    too_of: dict[str, tuple[str, int]]
    less: re.Pattern[str]
    direction: re.Pattern[str]
    noun: re.Pattern[str]
    verb_first: re.Pattern[str]
    make_form: re.Pattern[str]
    too: re.Pattern[str]
    grayscale: re.Pattern[str]
    decolour: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("en")
    kind_of = {a: (kind, sign) for kind, parts in w["adjust"].items()
               for sign, key in ((1, "more"), (-1, "less")) for a in parts[key]}
    noun_of = {n: kind for kind, parts in w["adjust"].items() for n in parts["nouns"]}
    noun_of.update({n: f"-{kind}" for n, kind in w["inverse_nouns"].items()})  # "more blur": less sharpness
    too_of = {word: (kind, sign) for word, (kind, sign) in w["too_words"].items()}
    adjectives, deg = alternation(kind_of), degree_pattern()
    make, turn = alternation(w["make_verbs"]), alternation(w["turn_verbs"])
    gray = alternation(w["grayscale"])
    return _Words(
        kind_of=kind_of, noun_of=noun_of, too_of=too_of,
        less=re.compile(rf"\b(?:{alternation(w['less_words'])})\b"),
        direction=re.compile(rf"\b(?:{alternation(w['more_words'] + w['less_words'])})\b"),
        noun=re.compile(rf"\b(?:{alternation(noun_of)})\b"),
        verb_first=re.compile(rf"(?P<adj>{adjectives})(?:\s+(?P<src>.+?))??(?:\s+(?:up|down))?(?:\s+(?P<deg>{deg}))?"),
        make_form=re.compile(rf"(?:(?:{make})\s+(?:(?P<src>.+?)\s+)??(?:look\s+|appear\s+|seem\s+|be\s+)?"
                             rf"|(?P<src2>.+?)\s+(?:should|must|could|needs\s+to|has\s+to)\s+(?:be|look)\s+)?"
                             rf"(?:(?P<deg1>{deg})\s*)?(?P<adj>{adjectives})(?:\s+(?P<deg2>{deg}))?"),
        too=re.compile(rf"(?P<src>.+?)\s*(?:is|are|looks?|seems?|'s|’s|got)\s+(?:(?:way|a\s+bit|a\s+little|kind\s+of|"
                       rf"far|much|rather|quite|a\s+tad)\s+)?too\s+(?P<word>{alternation(too_of)})"),
        grayscale=re.compile(rf"(?:(?P<verb>{turn})\s+(?:(?P<src>.+?)\s+)??(?:(?:to|into|in|as)\s+)?)?(?:a\s+|an\s+)?"
                             rf"(?P<g>{gray})(?:\s+(?P<tail>{alternation(w['grayscale_tails'])}))?"),
        decolour=re.compile(rf"(?:{alternation(w['decolour'])})(?:\s+(?:from|of|in|on)\s+(?P<src>.+))?"),
    )


def _adjust(kind: str, sign: int, degree: Optional[str], source: Optional[str]) -> ClauseParse:
    amount = None if kind == "grayscale" else sign * AMOUNT[degree_en(degree)]
    return action_clause("adjust", "en", source=source_en(source, keep_pronoun=True), adjust=kind, amount=amount)


def _grayscale(text: str) -> Optional[ClauseParse]:
    w = _words()
    match = w.decolour.fullmatch(text)
    if match:
        return _adjust("grayscale", 1, None, match["src"])
    match = w.grayscale.fullmatch(text)
    if not match:
        return None
    src = match["src"]
    plain_colour = match["g"] in ("gray", "grey") and not match["tail"]
    if not match["verb"] and not match["tail"] and plain_colour:
        return None
    if (not is_whole(src) or (plain_colour and is_pronoun(src))) and not match["tail"]:
        return None  # "make the cat black and white", "make it grey": a recolour
    return _adjust("grayscale", 1, None, src)


def _by_noun(text: str) -> Optional[ClauseParse]:
    """"increase the contrast", "turn the brightness of the sky down a bit", "more saturation"."""
    w = _words()
    match = w.noun.search(text)
    if not match:
        return None
    head, tail = text[:match.start()], text[match.end():]
    said = w.direction.search(head) or w.direction.search(tail) or re.search(r"\b(?:up|down)\b", tail)
    if not said and not re.search(r"\b(?:adjust|change|tweak|fix|set|correct|balance)\b", head):
        return None
    sign = -1 if said and (w.less.fullmatch(said.group()) or said.group() == "down") else 1
    kind = w.noun_of[match.group()]
    if kind.startswith("-"):
        kind, sign = kind[1:], -sign
    where = re.search(r"\b(?:of|on|in|for|to)\s+(?P<src>.+?)(?:\s+(?:up|down))?(?:\s+" + degree_pattern() + ")?$", tail)
    before = head[said.end():] if said and said.start() < len(head) else head
    owner = re.search(r"(?P<src>[\w\s]+?)(?:'s|’s)\s*$", before)
    source = where["src"] if where else owner["src"] if owner else None
    if not said:
        return action_clause("adjust", "en", source=source_en(source, keep_pronoun=True),
                             adjust=kind, amount=None)
    return _adjust(kind, sign, text, source)


def _by_adjective(text: str) -> Optional[ClauseParse]:
    """"make the photo darker", "brighten the sky a bit", "blur the background", "warmer", "it's too dark"."""
    w = _words()
    match = w.too.fullmatch(text)
    if match:
        kind, sign = w.too_of[match["word"]]
        return _adjust(kind, sign, None, match["src"])
    match = w.make_form.fullmatch(text) or w.verb_first.fullmatch(text)
    if not match:
        return None
    groups = match.groupdict()
    kind, sign = w.kind_of[match["adj"]]
    degree = " ".join(g for g in (groups.get("deg"), groups.get("deg1"), groups.get("deg2")) if g)
    source = groups.get("src") or groups.get("src2")
    if source and re.search(r"\b(?:with|into|to)\b", source):
        return None
    return _adjust(kind, sign, degree, source)


def read_adjust_en(text: str) -> Optional[ClauseParse]:
    """An adjust command for `text` (lower case, cleaned, polite words off), or None."""
    return _grayscale(text) or _by_noun(text) or _by_adjective(text)
