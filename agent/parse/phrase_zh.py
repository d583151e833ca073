"""Chinese noun phrases: qualifiers out, determiners and classifiers off, colours recognised.

"那只黑色的猫" → Phrase("黑色的猫"); "最大的那棵树" → Phrase("树", position="largest");
"第三个瓶子" → Phrase("瓶子", index=3); "所有的苹果" → Phrase("苹果", all=True);
paint_target("沙发", "红色") → "红色的沙发".
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.parse.clause import Phrase
from agent.parse.lexicon import lexicon, positions, zh_tokenize

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_EDGE = " ,，、:：的"
# Classifiers jieba sometimes glues to the noun after a numeral or demonstrative ("这/本书", "一/个人");
# only those that rarely begin a noun themselves (not 头, 条, 把, 面…: 头发, 条纹, 把手, 面包).
_LEADING_CLASSIFIERS = set("本个只位辆棵朵件盏座")
_ENGLISH_ARTICLE = re.compile(r"^(?:the|a|an|this|that|these|those|some)\s+", re.I)  # "把 the car 换成…"


@dataclass(frozen=True)
class _Words:
    """The lexicon lists used here, as sets and compiled patterns (built once)."""

    demonstratives: frozenset[str]
    plural: frozenset[str]
    all_words: frozenset[str]
    others: frozenset[str]
    pictures: frozenset[str]
    among: frozenset[str]
    position_of: dict[str, str]
    det_token: re.Pattern[str]
    det_prefix: re.Pattern[str]
    ordinal: re.Pattern[str]
    number_sign: re.Pattern[str]
    colour: re.Pattern[str]
    styles: frozenset[str]
    style_suffix: re.Pattern[str]
    look_suffix: re.Pattern[str]
    colour_noun: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    lex = lexicon("zh")
    classifiers = "|".join(sorted(map(re.escape, lex["classifiers"]), key=len, reverse=True))
    numerals = "".join(lex["numerals"])
    colours = sorted(lex["colours"], key=len, reverse=True)
    modifiers = "|".join(map(re.escape, lex["colour_modifiers"]))
    return _Words(
        demonstratives=frozenset(lex["demonstratives"]),
        plural=frozenset(lex["plural_demonstratives"]),
        all_words=frozenset(lex["all_words"]) - {"都", "全"},
        others=frozenset(lex["other_words"]),
        pictures=frozenset(lex["picture_words"]),
        among=frozenset(lex["among_words"]),
        position_of=positions("zh"),
        det_token=re.compile(rf"(?P<d>[这那此该某每哪])?(?P<n>[0-9]+|[{numerals}]+)?(?P<c>{classifiers})?"),
        det_prefix=re.compile(rf"(?:[这那][一]?|[一两几]|[0-9]+)(?:{classifiers})(?P<rest>.+)"),
        ordinal=re.compile(lex["ordinal_regex"]),
        number_sign=re.compile(lex["number_sign_regex"]),
        colour=re.compile(rf"(?:{modifiers})?(?:{'|'.join(map(re.escape, colours))})色?(?:的)?"),
        styles=frozenset(lex["styles"]),
        style_suffix=re.compile(rf".+(?:{'|'.join(map(re.escape, lex['style_suffixes']))})"),
        look_suffix=re.compile(rf"(?:{'|'.join(map(re.escape, lex['look_suffixes']))})$"),
        colour_noun=re.compile(rf"(?:的)?(?:{'|'.join(map(re.escape, lex['colour_nouns']))})$"),
    )


def zh_number(text: str) -> int | None:
    """"3" → 3, "三" → 3, "十二" → 12, "二十一" → 21, "两" → 2; None when not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    tens, _, units = text.partition("十")
    return (_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS[units] if units else 0)


def take_index(text: str) -> tuple[str, int | None]:
    """`text` without its ordinal, and the ordinal: "第三个瓶子" → ("瓶子", 3), "2号杯子" → ("杯子", 2)."""
    w = _words()
    for pattern in (w.ordinal, w.number_sign):
        match = pattern.search(text)
        if match:  # "第0个" names no instance: the ordinal goes, the thing stays ("杯子")
            return text[:match.start()] + text[match.end():], zh_number(match.group(1)) or None
    return text, None


def _strip_determiners(tokens: list[str], keep_counts: bool) -> tuple[list[str], bool]:
    """Drop demonstratives, numeral+classifier tokens and quantifiers; True in the result when one meant
    "all" (所有, 全部, 每个, 这些)."""
    w = _words()
    kept: list[str] = []
    every = False
    dropped = True  # a classifier at the very start ("个苹果") is dropped like one after a numeral
    for i, token in enumerate(tokens):
        quantifier = next((q for q in w.all_words if len(q) > 1 and token.startswith(q) and token != q), None)
        if quantifier:  # jieba keeps "所有人" whole
            token, every = token[len(quantifier):], True
        det = w.det_token.fullmatch(token)
        if token in w.demonstratives or token in w.all_words:
            every = every or token in w.plural or token in w.all_words
            dropped = True
            continue
        last = i == len(tokens) - 1 or all(t in ("的", " ") for t in tokens[i + 1:])
        if det and (det["d"] or det["n"] or (det["c"] and dropped and not last)) and token:
            count = det["n"] and det["n"] not in ("一", "1")
            if keep_counts and count and det["c"]:
                kept.append(token)
            every = every or det["d"] == "每"
            dropped = True
            continue
        prefix = w.det_prefix.fullmatch(token) if dropped or token[0] in "这那" else None
        if prefix and not (keep_counts and token[0] not in "一这那"):
            token = prefix["rest"]
        elif dropped and kept == [] and len(token) > 1 and token[0] in _LEADING_CLASSIFIERS:
            token = token[1:]  # "这" + jieba's "本书" → 书
        if token == "的" and dropped and kept and i < len(tokens) - 1:
            continue  # "所有的苹果" → "苹果", but keep "黑色的" + "猫"
        kept.append(token)
        dropped = False
    return kept, every


