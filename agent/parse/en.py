"""The English rules (`EN`, a LanguageRules): a message cut into steps at "then"/"and"/punctuation, and
one clause read: typos fixed, polite wrappers off, whole-message commands, then verb patterns in order.

"Could you please replace the smallest flower with a butterfly?" → replace flower (smallest) → butterfly.
Word lists and the control-command patterns are in prompts/en_lexicon.yaml; the verb patterns, whose
order matters, are here.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from agent.parse.actions_en import read_action_en
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
from agent.parse.lexicon import lexicon
from agent.parse.phrase_en import clean_phrase, paint_target, strip_articles

# Where one step ends and the next begins: "replace the dog with a fox and then remove the ball" → two
# steps. These cuts are candidates only: agent/parse/rules.py joins a piece back when it is not a step.
_VERB_AHEAD = (r"(?:replace|swap|switch|change|turn|make|paint|remove|erase|delete|get\s+rid|take|add|put|place|"
               r"insert|draw|undo|redo|reset|start|try|pick|use|choose|select|give|colou?r|convert|transform|"
               r"eliminate|clear|wipe|crop|cut|recolou?r|go\s+back|restore|revert|regenerate|lose|hide|dye|move|shift|drag|"
               r"slide|nudge|enlarge|shrink|scale|resize|brighten|darken|blur|sharpen|increase|decrease|boost|"
               r"reduce|lower|raise|generate|create|apply|center|centre|double|halve|desaturate|warm|cool)\b")
_JOIN = r"(?:and\s+then|then|after\s+that|afterwards|next|finally|and\s+also|and\s+finally|also|plus)"
_SEPARATOR = re.compile(
    rf"\s*(?:[;!?]+|\.(?=\s|$))\s*(?:{_JOIN}|and)?\s*"
    rf"|\s*,\s*(?:{_JOIN}|and)?\s*(?={_VERB_AHEAD})"
    rf"|\s*,\s*{_JOIN}\s+"
    rf"|\s+{_JOIN}\s+"
    rf"|\s+and\s+(?={_VERB_AHEAD})", re.I)

_EDGE = " ,.;:!?'\"“”‘’()"
_ORDINAL_VALUES = {"1st": 1, "2nd": 2, "3rd": 3}
_STEP_WORDS = re.compile(r"\b(?:replace|remove|delete|erase|undo|redo|swap|then)\b")
_ONLY_DETERMINERS = re.compile(
    r"(?:(?:the|a|an|this|that|these|those|my|his|her|its|their|our|your|some|all|every|each)\s*)*")
_WEAK_PREPOSITIONS = {"in", "on", "at", "with", "by", "over", "around", "across", "along", "within"}


def near(word: str, known: str) -> bool:
    """True when `word` is one edit from `known`: a letter added, dropped, changed, or two swapped."""
    if word == known or abs(len(word) - len(known)) > 1:
        return word == known
    if len(word) == len(known):
        diff = [i for i, (a, b) in enumerate(zip(word, known)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and word[diff[0]] == known[diff[1]] and word[diff[1]] == known[diff[0]])
    short, long_ = sorted((word, known), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@dataclass(frozen=True)
class _Lex:
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    typos: dict[str, str]
    first_typos: dict[str, str]
    fuzzy_verbs: tuple[str, ...]
    fuzzy_keywords: tuple[str, ...]
    known: frozenset[str]
    ordinals: dict[str, int]
    verbs: dict[str, str]
    add_prepositions: re.Pattern[str]
    chitchat: frozenset[str]
    questions: frozenset[str]


def _alternation(values: list[str]) -> str:
    return "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in sorted(values, key=len, reverse=True))


@functools.cache
def _lex() -> _Lex:
    lex = lexicon("en")
    verbs = {kind: _alternation(ws) for kind, ws in lex["verbs"].items()}
    known = {w for ws in lex["verbs"].values() for v in ws for w in v.split()}
    known |= {"onto", "into", "with", "wish", "witch", "width", "within", "every", "ever", "except", "expect"}
    known |= set(lex["fuzzy_verbs"]) | set(lex["fuzzy_keywords"])
    return _Lex(
        prefixes=tuple(sorted(lex["polite_prefixes"], key=len, reverse=True)),
        suffixes=tuple(sorted(lex["polite_suffixes"], key=len, reverse=True)),
        typos=lex["typos"],
        first_typos=lex["first_word_typos"],
        fuzzy_verbs=tuple(lex["fuzzy_verbs"]),
        fuzzy_keywords=tuple(lex["fuzzy_keywords"]),
        known=frozenset(known),
        ordinals={**lex["ordinals"], **_ORDINAL_VALUES},
        verbs=verbs,
        add_prepositions=re.compile(rf"\s+(?:{_alternation(lex['add_prepositions'])})(?:\s+|$)"),
        chitchat=frozenset(lex["chitchat"]),
        questions=frozenset(lex["question_words"]),
    )


def fix_typos(text: str) -> str:
    """Known misspellings and one-letter slips in a few keywords: "teh cat wiht a dog" → "the cat with a
    dog". Words we know (and words shorter than 4 letters) are kept. The verb is fixed by `_fix_verb`."""
    lex = _lex()
    words = [lex.typos.get(w, w) for w in text.split()]
    for keyword in lex.fuzzy_keywords:
        if keyword in words:
            continue
        for i, word in enumerate(words):
            if len(word) >= 4 and word not in lex.known and near(word, keyword):
                words[i] = keyword
                break
    return " ".join(words)


