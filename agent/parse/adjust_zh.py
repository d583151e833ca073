"""Chinese photo adjustments: "把照片调亮一点" → adjust brightness +0.25 (whole picture); "提高天空的对比度"
→ adjust contrast +0.5 on 天空; "背景虚化" → sharpness -0.5 on 背景; "变成黑白照片" → grayscale.

Word lists: prompts/zh_actions.yaml (`adjust`, `grayscale`, `more_words`, `less_words`, …).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import AMOUNT, action_clause, action_words, alternation
from agent.parse.clause import ClauseParse
from agent.parse.subject_zh import degree_zh, is_whole, only_degree, source_zh

_EFFECT = re.compile(r"效果|模式|滤镜|色调|化|去色|去掉|去除")


@dataclass(frozen=True)
class _Words:
    kind_of: dict[str, tuple[str, int]]  # adjective → (kind, +1 more / -1 less)
    noun_of: dict[str, str]  # "亮度" → "brightness"
    adjectives: re.Pattern[str]
    nouns: re.Pattern[str]
    prefix: re.Pattern[str]
    direction: re.Pattern[str]
    more: frozenset[str]
    lead_verb: re.Pattern[str]
    grayscale: re.Pattern[str]
    targets: re.Pattern[str]
    target_of: dict[str, tuple[str, int]]
    verb_first: re.Pattern[str]
    complaint: re.Pattern[str]
    tint: re.Pattern[str]
    tint_of: dict[str, tuple[str, int]]


@functools.cache
def _words() -> _Words:
    w = action_words("zh")
    kind_of = {a: (kind, sign) for kind, parts in w["adjust"].items()
               for sign, key in ((1, "more"), (-1, "less")) for a in parts[key]}
    noun_of = {n: kind for kind, parts in w["adjust"].items() for n in parts["nouns"]}
    direction = alternation(w["more_words"] + w["less_words"])
    turn = alternation(w["turn_into"])
    long_adjectives = alternation(a for a in kind_of if len(a) > 1)
    return _Words(
        kind_of=kind_of, noun_of=noun_of,
        adjectives=re.compile(alternation(kind_of)),
        nouns=re.compile(alternation(noun_of)),
        prefix=re.compile(rf"(?:{alternation(w['adjust_prefixes'])})$"),
        direction=re.compile(direction),
        more=frozenset(w["more_words"]),
        lead_verb=re.compile(rf"^(?:{alternation(w['markers'])})?(?:{direction})?(?:一下)?"),
        grayscale=re.compile(rf"(?P<pre>.*?)(?P<verb>{turn})?(?:一张|一个)?(?P<g>{alternation(w['grayscale'])})"
                             r"(?P<tail>的?(?:照片|图片|图像|相片|图|照|效果|模式|风格|色调|滤镜|样子|感觉|色))?"
                             r"(?:一下|吧|了|啦)*"),
        targets=re.compile(rf"(?P<pre>.*?)(?:{turn}|增加|加上|来|加)(?P<deg>一些|一点|点|些)?"
                           rf"(?P<t>{alternation(w['adjust_targets'])})(?P<post>.*)"),
        target_of={t: (kind, sign) for t, (kind, sign) in w["adjust_targets"].items()},
        complaint=re.compile(rf"(?:{alternation(w['complaint_markers'])})$"),
        tint=re.compile(rf"(?P<pre>.*?)(?:{alternation(w['complaint_markers'])})(?P<adj>"
                        rf"{alternation(w['complaint_adjectives'])})(?:了|啦|呀)?"),
        tint_of={a: (kind, sign) for a, (kind, sign) in w["complaint_adjectives"].items()},
        verb_first=re.compile(rf"(?P<adj>{long_adjectives})(?:一下)?(?P<src>[^的].*)"),
    )


def _adjust(kind: str, sign: int, degree_text: str, source_text: str) -> ClauseParse:
    amount = None if kind == "grayscale" else sign * AMOUNT[degree_zh(degree_text)]
    return action_clause("adjust", "zh", source=source_zh(source_text), adjust=kind, amount=amount)


def _grayscale(text: str) -> Optional[ClauseParse]:
    match = _words().grayscale.fullmatch(text)
    if not match:
        return None
    effect = bool(_EFFECT.search(match["g"] + (match["tail"] or "")))
    if not is_whole(source_zh(match["pre"]).text) and match["verb"] and not effect:
        return None  # "把猫变成黑白的": a recolour of the cat
    return action_clause("adjust", "zh", source=source_zh(match["pre"]), adjust="grayscale")


def _target(text: str) -> Optional[ClauseParse]:
    """"调成暖色调" → warmth +; "把照片变成冷色调" → warmth -."""
    match = _words().targets.fullmatch(text)
    if not match or not only_degree(match["post"]):
        return None
    kind, sign = _words().target_of[match["t"]]
    return _adjust(kind, sign, (match["deg"] or "") + match["post"], match["pre"])


def _by_noun(text: str) -> Optional[ClauseParse]:
    """"提高天空的亮度", "把对比度调低一点", "饱和度再高一些"."""
    w = _words()
    match = w.nouns.search(text)
    if not match:
        return None
    pre, post = text[:match.start()], text[match.end():]
    said = w.direction.search(post)
    lead = w.lead_verb.match(pre)
    verb = said.group() if said else lead.group().lstrip("把将让给使令帮对") if lead else ""
    verb = next((v for v in (verb, verb.removesuffix("一下")) if w.direction.fullmatch(v)), "")
    rest = post[said.end():] if said else post
    if not verb and not re.search(r"调|改|修", pre + post):
        return None  # "亮度怎么样": not a request
    if said and not only_degree(re.sub(r"^(?:一点|一些|点|些)", "", rest)) and not only_degree(rest):
        return None
    source = pre[lead.end():] if lead and not said else pre
    source = re.sub(r"^(?:调整|调节|修改|调|改)?(?:一下)?(?:一点点|一点|一些|稍微|很多|大幅|点儿|点|些)?", "",
                    source.lstrip("把将让给使令帮对"))
    sign = 1 if verb in w.more else -1
    kind = w.noun_of[match.group()]
    if not verb:
        return action_clause("adjust", "zh", source=source_zh(source), adjust=kind, amount=None)
    return _adjust(kind, sign, pre + post, source)


def _by_adjective(text: str) -> Optional[ClauseParse]:
    """"把天空调亮一点", "让照片更清晰", "暗一点", "照片太暗了" (too dark: brighter), "背景虚化"."""
    w = _words()
    for match in w.adjectives.finditer(text):
        pre, adjective, post = text[:match.start()], match.group(), text[match.end():]
        if not only_degree(post):
            continue
        prefix = w.prefix.search(pre)
        complaint = w.complaint.search(pre) or (
            post.endswith("了") and not prefix and not re.match(r"[把将让给使令]", pre))  # "图片模糊了"
        lacking = re.search(r"不够$", pre)
        strong_post = bool(post) and degree_zh(post) != "plain"
        if not (len(adjective) > 1 or prefix or complaint or lacking or strong_post
                or re.match(r"[把将让给使令]", pre)):
            continue
        kind, sign = w.kind_of[adjective]
        if complaint:
            cut = complaint.start() if isinstance(complaint, re.Match) else len(pre)
            pre, sign, post = pre[:cut], -sign, ""
        elif lacking:
            pre = pre[:lacking.start()]
        elif prefix:
            pre = "" if is_whole(source_zh(pre).text) else pre[:prefix.start()]  # "色调冷一些": 色调 is whole
        return _adjust(kind, sign, post, re.sub(r"(?:更加|更|再|还|得)$", "", pre))
    match = w.tint.fullmatch(text)
    if match:  # "照片偏黄": cooler
        kind, sign = w.tint_of[match["adj"]]
        return _adjust(kind, -sign, "", match["pre"])
    match = w.verb_first.fullmatch(text)
    if match and not re.search(r"[去删换加移]", match["src"]):
        kind, sign = w.kind_of[match["adj"]]
        return _adjust(kind, sign, "", match["src"])
    return None


def read_adjust_zh(text: str) -> Optional[ClauseParse]:
    """An adjust command for `text` (cleaned, polite words off), or None when it asks for none."""
    return _grayscale(text) or _target(text) or _by_noun(text) or _by_adjective(text)
