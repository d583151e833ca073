"""Chinese whole-picture looks and new pictures: "把整张图变成油画风格" → restyle "油画风格"; "改成下雪天" →
restyle "下雪天"; "画一张海边日落的图片" → generate "海边日落"; "生成一幅横版的山水画" → generate "山水画",
aspect landscape. "画一只猫" (one thing, no picture or scene word) is left to the add rules, and "把天空换成
晚霞" (a named region) to the replace rules. Word lists: prompts/zh_actions.yaml and zh_lexicon.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from agent.parse.actions import STRENGTH, action_clause, action_words, alternation
from agent.parse.clause import ClauseParse
from agent.parse.lexicon import lexicon, zh_tokenize
from agent.parse.subject_zh import is_whole, source_zh


@dataclass(frozen=True)
class _Words:
    generate: re.Pattern[str]
    weak_verbs: frozenset[str]
    picture_counts: frozenset[str]
    wrapper: re.Pattern[str]
    scene: re.Pattern[str]
    expanse: re.Pattern[str]
    aspect_of: dict[str, str]
    aspect: re.Pattern[str]
    looks: frozenset[str]
    look_suffix: re.Pattern[str]
    look_ending: re.Pattern[str]
    turn_into: re.Pattern[str]
    like: re.Pattern[str]
    apply: re.Pattern[str]
    having: re.Pattern[str]
    strong: re.Pattern[str]
    light: re.Pattern[str]


@functools.cache
def _words() -> _Words:
    w = action_words("zh")
    aspect_of = {word: aspect for aspect, ws in w["aspects"].items() for word in ws}
    return _Words(
        generate=re.compile(rf"(?P<verb>{alternation(w['generate_verbs'])})?(?:一下)?"
                            rf"(?P<count>{alternation(w['counts'])})?(?P<desc>.*)"),
        weak_verbs=frozenset(w["weak_generate_verbs"]),
        picture_counts=frozenset(w["picture_counts"]),
        wrapper=re.compile(rf"(?:{alternation(w['picture_wrappers'])})$"),
        scene=re.compile(alternation(w["scene_words"])),
        expanse=re.compile(rf"{w['expanse_count']}.*(?:{alternation(w['expanse_endings'])})"),
        aspect_of=aspect_of,
        aspect=re.compile(alternation(aspect_of)),
        looks=frozenset(w["looks"]) | frozenset(lexicon("zh")["styles"]),
        look_suffix=re.compile(rf".+(?:{alternation(w['look_suffixes'])})$"),
        look_ending=re.compile(rf"(?:{alternation(w['look_endings'])})$"),
        turn_into=re.compile(alternation(w["turn_into"])),
        like=re.compile(rf"(?P<pre>.*?)(?:变得|弄得)?(?:{alternation(w['like_words'])})(?P<look>.+)"),
        apply=re.compile(rf"(?P<pre>.*?)(?:{alternation(w['apply_verbs'])})(?:一个|一种|个|种|点|上)?"
                         rf"(?P<look>.+?(?:{alternation(w['apply_endings'])}))"),
        having=re.compile(r"(?P<pre>.*?)(?:有|带有|带点|带着|呈现出|呈现|充满)(?:一点|一种|一些|点|种)?"
                          r"(?P<look>.+?(?:的感觉|的味道|的氛围|的风格|的效果|的质感|感|风|氛围))"),
        strong=re.compile(alternation(w["strength_strong"])),
        light=re.compile(alternation(w["strength_light"])),
    )


def _generate(text: str) -> Optional[ClauseParse]:
    w = _words()
    aspect = None
    found = w.aspect.search(text)
    if found:
        aspect = w.aspect_of[found.group()]
        text = (text[:found.start()] + text[found.end():]).replace("的的", "的")
    match = w.generate.fullmatch(text)
    if not match or (not match["verb"] and not match["count"]):
        return None
    verb, count, desc = match["verb"], match["count"], match["desc"].strip("的 ")
    if re.match(r"[成在到上出进]", desc):
        return None  # "画成油画" restyles, "画在墙上" / "画上" add
    wrapped = bool(w.wrapper.search(desc)) or desc in ("画", "图")
    picture = count in w.picture_counts
    if not verb:
        ok = picture and wrapped
    elif verb in w.weak_verbs:
        ok = wrapped or (picture and aspect is not None)
    else:
        ok = (wrapped or picture or bool(w.scene.search(desc)) or aspect is not None
              or bool(w.expanse.fullmatch((count or "") + desc)))
    if not ok:
        return None
    target = w.wrapper.sub("", desc).strip("的 ") if wrapped else desc
    target = re.sub(r"^.*?(?:内容是|内容为|画的是|主题是|画面是)", "", target)  # "海报，内容是城市夜景"
    words = zh_tokenize(target)
    if len(words) > 1 and words[0] in ("图", "图片", "照片", "图像", "插画", "海报", "壁纸", "画"):
        target = "".join(words[1:])  # "生成一张图：夕阳下的海边"
    target = "" if target in ("画", "图") else target
    return action_clause("generate", "zh", target=target or None, aspect=aspect)


def _strength(text: str) -> Optional[float]:
    if _words().strong.search(text):
        return STRENGTH["strong"]
    return STRENGTH["light"] if _words().light.search(text) else None


def _look(text: str) -> str:
    """"冬天的样子" → "冬天"; "一点油画的感觉" → "油画"; "完全的素描风格" → "素描风格"."""
    w = _words()
    text = w.strong.sub("", w.light.sub("", text))
    text = re.sub(r"^(?:一张|一幅|一个|一种|成|的|个|种)+", "", text)
    return w.look_ending.sub("", text).strip("的 ")


def is_look(text: str) -> bool:
    """True for a look of the whole picture: a style, medium, season, weather or time of day."""
    return text in _words().looks or bool(_words().look_suffix.fullmatch(text))


def _restyle(text: str) -> Optional[ClauseParse]:
    w = _words()
    for pattern in (w.like, w.apply, w.having):
        match = pattern.fullmatch(text)
        if match and is_whole(source_zh(w.strong.sub("", w.light.sub("", match["pre"]))).text) and _look(match["look"]):
            return action_clause("restyle", "zh", target=_look(match["look"]), strength=_strength(text))
    for match in w.turn_into.finditer(text):
        pre, look = text[:match.start()], _look(text[match.end():])
        if not look or re.match(r"[掉走除开了]", text[match.end():]):
            continue  # "换掉背景": a replace of the background
        named = w.strong.sub("", w.light.sub("", pre))
        source = source_zh(named)
        if source.text is not None or (not named.strip("把将让给使令帮对") and not is_look(look)):
            return None  # "把天空换成晚霞", "换成狗": a replace
        return action_clause("restyle", "zh", target=look, strength=_strength(text))
    if re.fullmatch(r".+(?:风格|画风|滤镜)", text) and is_look(text):
        return action_clause("restyle", "zh", target=_look(text), strength=_strength(text))
    return None


def read_picture_zh(text: str) -> Optional[ClauseParse]:
    """A generate or restyle command for `text` (cleaned, polite words off), or None."""
    return _generate(text) or _restyle(text)