def _fix_verb(word: str) -> str:
    """The verb a request starts with, slips fixed: "repalce" → "replace", "ad" → "add",
    "making" → "make", "swapping" → "swap". Only ever applied to the first word of a request."""
    lex = _lex()
    word = lex.first_typos.get(word, word)
    if len(word) >= 4 and word not in lex.known:
        word = next((v for v in lex.fuzzy_verbs if near(word, v)), word)
    if not word.endswith("ing") or len(word) < 5:
        return word
    stem = word[:-3]
    for candidate in (stem, stem + "e", stem[:-1]):
        if candidate in lex.known:
            return candidate
    return word


def strip_wrappers(text: str) -> str:
    """Drop polite wrappers at either end: "could you please remove the cat for me?" → "remove the cat"."""
    lex = _lex()
    text = text.strip(_EDGE)
    changed = True
    while changed and text:
        changed = False
        first, _, rest = text.partition(" ")
        text = f"{_fix_verb(first)} {rest}".strip()
        for prefix in lex.prefixes:
            if text.startswith(prefix + " ") or text.startswith(prefix + ","):
                text, changed = text[len(prefix):].strip(_EDGE), True
                break
        for suffix in lex.suffixes:
            if text.endswith(" " + suffix) or text.endswith("," + suffix):
                text, changed = text[: -len(suffix)].strip(_EDGE), True
                break
    first, _, rest = text.partition(" ")
    return f"{_fix_verb(first)} {rest}".strip() if text else text


def _number(word: str) -> int | None:
    """"3" → 3, "third" → 3, "3rd" → 3, "21th" → 21; None for "0th"."""
    return int(word) if word.isdigit() else _lex().ordinals.get(word, int(re.sub(r"\D", "", word) or 0) or None)


_EXCLUDE = (
    re.compile(r"^(?:except(?:\s+for)?|apart\s+from|aside\s+from|other\s+than|besides|excluding|but\s+not)\s+"
               r"(?P<x>.+?)\s*,\s*(?P<rest>.+)$"),
    re.compile(r"^(?P<rest>.+?)\s*,?\s+(?:except(?:\s+for)?|but\s+not|but\s+(?:keep|leave)|other\s+than|"
               r"apart\s+from|aside\s+from|excluding|save\s+for|not\s+including|but|keeping|leaving|"
               r"and\s+(?:keep|leave))\s+(?P<x>.+?)(?:\s+(?:alone|there|in\s+place|as\s+(?:it\s+is|is)))?$"),
)


def _take_exclude(text: str) -> tuple[str, str | None]:
    for pattern in _EXCLUDE:
        match = pattern.fullmatch(text)
        if match and " " in match["rest"]:
            return match["rest"], clean_phrase(match["x"], qualifiers=False).text
    return text, None


Rule = Callable[[re.Match[str], "str | None"], "ClauseParse | None"]


