"""The Chinese rules (`ZH`, a LanguageRules): a message cut into steps at 然后/再/punctuation, and one
clause read: whole-message commands first, then 把/将/给/用/在 … verb … patterns.

The clause is cut into words by jieba with our dictionary; the main verb is found among the tokens
(so "加" inside "加菲猫" or "画" in "墙上的画" is not taken for a verb) and the phrases around it become
the source and the target. Word lists are in prompts/zh_lexicon.yaml.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.parse.actions_zh import read_action_zh
from agent.parse.clause import (
    PRONOUNS,
    ClauseParse,
    LanguageRules,
    Phrase,
    edit_clause,
    none_clause,
    remove_clause,
    whole_message,
)
from agent.parse.lexicon import lexicon, positions, zh_tokenize
from agent.parse.phrase_zh import clean_phrase, colour_name, paint_target, split_colour_noun, zh_number

# Where one step ends and the next begins: "把猫换成老虎，然后把沙发变成蓝色" → two steps. These cuts are
# candidates only: agent/parse/rules.py joins a piece back when it is not a step on its own.
_STEP_WORDS = r"然后再|然后|接着再|接着|之后再|之后|随后|并且|而且|同时|另外|最后再|再然后|紧接着"
_STOP = r"(?:[,。;!?]|(?<![0-9])\.|\.(?![0-9]))"  # a full stop, not the point of "1.5"
_SEPARATOR = re.compile(
    rf"\s*{_STOP}*\s*(?:{_STEP_WORDS})\s*|\s*{_STOP}+\s*(?:(?:再|还有|也|还)(?=[把将给在往用删去加添擦移换让放缩调变挪拖搬]))?\s*"
    r"|(?<=[^,.。;!?\s])(?:再|并)(?=[把将给在往用删去加添擦移换让放缩调变挪拖搬画生])")

# Verb stems joined with a following 成/为 (换+成), 掉/走 (删+掉), 在/到 (放+在) or 上 (戴+上) when jieba
# cut them apart.
_JOIN = {
    "replace": ({"换", "变", "改", "弄", "搞", "涂", "染", "刷", "画", "做", "转", "调", "修改", "替换", "更换",
                 "变换", "转换", "切换", "改变", "调整", "变身", "漆"}, {"成", "为", "作"}),
    "remove": ({"删", "拿", "擦", "抹", "去", "弄", "扔", "丢", "移", "清", "消", "抠", "搬", "挪", "干", "除",
                "剔", "隐藏"}, {"掉", "走", "除", "去", "开"}),
    "place": ({"放", "戴", "摆", "贴", "挂", "画", "加", "添加", "插", "停", "种", "装", "安", "摆放", "放置"},
              {"在", "到", "进", "于"}),
    "add": ({"加", "添", "放", "画", "戴", "穿", "配", "装", "贴", "挂", "插", "安", "补", "种", "围", "系", "摆"},
            {"上"}),
}
# Replace verbs whose object is the new thing ("换成 X"); the others take the old thing ("换掉 X").
_TAKES_TARGET = re.compile(r".*[成为作做]|变|涂|染|刷|漆|调")
_ADD_MARKERS = {"给", "让", "帮", "替", "为"}
_WITH_MARKERS = {"用", "拿", "以", "使用"}
_COLOUR_VERBS = set("变涂染刷漆弄")
_LOCATIVE_ENDS = set("上里中内下边旁")
_PUNCT = re.compile(r"[,，。;；!！?？:：、~～\"'“”‘’()（）\[\]【】<>《》…—-]+|(?<![0-9])\.|\.(?![0-9])")
_ARROW = re.compile(r"^(?P<old>[^>]+?)\s*->\s*(?P<new>.+)$")
_CLASSIFIERS = "个|只|条|张|幅|把|本|件|块|片|朵|棵|根|支|瓶|杯|盏|顶|副|双|台|辆|座"
_COUNT = re.compile(rf"(?:[这那每]|[0-9]+|[一二两三四五六七八九十几]+)(?:{_CLASSIFIERS})")
_NOUN_LIKE = {"画", "种", "漆", "刷", "贴", "挂"}  # verbs that are also nouns ("一幅画")


@dataclass(frozen=True)
class _Lex:
    verbs: dict[str, frozenset[str]]
    object_markers: frozenset[str]
    region_markers: frozenset[str]
    locatives: frozenset[str]
    region_words: dict[str, str]
    all_adverbs: frozenset[str]
    fillers: frozenset[str]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    rewrites: dict[str, str]
    exclude: tuple[re.Pattern[str], ...]
    chitchat: frozenset[str]
    questions: re.Pattern[str]


@functools.cache
def _lex() -> _Lex:
    lex = lexicon("zh")
    verbs: dict[str, set[str]] = {}
    for kind, ws in lex["verbs"].items():
        for w in ws:
            verbs.setdefault(w, set()).add(kind)
    by_length = lambda ws: tuple(sorted(ws, key=len, reverse=True))  # noqa: E731
    return _Lex(
        verbs={w: frozenset(k) for w, k in verbs.items()},
        object_markers=frozenset(lex["object_markers"]) - {"帮"},
        region_markers=frozenset(lex["region_markers"]),
        locatives=frozenset(lex["locatives"]),
        region_words=lex["region_words"],
        all_adverbs=frozenset(lex["all_adverbs"]),
        fillers=frozenset(lex["filler_adverbs"]),
        prefixes=by_length(lex["polite_prefixes"]),
        suffixes=by_length(lex["polite_suffixes"]),
        rewrites=lex["rewrites"],
        exclude=tuple(re.compile(p) for p in lex["exclude_regexes"]),
        chitchat=frozenset(lex["chitchat"]),
        questions=re.compile("|".join(map(re.escape, lex["question_words"]))),
    )


def strip_wrappers(text: str) -> str:
    """Drop polite words at either end, on word boundaries: "帮我把猫去掉吧" → "把猫去掉"."""
    lex = _lex()
    bounds, offset = {0}, 0
    for token in zh_tokenize(text):  # cut once: word boundaries do not move when the ends are dropped
        offset += len(token)
        bounds.add(offset)
    start, end = 0, len(text)
    changed = True
    while changed and start < end:
        changed = False
        for prefix in lex.prefixes:
            stop = start + len(prefix)
            if text.startswith(prefix, start) and stop in bounds and stop < end:
                start, changed = stop, True
                break
        for suffix in lex.suffixes:
            cut = end - len(suffix)
            if cut > start and text.startswith(suffix, cut) and cut in bounds and text[cut - 1] != "去":
                end, changed = cut, True
                break
    return text[start:end].strip()



def _take_exclude(text: str) -> tuple[str, str | None]:
    for pattern in _lex().exclude:
        match = pattern.search(text)
        if match and match.group("x").strip():
            rest = (text[:match.start()] + text[match.end():]).strip(" ,，")
            if rest:
                return rest, clean_phrase(match.group("x"), qualifiers=False).text
    return text, None


def _join_stems(tokens: list[str]) -> list[str]:
    """Verb stems and their endings as one token ("换"+"成" → "换成"); "变红" → "变" + "红" and
    "里加" (jieba's "Riga") → "里" + "加"."""
    out: list[str] = []
    for token in tokens:
        if len(token) > 1 and token[0] in _COLOUR_VERBS and colour_name(token[1:]):
            out.extend((token[0], token[1:]))
            continue
        if len(token) > 1 and token[0] in _LOCATIVE_ENDS and token[1:] in _lex().verbs:  # "碗里加" → 里 + 加
            out.extend((token[0], token[1:]))
            continue
        if out and any(out[-1] in stems and token in tails for stems, tails in _JOIN.values()):
            out[-1] += token
        else:
            out.append(token)
    return out


def _verb_kinds(word: str) -> frozenset[str]:
    kinds = _lex().verbs.get(word)
    if kinds:
        return kinds
    for kind, (stems, tails) in _JOIN.items():
        if len(word) > 1 and word[:-1] in stems and word[-1] in tails:
            return frozenset({kind})
    return frozenset()


def _is_count(token: str) -> bool:
    """"一幅", "两只", "这张": a numeral or demonstrative with a classifier, so a noun follows."""
    return bool(_COUNT.fullmatch(token))


def _find_verb(tokens: list[str]) -> int | None:
    """Index of the main verb: the first verb token that is not attributive (放着的, 的画)."""
    lex = _lex()
    candidates = []
    for i, token in enumerate(tokens):
        kinds = _verb_kinds(token)
        if not kinds:
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if after in ("着", "的") or before == "的" or before in lex.object_markers or (
                token in _NOUN_LIKE and _is_count(before)):
            continue  # 放着的书 / 墙上的画 / 把画去掉 / 一幅画: a noun or an attribute, not the verb
        if token == "去" and after:
            continue
        candidates.append(i)
    real = [i for i in candidates if tokens[i] != "不要"]
    return (real or candidates or [None])[0]


def _split_at(tokens: list[str], words: set[str] | frozenset[str]) -> tuple[list[str], list[str]] | None:
    for i, token in enumerate(tokens):
        if token in words and 0 < i < len(tokens) - 1:
            return tokens[:i], tokens[i + 1:]
    return None


def _adverbs(tokens: list[str]) -> tuple[list[str], bool]:
    """Drop 都/也/一起… at the end of a phrase; True when one meant "all" (都, 全部)."""
    every = False
    if tokens and len(tokens[-1]) > 1 and tokens[-1][-1] in "都也":  # jieba's "花都": 花 + 都
        tokens = tokens[:-1] + [tokens[-1][:-1], tokens[-1][-1]]
    while tokens and (tokens[-1] in _lex().all_adverbs or tokens[-1] in _lex().fillers):
        every = every or tokens[-1] in _lex().all_adverbs
        tokens = tokens[:-1]
    return tokens, every


def _region(tokens: list[str]) -> Phrase:
    """Where to add: "在桌子上" → Phrase("桌子"); "在左边" → Phrase(None, position="left")."""
    lex = _lex()
    while tokens and tokens[0] in lex.region_markers:
        tokens = tokens[1:]
    joined = "".join(tokens)
    if joined in positions("zh"):
        return Phrase(None, position=positions("zh")[joined])
    while len(tokens) > 1 and (tokens[-1] in lex.locatives or tokens[-1] == "的"):
        tokens = tokens[:-1]
    if tokens and len(tokens[-1]) > 1 and tokens[-1][-1] in _LOCATIVE_ENDS:  # jieba keeps "墙上" whole
        tokens = tokens[:-1] + [lex.region_words.get(tokens[-1], tokens[-1][:-1])]
    phrase = clean_phrase("".join(tokens))
    if phrase.text in ("图", "图片", "画面", "照片", "图像", "这张图", "整张图"):
        return Phrase(None, position=phrase.position)
    return phrase


def _source(tokens: list[str], drop_others: bool) -> Phrase:
    tokens, every = _adverbs(tokens)
    phrase = clean_phrase("".join(tokens), drop_others=drop_others)
    return Phrase(phrase.text, phrase.position, phrase.index, phrase.all or every)


def _target(tokens: list[str]) -> str | None:
    while tokens and tokens[0] in ("成", "为", "作", "做", "一下", "上"):
        tokens = tokens[1:]
    return clean_phrase("".join(tokens), qualifiers=False, keep_counts=True).text


def _edit(tokens: list[str], v: int, exclude: str | None) -> ClauseParse:
    """Read source and target around the verb at `tokens[v]`."""
    lex = _lex()
    verb, kinds = tokens[v], _verb_kinds(tokens[v])
    pre, post = tokens[:v], tokens[v + 1:]
    marker = next((i for i, t in enumerate(pre) if t in lex.object_markers), None)
    obj = pre[marker + 1:] if marker is not None else None
    using = next((i for i, t in enumerate(pre) if t in _WITH_MARKERS), None)
    others = exclude is not None

    if "replace_with" in kinds and using is not None:  # 用 Y 替换 X / 把 X 用 Y 替换
        new = [t for t in pre[using + 1:] if t != "来"]
        old = post or (pre[marker + 1:using] if marker is not None and marker < using else [])
        return _replace(_source(old, others), _target(new), exclude)
    if "replace" in kinds or "replace_with" in kinds:
        if obj is not None:
            source, target = obj, post
        elif pre:
            source, target = [t for t in pre if t not in lex.region_markers], post
        elif _TAKES_TARGET.fullmatch(verb):
            source, target = [], post
        else:  # 换掉背景 / 替换瓶子为花瓶
            source, target = _split_at(post, {"为", "成", "作"}) or (post, [])
        return _replace(_source(source, others), _target(target), exclude)
    if "remove" in kinds:
        if obj is not None:
            source = obj
        elif pre and post and pre[0] in lex.region_markers:  # 在桌子上删掉杯子
            source = pre[1:] + ["的"] + post
        else:
            source = pre or post
        return _remove(_source(source, others), exclude)
    if "place" in kinds:  # 把帽子戴在狗头上 / 帽子放到桌子上
        return edit_clause("add", _region(post), _target(obj if obj is not None else pre), "zh",
                           required=("target",))
    # add: 给狗戴上帽子 / 在草地上加一只兔子 / 桌子上加个苹果 / 加一只鸟在天上 / 加一只猫
    if obj is not None and pre[marker] in _ADD_MARKERS:
        region, thing = _source(obj, False), post
    elif obj is not None:
        region, thing = _region(post), obj
    elif pre:
        region, thing = _region(pre), post
    else:
        split = _split_at(post, lex.region_markers)
        region, thing = (_region(split[1]), split[0]) if split else (Phrase(None), post)
    return edit_clause("add", region, _target(thing), "zh", required=("target",))


def _replace(source: Phrase, target: str | None, exclude: str | None) -> ClauseParse:
    text, colour_of = split_colour_noun(source.text)
    if not text and target and target.endswith("背景"):
        text = "背景"
    source = Phrase(text, source.position, source.index, source.all)
    painted = target if text in PRONOUNS else paint_target(text, target)
    if colour_of and painted == target and text:  # 把天空的颜色改成日落 → 日落的天空
        painted = f"{target}的{text}"
    return edit_clause("replace", source, painted, "zh", exclude=exclude, required=("source", "target"))


def _remove(source: Phrase, exclude: str | None) -> ClauseParse:
    """One remove per thing named: "把猫和狗去掉" → remove 猫, remove 狗."""
    parts = re.split(r"和|与|跟|及|以及|还有|、", source.text or "") if source.text else []
    several = len(parts) > 1 and all(0 < len(p) <= 6 for p in parts)
    return remove_clause(source, "zh", things=[clean_phrase(p) for p in parts] if several else (), exclude=exclude)


def _holds_a_step(phrase: str | None) -> bool:
    """True when a source or target still holds a verb of ours or 把/将 (a mis-split message)."""
    return bool(phrase) and any(
        (len(t) > 1 and t in _lex().verbs) or t in ("把", "将") for t in zh_tokenize(phrase))


def _arrow(text: str) -> str:
    match = _ARROW.match(text)
    return f"把{match['old']}换成{match['new']}" if match else text


def parse_clause_zh(clause: str) -> ClauseParse:
    """Commands for one Chinese clause (already cleaned by agent.parse.text.clean_text).

    "把猫换成狗" → replace 猫 → 狗; "删除左边的人" → remove 人, left; "撤销" → undo;
    "你好" → none (sure); "猫猫狗狗" → none (unsure).
    """
    lex = _lex()
    for old, new in lex.rewrites.items():
        clause = clause.replace(old, new)
    clause = _arrow(clause.strip())
    bare = _PUNCT.sub("", clause)
    core = strip_wrappers(bare)
    control = whole_message((bare.replace(" ", ""), core.replace(" ", "")), "zh", number=zh_number)
    if control:
        return control
    text, exclude = _take_exclude(clause)
    text = strip_wrappers(_PUNCT.sub("", text.replace("、", "和")))
    action = read_action_zh(text) if exclude is None else None  # restyle, adjust, move, resize, generate
    if action:
        return action
    tokens = _join_stems([t for t in zh_tokenize(text) if t.strip() or t == " "])  # " " joins English words
    v = _find_verb(tokens)
    if v is not None:
        parsed = _edit(tokens, v, exclude)
        if any(c.source or c.target for c in parsed.commands):
            if parsed.sure and any(_holds_a_step(c.source) or _holds_a_step(c.target) for c in parsed.commands):
                return ClauseParse(parsed.commands, sure=False)  # "狗再把它变成白色": two steps in one
            return parsed
    return none_clause("zh", sure=bare in lex.chitchat or core in lex.chitchat or bool(
        v is None and lex.questions.search(bare)) or not bare)


ZH = LanguageRules(language="zh", separator=_SEPARATOR, clause=parse_clause_zh, paint_target=paint_target)
