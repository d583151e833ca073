"""Chinese moves and resizes: "把右边的椅子移到左边" → move 椅子 (right) to left; "往右移一点" → move to
right by 0.15; "把狗放大一点" → resize 狗 ×1.25; "放大两倍" → ×2; "缩小一半" → ×0.5.

A move to somewhere that is no direction ("把猫移到沙发上") or nowhere ("把猫移动一下") keeps `to` None and
a resize by 0 or by 100 keeps its number: the editor refuses those in one line. Word lists:
prompts/zh_actions.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import SHIFT, action_clause, action_words, alternation, scale_by, scale_for
from agent.parse.clause import ClauseParse, Phrase
from agent.parse.commands import Direction
from agent.parse.subject_zh import degree_zh, only_degree, source_zh, zh_float

_NUMBER = r"[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千]+"
_SPEC = re.compile(rf"(?P<to>到|至|为|成)?(?:原来的|原先的|原本的|现在的)?(?:(?P<n>{_NUMBER})(?P<u>倍|%|成)"
                   r"|(?P<half>一半|二分之一|1/2))(?:大|大小|的大小|左右)?(?:一下|吧|了|啦)*")
_UNITS = {"倍": "times", "%": "percent", "成": "tenths"}


@dataclass(frozen=True)
class _Words:
    direction_of: dict[str, Direction]
    destination: re.Pattern[str]
    towards: re.Pattern[str]
    side_move: re.Pattern[str]
    bare_move: re.Pattern[str]
    move_first: re.Pattern[str]
    place_verbs: frozenset[str]
    resize_verb: re.Pattern[str]
    bigger: frozenset[str]
    adjective: re.Pattern[str]
    size_noun: re.Pattern[str]
    neutral: re.Pattern[str]
    complaint: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("zh")
    direction_of = {word: d for d, ws in w["destinations"].items() for word in ws}
    moves, places = alternation(w["move_verbs"]), alternation(w["place_verbs"])
    towards, dirs = alternation(w["towards"]), alternation(direction_of)
    bigger = set(w["bigger_verbs"]) | set(w["bigger_adjectives"])
    return _Words(
        direction_of=direction_of,
        destination=re.compile(rf"(?P<pre>.*?)(?P<verb>{moves}|{places})(?:动)?(?:到|去|至|往|向|进)(?P<dest>.*)"),
        towards=re.compile(rf"(?P<pre>.*?)(?:{towards})(?P<dir>{dirs})(?:边|面|侧|方)?(?:{moves}|{places}|靠|偏)"
                           r"(?:动|一动|一挪|一移|挪|移)?(?P<post>.*)"),
        side_move=re.compile(r"(?P<pre>.*?)(?P<dir>左|右|上|下)(?:移|挪|平移)(?:动)?(?P<post>.*)"),
        bare_move=re.compile(rf"(?P<pre>.+?)(?:{moves})(?:一下|一动|一挪|一移)?(?:位置|一下位置)?(?:吧|了|啦)*"),
        move_first=re.compile(r"(?:移动|挪动|挪|移)(?:一下)?(?P<src>(?![走掉除开去出])[^到去至往向].*)"),
        place_verbs=frozenset(w["place_verbs"]),
        resize_verb=re.compile(alternation(w["bigger_verbs"] + w["smaller_verbs"])),
        bigger=frozenset(bigger),
        adjective=re.compile(rf"(?P<prefix>{alternation(w['resize_prefixes'])})?"
                             rf"(?P<adj>{alternation(w['bigger_adjectives'] + w['smaller_adjectives'])})"),
        size_noun=re.compile(rf"(?:{alternation(w['size_nouns'])})$"),
        complaint=re.compile(rf"(?:{alternation(w['complaint_markers'])})$"),
        neutral=re.compile(r"(?P<pre>.*?)(?:缩放|调整|变成|变为|调成|弄成|改成)(?:一下)?(?P<spec>.*)"),
    )


def direction_zh(text: str) -> Optional[Direction]:
    """The direction a destination names: "左边" / "画面的左侧去" → "left"; "沙发上" → None."""
    w = action_words("zh")
    text = re.sub(r"(?:一下|吧|了|啦)+$", "", text)
    text = re.sub(rf"^(?:{alternation(w['destination_prefixes'])})", "", text)
    for _ in range(2):
        text = re.sub(rf"(?:{alternation(w['destination_suffixes'])})$", "", text) or text
        if text in _words().direction_of:
            return _words().direction_of[text]
    return None


def _thing(pre: str) -> Phrase:
    return source_zh(_words().size_noun.sub("", pre.strip("的 ")))


def _move(text: str) -> Optional[ClauseParse]:
    w = _words()
    match = w.destination.fullmatch(text)
    if match:
        dest = re.sub(r"(?:一点点|一点|一些|点|些)$", "", match["dest"])
        to = direction_zh(dest)
        if to is None and match["verb"] in w.place_verbs:
            return None  # "把帽子放到桌子上": an add
        shift = SHIFT["small"] if to and dest != match["dest"] else None
        return action_clause("move", "zh", source=_thing(match["pre"]), to=to, shift=shift)
    for pattern in (w.towards, w.side_move):
        match = pattern.fullmatch(text)
        if match and only_degree(match["post"]):
            to = w.direction_of.get(match["dir"])
            return action_clause("move", "zh", source=_thing(match["pre"]), to=to,
                                 shift=SHIFT[degree_zh(match["post"])])
    match = w.bare_move.fullmatch(text)
    if match and not re.search(r"[不别]", match["pre"]):
        return action_clause("move", "zh", source=_thing(match["pre"]))
    match = w.move_first.fullmatch(text)
    if match:
        return action_clause("move", "zh", source=_thing(match["src"]))
    return None


def _scale(bigger: bool, post: str) -> Optional[float]:
    """The factor `post` (what follows the verb) says, or -1 when it is no size at all."""
    if only_degree(post):
        return scale_for(bigger, degree_zh(post))
    spec = _SPEC.fullmatch(post)
    if not spec:
        return -1
    if spec["half"]:
        return 0.5 if not bigger or spec["to"] else 1.5
    number = zh_float(spec["n"])
    if number is None:
        return -1
    return scale_by(bigger, number, _UNITS[spec["u"]], absolute=bool(spec["to"]))


def _resize(text: str) -> Optional[ClauseParse]:
    w = _words()
    for match in w.resize_verb.finditer(text):
        scale = _scale(match.group() in w.bigger, text[match.end():])
        if scale != -1:
            return action_clause("resize", "zh", source=_thing(text[:match.start()]), scale=scale)
    for match in w.adjective.finditer(text):
        pre, post = text[:match.start()], text[match.end():]
        complaint = None if match["prefix"] else w.complaint.search(pre)
        if complaint and only_degree(post):  # "狗太小了": bigger
            return action_clause("resize", "zh", source=_thing(pre[:complaint.start()]),
                                 scale=scale_for(match["adj"] not in w.bigger, "plain"))
        if not (match["prefix"] or (post and only_degree(post)) or _SPEC.fullmatch(post)):
            continue
        scale = _scale(match["adj"] in w.bigger, post)
        if scale != -1:
            return action_clause("resize", "zh", source=_thing(text[:match.start()]), scale=scale)
    match = w.neutral.fullmatch(text)
    if match and (_SPEC.fullmatch(match["spec"]) or re.fullmatch(r"(?:一下)?(?:大小|尺寸)", match["spec"])):
        spec = _SPEC.fullmatch(match["spec"])
        scale = _scale(True, "到" + match["spec"].lstrip("到至为成")) if spec else None
        return action_clause("resize", "zh", source=_thing(match["pre"]), scale=scale)
    return None


def read_layout_zh(text: str) -> Optional[ClauseParse]:
    """A resize or move command for `text` (cleaned, polite words off), or None when it asks for neither."""
    return _resize(text) or _move(text)