def _replace(old: str, new: str | None, exclude: str | None) -> ClauseParse:
    if new is None and re.match(r"(?:with|by)\s+", old):  # "replace with a dog": the region is clicked
        old, new = "", re.sub(r"^(?:with|by)\s+", "", old)
    source = clean_phrase(old, drop_others=exclude is not None)
    if source.text in PRONOUNS:  # "change it to blue": paint "blue", not "blue it"
        target = strip_articles(new.strip(_EDGE)) if new else None
    else:
        target = paint_target(source.text, new.strip(_EDGE)) if new else None
    if source.text is None and target and target.endswith("background"):
        source = Phrase("background", source.position, source.index, source.all)
    return edit_clause("replace", source, target, "en", exclude=exclude, required=("source", "target"))


def _remove(thing: str, exclude: str | None) -> ClauseParse:
    """One remove per thing named: "remove the cat and the dog" → two commands."""
    parts = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", thing) if p]
    several = len(parts) > 1 and all(len(p.split()) <= 4 for p in parts)
    return remove_clause(clean_phrase(thing, drop_others=exclude is not None), "en",
                         things=[clean_phrase(p) for p in parts] if several else (), exclude=exclude)


def _add(thing: str, region: str | None) -> ClauseParse:
    where = clean_phrase(region) if region else Phrase(None)
    if where.text in ("image", "picture", "photo", "scene", "pic", "frame"):
        where = Phrase(None, where.position)
    return edit_clause("add", where, clean_phrase(thing, qualifiers=False).text, "en", required=("target",))


def _add_split(rest: str, exclude: str | None) -> ClauseParse:
    """"a hat on the man" → add hat to man; a trailing "on the left" places it; no preposition → no region."""
    matches = [m for m in _lex().add_prepositions.finditer(rest) if m.start() > 0]
    directed = [m for m in matches if m.group().strip() in ("to", "onto", "into")]
    match = (directed[0] if matches and directed and matches[0].group().strip() in _WEAK_PREPOSITIONS
             else matches[0] if matches else None)
    if match:
        return _add(rest[:match.start()], rest[match.end():] or None)
    return _add(rest, None)


def _make(match: re.Match[str], exclude: str | None) -> ClauseParse | None:
    """"make the car red" / "turn the sofa dark blue" / "make the dog a cat": the last words are new."""
    words = match["rest"].split()
    for size in range(min(4, len(words) - 1), 0, -1):
        old, new = " ".join(words[:-size]), " ".join(words[-size:])
        if _ONLY_DETERMINERS.fullmatch(old):
            continue  # "the" + "cat cartoon style": the old thing needs a noun
        painted = paint_target(old, new)
        if painted and painted != strip_articles(new):
            return _replace(old, new, exclude)
    article = re.search(r"\s+(?:a|an)\s+", match["rest"])
    if article and match["verb"].startswith("make"):
        return _replace(match["rest"][:article.start()], match["rest"][article.end():], exclude)
    return None


