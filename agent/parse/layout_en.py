"""English moves and resizes: "move the chair on the right to the left" → move chair (right) to left;
"nudge the cat a bit to the left" → move to left by 0.15; "make the cup smaller" → resize cup ×0.67;
"make the dog twice as big" → ×2; "shrink it by 30%" → ×0.7.

A move with no direction ("move the dog", "move the dog next to the cat") keeps `to` None and a resize by 0
or by 100 keeps its number: the editor refuses those in one line. Word lists: prompts/en_actions.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import SHIFT, action_clause, action_words, alternation, scale_by, scale_for
from agent.parse.clause import ClauseParse
from agent.parse.commands import Direction
from agent.parse.subject_en import as_number, degree_en, degree_pattern, number_pattern, source_en

_MULTIPLY = {"double": 2.0, "triple": 3.0, "quadruple": 4.0, "halve": 0.5}
_UNIT = r"(?P<u>x|times|%|\s*percent|\s*per\s+cent)"


@dataclass(frozen=True)
class _Words:
    direction_of: dict[str, Direction]
    place_verbs: frozenset[str]
    move: re.Pattern[str]
    bare_move: re.Pattern[str]
    center: re.Pattern[str]
    bigger: frozenset[str]
    comparative: re.Pattern[str]
    relative: re.Pattern[str]
    absolute: re.Pattern[str]
    verb: re.Pattern[str]
    multiply: re.Pattern[str]
    too: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("en")
    direction_of = {word: d for d, ws in w["directions"].items() for word in ws}
    deg, num = degree_pattern(), number_pattern()
    dirs, tails = alternation(direction_of), alternation(w["direction_tails"])
    make, adjs = alternation(w["make_verbs"]), alternation(w["bigger"] + w["smaller"])
    sizes = alternation(w["bigger_verbs"] + w["smaller_verbs"] + w["neutral_verbs"])
    return _Words(
        direction_of=direction_of,
        place_verbs=frozenset(w["place_verbs"]),
        move=re.compile(rf"(?P<verb>{alternation(w['move_verbs'])})\s+(?P<src>.+?)(?:\s+(?P<deg1>{deg}))??"
                        rf"(?:\s+(?:over\s+)?(?P<prep>to|towards|toward|into|onto|over\s+to|in|on|at)(?:\s+the)?)?"
                        rf"\s+(?P<dir>{dirs})(?:\s+(?:{tails}))*(?:\s+(?P<deg2>{deg}))?"),
        bare_move=re.compile(r"(?:move|shift|drag|slide|nudge|relocate|reposition|scoot|budge)\s+(?P<src>.+?)"
                             r"(?:\s+(?:somewhere(?:\s+else)?|around|elsewhere|a\s+bit|a\s+little|over\s+there|"
                             r"over|there|next\s+to\s+.+|near\s+.+|beside\s+.+|behind\s+.+|in\s+front\s+of\s+.+|"
                             r"(?:closer|nearer)\s+to\s+.+|towards?\s+.+|away\s+from\s+.+))?"),
        center=re.compile(r"(?:center|centre)\s+(?P<src>.+?)(?:\s+in\s+the\s+(?:frame|picture|image|photo|middle))?"),
        bigger=frozenset(w["bigger"] + w["bigger_verbs"]),
        comparative=re.compile(rf"(?:(?:{make})\s+(?:(?P<src>.+?)\s+)??(?:look\s+|appear\s+|seem\s+)?)?"
                               rf"(?:(?P<deg1>{deg})\s*)?(?P<adj>{adjs})(?:\s+(?P<deg2>{deg}))?"),
        relative=re.compile(rf"(?:{make})\s+(?P<src>.+?)\s+(?P<n>{num})\s*{_UNIT}\s+(?P<adj>{adjs})"),
        absolute=re.compile(rf"(?:{make})\s+(?P<src>.+?)\s+(?P<n>{num})\s*(?:x|times)?\s*(?:as\s+(?:big|large)"
                            r"(?:\s+as\s+(?:before|now|it\s+is))?|(?:the|its|their)\s+(?:current\s+|original\s+)?size)"),
        verb=re.compile(rf"(?P<verb>{sizes})(?:\s+(?P<src>.+?))??(?:\s+(?P<dir>up|down))?"
                        rf"(?:\s+(?P<spec>(?:by|to)\s+.+|{num}\s*{_UNIT}|{deg}))?"),
        too=re.compile(r"(?P<src>.+?)\s*(?:is|are|looks?|seems?|'s|’s)\s+(?:(?:way|a\s+bit|a\s+little|kind\s+of|far|"
                       r"much|rather|quite|a\s+tad)\s+)?too\s+(?P<adj>big|large|huge|small|tiny|little)"),
        multiply=re.compile(r"(?P<verb>double|triple|quadruple|halve)\s+(?:the\s+size\s+of\s+(?P<src>.+)|"
                            r"(?P<src2>.+?)(?:(?:'s|’s)?\s+(?:in\s+)?size)?)"),
    )


def _move(text: str) -> Optional[ClauseParse]:
    w = _words()
    match = w.move.fullmatch(text)
    if match:
        src = re.sub(r"\s+(?:over|back|across)$", "", match["src"])  # "move the cat over a little to the left"
        if match["verb"] in w.place_verbs and (not match["prep"] or re.match(r"(?:a|an|some|one|two)\s", src)):
            return None  # "put a hat on the left": an add
        to = w.direction_of[match["dir"]]
        degree = " ".join(d for d in (match["deg1"], match["deg2"]) if d)
        destination = bool(match["prep"]) and match["dir"] not in ("up", "down", "higher", "lower")
        shift = (SHIFT["small"] if degree_en(degree) == "small" else None) if destination else SHIFT[degree_en(degree)]
        return action_clause("move", "en", source=source_en(src, keep_pronoun=True), to=to, shift=shift)
    match = w.center.fullmatch(text)
    if match:
        return action_clause("move", "en", source=source_en(match["src"], keep_pronoun=True), to="center")
    match = w.bare_move.fullmatch(text)
    if match and not re.fullmatch(r"(?:on|back|forward|ahead|along)", match["src"]):
        return action_clause("move", "en", source=source_en(match["src"], keep_pronoun=True))
    return None


def _spec_scale(bigger: Optional[bool], spec: str) -> Optional[float]:
    """The factor of "by 50%", "to half", "by a factor of 2", "2x", "a bit" after a resize verb."""
    absolute = spec.startswith("to ") or bigger is None
    body = re.sub(r"^(?:by|to)\s+(?:a\s+factor\s+of\s+)?", "", spec).strip()
    body = re.sub(r"\s+(?:its|the|their)\s+(?:current\s+|original\s+)?size$|\s+as\s+(?:big|large)$", "", body)
    unit = re.fullmatch(rf"(?P<n>{number_pattern()})\s*{_UNIT}?", body)
    if not unit:
        return scale_for(bool(bigger), degree_en(spec)) if bigger is not None else None
    number = as_number(unit["n"])
    if number is None:
        return None
    kind = "percent" if unit["u"] and "x" not in unit["u"] and "times" not in unit["u"] else "times"
    if not absolute and kind == "times" and number < 1:
        kind, number = "percent", number * 100  # "shrink by half" → ×0.5, "enlarge by a third" → ×1.33
    return scale_by(bool(bigger), number, kind, absolute=absolute)


def _resize(text: str) -> Optional[ClauseParse]:
    w = _words()
    match = w.relative.fullmatch(text)
    if match:
        kind = "times" if match["u"] in ("x", "times") else "percent"
        scale = scale_by(match["adj"] in w.bigger, as_number(match["n"]) or 0.0, kind, absolute=False)
        return action_clause("resize", "en", source=source_en(match["src"], keep_pronoun=True), scale=scale)
    match = w.absolute.fullmatch(text)
    if match:
        return action_clause("resize", "en", source=source_en(match["src"], keep_pronoun=True),
                             scale=as_number(match["n"]))
    match = w.too.fullmatch(text)
    if match:  # "the dog is too small": bigger
        return action_clause("resize", "en", source=source_en(match["src"], keep_pronoun=True),
                             scale=scale_for(match["adj"] in ("small", "tiny", "little"), "plain"))
    match = w.multiply.fullmatch(text)
    if match:
        return action_clause("resize", "en", source=source_en(match["src"] or match["src2"], keep_pronoun=True),
                             scale=_MULTIPLY[match["verb"]])
    match = w.comparative.fullmatch(text)
    if match:
        degree = " ".join(d for d in (match["deg1"], match["deg2"]) if d)
        return action_clause("resize", "en", source=source_en(match["src"], keep_pronoun=True),
                             scale=scale_for(match["adj"] in w.bigger, degree_en(degree)))
    match = w.verb.fullmatch(text)
    if match and (match["src"] or match["verb"] == text):  # "enlarge": the thing is clicked or named before
        neutral = match["verb"] not in w.bigger and not re.match(r"(?:shrink|scale\s+down|size\s+down|downsize|"
                                                                  r"reduce|decrease|make\s+smaller|minimize|diminish)",
                                                                  match["verb"])
        bigger = None if neutral and not match["dir"] else match["dir"] != "down" if neutral else \
            match["verb"] in w.bigger
        scale = _spec_scale(bigger, match["spec"] or "")
        return action_clause("resize", "en", source=source_en(match["src"], keep_pronoun=True), scale=scale)
    return None


def read_layout_en(text: str) -> Optional[ClauseParse]:
    """A resize or move command for `text` (lower case, cleaned, polite words off), or None."""
    return _resize(text) or _move(text)