def _take_position(tokens: list[str]) -> tuple[list[str], str | None]:
    """Find a position at the start ("左边的人") or, after an "among" word or as a superlative, at the end
    ("杯子中最大的", "瓶子最左边的")."""
    w = _words()
    t = list(tokens)
    while t and t[0] in ("在", "位于", "处在", "的"):
        t = t[1:]

    def word_at(i: int) -> tuple[str | None, int]:
        if 0 <= i < len(t) - 1 and t[i] == "最" and "最" + t[i + 1] in w.position_of:
            return w.position_of["最" + t[i + 1]], 2
        if 0 <= i < len(t) and t[i] in w.position_of:
            return w.position_of[t[i]], 1
        return None, 0

    position, size = word_at(0)
    if position:
        rest = t[size:]
        while rest and rest[0] == "的":
            rest = rest[1:]
        return rest, position
    end = len(t)
    while end and t[end - 1] == "的":
        end -= 1
    for size in (2, 1):
        position, used = word_at(end - size)
        if position and used == size:
            start = end - size
            among = start > 0 and t[start - 1] in w.among
            if among or t[start].startswith("最"):
                return t[:start - 1 if among else start], position
    return t, None


def _drop_picture(tokens: list[str]) -> list[str]:
    """"图片里的汽车" → "汽车": a leading "in the picture" says nothing about the object."""
    if len(tokens) > 1 and tokens[0] in _words().pictures:
        rest = 1
        while rest < len(tokens) and tokens[rest] in ("里", "中", "上", "的", "里面", "当中", "中的", "里的", "内"):
            rest += 1
        if rest < len(tokens):
            return tokens[rest:]
    return tokens


def clean_phrase(text: str, *, qualifiers: bool = True, keep_counts: bool = False,
                 drop_others: bool = False) -> Phrase:
    """A source or target phrase as the user meant it, with its qualifiers taken out.

    qualifiers: read position, index and "all" (for sources; targets keep only their words).
    keep_counts: keep "两只" in "两只鸟" (for targets: the count is part of what to paint).
    drop_others: drop 其他/别的 ("除了狗以外的其他动物" → "动物").
    """
    w = _words()
    index = None
    text = text.strip(_EDGE)
    if qualifiers:
        text, index = take_index(text)
    text = _ENGLISH_ARTICLE.sub("", text.strip(_EDGE))
    tokens, every = _strip_determiners(_drop_picture(zh_tokenize(text)), keep_counts)
    tokens = _drop_picture(tokens)  # "这张照片里的电线": the picture word came after a determiner
    position = None
    if qualifiers:
        tokens, position = _take_position(tokens)
    if drop_others:
        tokens = [tok for tok in tokens if tok not in w.others]
    phrase = re.sub(r"的{2,}", "的", "".join(tokens)).strip(_EDGE)
    return Phrase(phrase or None, position=position, index=index, all=every and qualifiers)


def colour_name(text: str) -> str | None:
    """The colour `text` names, or None: "红" → "红色", "深蓝色的" → "深蓝色", "黑白" → "黑白"."""
    text = text.strip(_EDGE)
    if not text or not _words().colour.fullmatch(text):
        return None
    return text + "色" if len(text) == 1 else text


def strip_colours(text: str | None) -> str | None:
    """`text` without its colour words: "黑色的猫" → "猫" (None stays None; all-colour text is kept)."""
    if not text:
        return text
    tokens = zh_tokenize(text)
    kept: list[str] = []
    skip_de = False
    for token in tokens:
        if colour_name(token):
            skip_de = True
            continue
        if token == "的" and skip_de:
            skip_de = False
            continue
        kept.append(token)
        skip_de = False
    return "".join(kept).strip(_EDGE) or text


def split_colour_noun(source: str | None) -> tuple[str | None, bool]:
    """"沙发的颜色" → ("沙发", True): the user talks about the colour of the source."""
    if not source:
        return source, False
    match = _words().colour_noun.search(source)
    if match and match.start() > 0:
        return source[:match.start()].strip(_EDGE), True
    return source, False


def paint_target(source: str | None, target: str | None) -> str | None:
    """What to paint for "把<source>变成<target>": a colour or a style names the object too.

    ("沙发", "红色") → "红色的沙发"; ("黑色的猫", "白色") → "白色的猫"; ("猫", "卡通风格") → "卡通风格的猫";
    ("天空", "日落的样子") → "日落"; ("猫", "狗") → "狗".
    """
    if not target:
        return target
    w = _words()
    plain = w.look_suffix.sub("", target).strip(_EDGE) or target.strip(_EDGE)
    base = strip_colours(source)
    if base and "的" in base:  # "猫咪的眼睛" → paint "蓝色的眼睛": only the part that is repainted
        base = base.rsplit("的", 1)[1] or base
    colour = colour_name(plain)
    if colour:
        return f"{colour}的{base}" if base else colour
    if plain in w.styles or w.style_suffix.fullmatch(plain) or target.endswith("的"):
        return f"{plain}的{base}" if base else plain
    return plain