def _patterns() -> tuple[tuple[re.Pattern[str], Rule], ...]:
    v = _lex().verbs
    r = functools.partial(re.compile, flags=re.I)
    colour_verbs = rf"(?:change|turn|make|set|switch|paint|alter|modify|update|{v['make']})"
    return (
        (r(r"(?:use|put|place|have|want|i\s+want)\s+(?P<new>.+?)\s+(?:instead\s+of|in\s+place\s+of|rather\s+than)"
           r"\s+(?P<old>.+)"), lambda m, x: _replace(m["old"], m["new"], x)),
        (r(r"substitute\s+(?P<new>.+?)\s+for\s+(?P<old>.+)"), lambda m, x: _replace(m["old"], m["new"], x)),
        (r(r"(?P<old>.+?)\s+(?:should|must|needs\s+to|has\s+to)\s+(?:be|become|turn\s+into)\s+(?P<new>.+)"),
         lambda m, x: _replace(m["old"], m["new"], x)),
        (r(r"(?P<old>[^>]+?)\s*->\s*(?P<new>.+)"), lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"{colour_verbs}\s+(?:the\s+)?colou?r\s+of\s+(?P<old>.+?)\s+(?:to|into|with|as)\s+(?P<new>.+)"),
         lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"{colour_verbs}\s+(?P<old>.+?)(?:'s|s'|’s)?\s+colou?r\s+(?:to|into|as)\s+(?P<new>.+)"),
         lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"(?:{v['replace']})(?:\s+out)?\s+(?P<old>.+?)(?:\s+out)?\s+(?:with|by|for|to|into|and\s+put)\s+"
           r"(?P<new>.+)"), lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"(?:{v['replace']})(?:\s+out)?\s+(?P<old>.+)"), lambda m, x: _replace(m["old"], None, x)),
        (r(r"(?:make|let|have|get)\s+(?P<who>.+?)\s+(?:wear|hold|carry|put\s+on)\s+(?P<what>.+)"),
         lambda m, x: _add(m["what"], m["who"])),
        (r(r"(?:dress|equip|decorate|adorn|cover|top|crown)\s+(?P<who>.+?)\s+(?:in|with)\s+(?P<what>.+)"),
         lambda m, x: _add(m["what"], m["who"])),
        (r(r"give\s+(?P<who>.+?)\s+(?P<what>(?:a|an|some|two|three|\d+)\s+.+)"),
         lambda m, x: _add(m["what"], m["who"])),
        (r(rf"(?P<verb>{v['change']}|{v['make']})\s+(?P<old>.+?)\s+(?:into|in\s+to)\s+(?P<new>.+)"),
         lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"(?P<verb>{v['change']}|{v['make']})\s+(?P<old>.+?)\s+(?:so\s+(?:that\s+)?it\s+looks?\s+like|to\s+look"
           r"\s+like|look\s+like|to\s+be|to|as|for)\s+(?P<new>.+)"), lambda m, x: _replace(m["old"], m["new"], x)),
        (r(rf"(?P<verb>{v['make']}|{v['change']})\s+(?P<rest>.+)"), _make),
        (r(r"take\s+(?P<x>.+?)\s+(?:out|away|off)"), lambda m, x: _remove(m["x"], x)),
        (r(r"get\s+(?P<x>.+?)\s+out(?:\s+of\s+.+)?"), lambda m, x: _remove(m["x"], x)),
        (r(r"make\s+(?P<x>.+?)\s+(?:disappear|vanish|go\s+away|invisible|gone)"), lambda m, x: _remove(m["x"], x)),
        (r(r"(?:i\s+)?(?:don'?t|do\s+not)\s+want\s+(?P<x>.+?)(?:\s+(?:anymore|any\s+more|there|here))?"),
         lambda m, x: _remove(m["x"], x)),
        (r(r"(?:no\s+more|without|lose)\s+(?P<x>.+)"), lambda m, x: _remove(m["x"], x)),
        (r(r"(?P<x>.+?)\s+(?:has|have|needs?|must)\s+to\s+go(?:\s+away)?"), lambda m, x: _remove(m["x"], x)),
        (r(rf"(?:{v['remove']})\s+(?P<x>.+)"), lambda m, x: _remove(m["x"], x)),
        (r(rf"(?:{v['add']})(?:\s+in|\s+me|\s+us)?\s+(?P<rest>.+)"), lambda m, x: _add_split(m["rest"], x)),
        (r(rf"(?:{v['make']})\s+(?P<rest>.+)"), lambda m, x: _add_split(m["rest"], x)),
    )


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], Rule], ...]:
    return _patterns()


def parse_clause_en(clause: str) -> ClauseParse:
    """Commands for one English clause (already cleaned by agent.parse.text.clean_text).

    "replace the cat with a dog" → replace cat → dog; "make the car red" → replace car → red car;
    "undo that" → undo; "what can you do?" → none (sure); "blorp" → none (unsure).
    """
    lex = _lex()
    bare = fix_typos(re.sub(r"\s+", " ", clause.lower()).strip(_EDGE))
    text = strip_wrappers(bare)
    control = whole_message((text, bare), "en", number=_number)
    if control:
        return control
    action = read_action_en(text, bare)  # restyle, adjust, move, resize, generate
    if action:
        return action
    text, exclude = _take_exclude(text)
    text = strip_wrappers(text)
    for pattern, rule in _compiled():
        match = pattern.fullmatch(text)
        parsed = rule(match, exclude) if match else None
        if parsed and any(c.source or c.target for c in parsed.commands):
            if any(_STEP_WORDS.search(f"{c.source} {c.target}") for c in parsed.commands):
                return ClauseParse(parsed.commands, sure=False)  # "dog remove the ball": two steps in one
            return parsed
    first = re.split(r"['’]", bare.split()[0])[0] if bare else ""
    sure = (not text or bare in lex.chitchat or text in lex.chitchat or first in lex.chitchat
            or first in lex.questions or clause.endswith("?"))
    return none_clause("en", sure=sure)


EN = LanguageRules(language="en", separator=_SEPARATOR, clause=parse_clause_en, paint_target=paint_target)
