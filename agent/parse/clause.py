"""What the rules make of one clause (one step of a message), shared by the Chinese and English rules:
the phrase and clause results, the command builders, and the logic both languages run the same way
(cutting a message at its separators, whole-message commands, one removal per thing named).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

from agent.parse.commands import Action, EditCommand, Language, Position
from agent.parse.lexicon import lexicon, positions

# A source or target longer than this is more likely a mis-parse than a thing in a picture.
MAX_PHRASE_CHARS = {"zh": 16, "en": 48}
# Sources that point back at an earlier step ("把它变成白色", "make it red").
PRONOUNS = frozenset({"它", "它们", "他", "她", "他们", "她们", "it", "them", "this", "that", "him", "her",
                      "this one", "that one", "these", "those"})


@dataclass(frozen=True)
class Phrase:
    """A noun phrase with its qualifiers taken out.

    "最大的那棵树" → Phrase(text="树", position="largest"); "the second cup" → Phrase("cup", index=2);
    "所有的苹果" → Phrase("苹果", all=True). `text` is None when nothing but qualifiers was said
    ("the left one", "第二个").
    """

    text: Optional[str]
    position: Optional[Position] = None
    index: Optional[int] = None
    all: bool = False


@dataclass(frozen=True)
class ClauseParse:
    """The commands read from one clause and whether the rules are sure of them.

    `sure` is False when no pattern matched (the commands are then a single "none") or when a pattern
    matched but left something odd (a missing or very long source/target): the LLM, if configured,
    is asked about unsure messages.
    """

    commands: tuple[EditCommand, ...]
    sure: bool

    @property
    def is_none(self) -> bool:
        """True when the clause asks for nothing (chit-chat, a question, or not understood)."""
        return all(c.action == "none" for c in self.commands)


def none_clause(language: Language, *, sure: bool) -> ClauseParse:
    """A clause that asks for nothing: sure for chit-chat and questions, unsure when not understood."""
    return ClauseParse((EditCommand(action="none", language=language),), sure=sure)


def control_clause(action: Action, language: Language, *, index: int | None = None,
                   position: Position | None = None, all: bool = False) -> ClauseParse:
    """A whole-message command: undo, redo, reset, regenerate, or pick (with index or position).

    A pick number below 1 ("use #0") is no number: the session then asks which one to use."""
    if index is not None and index < 1:
        index = None
    return ClauseParse((EditCommand(action=action, index=index, position=position, all=all, language=language),),
                       sure=True)


def bare_remove_clause(language: Language) -> ClauseParse:
    """"去掉" / "remove" naming nothing: the region comes from a click, a box or a pending pick."""
    return ClauseParse((EditCommand(action="remove", language=language),), sure=True)


def edit_clause(action: Action, source: Phrase, target: Optional[str], language: Language, *,
                exclude: Optional[str] = None, required: tuple[str, ...] = ()) -> ClauseParse:
    """One replace/remove/add command, sure when every `required` field ("source", "target") is a
    plausible phrase (present and not overlong)."""
    command = EditCommand(
        action=action, source=source.text or None, target=target or None, position=source.position,
        index=source.index if source.index and source.index >= 1 else None, all=source.all or bool(exclude),
        exclude=exclude or None, language=language)
    sure = command.source not in PRONOUNS and all(plausible(getattr(command, f), language) for f in required)
    return ClauseParse((command,), sure=sure)


def plausible(phrase: Optional[str], language: Language) -> bool:
    """True for a non-empty phrase of reasonable length."""
    return bool(phrase) and len(phrase) <= MAX_PHRASE_CHARS[language]


def split_spans(separator: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the pieces of `text` between matches of `separator`, in order, separators
    and empty pieces left out. A text with no separator is one span."""
    spans, start = [], 0
    for match in separator.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = max(start, match.end())
    if start < len(text):
        spans.append((start, len(text)))
    return spans


@dataclass(frozen=True)
class LanguageRules:
    """What the rules of one language offer agent/parse/rules.py. Every text is already cleaned
    (agent/parse/text.py: one line, half-width punctuation, no emoji or control characters).

    separator: where a message is cut into candidate steps; clause: one step → its commands and
    whether the rules are sure of them; paint_target: what to paint when `thing` is made `target`
    ("沙发", "红色" → "红色的沙发"; "car", "red" → "red car"; "cat", "dog" → "dog")."""

    language: Language
    separator: re.Pattern[str]
    clause: Callable[[str], ClauseParse]
    paint_target: Callable[[str | None, str | None], str | None]

    def split(self, text: str) -> list[tuple[int, int]]:
        """(start, end) spans of the candidate steps of a message, in order, separators left out."""
        return split_spans(self.separator, text)


@functools.cache
def _control_patterns(language: Language) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """The `control` patterns of the lexicon, compiled, as (action, patterns) in the file's order."""
    return tuple((action, tuple(re.compile(p, re.I) for p in patterns))
                 for action, patterns in lexicon(language)["control"].items())


@functools.cache
def _bare_remove(language: Language) -> re.Pattern[str]:
    return re.compile(lexicon(language)["bare_remove"], re.I)


def _control(text: str, language: Language, number: Callable[[str], Optional[int]]) -> ClauseParse | None:
    for action, patterns in _control_patterns(language):
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if not match:
                continue
            groups = match.groupdict()
            if action == "pick_all":
                return control_clause("pick", language, all=True)
            if action != "pick":
                return control_clause(action, language)
            if groups.get("n"):
                return control_clause("pick", language, index=number(groups["n"]))
            pos = groups.get("pos") or ""
            position = positions(language).get(pos) or lexicon(language).get("pick_positions", {}).get(pos)
            if position:
                return control_clause("pick", language, position=position)
    return None


def whole_message(forms: Iterable[str], language: Language, *,
                  number: Callable[[str], Optional[int]]) -> ClauseParse | None:
    """The whole-message command the first fitting one of `forms` (the clause with and without its polite
    words, in the order to try) is: undo, redo, reset, regenerate, pick (`number` reads "2" / "二" /
    "second"), or a bare remove ("去掉", "remove"); None when no form is one. Each pattern must match a
    whole form; they are data: `control` and `bare_remove` in prompts/<language>_lexicon.yaml."""
    for form in forms:
        control = _control(form, language, number)
        if control:
            return control
        if _bare_remove(language).fullmatch(form):
            return bare_remove_clause(language)
    return None


@functools.cache
def _patterns(language: Language, key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in lexicon(language).get(key, ()))


def _says(text: str, language: Language, key: str) -> bool:
    bare = re.sub(r"[\s,.;:!?，。；：！？~～…]+", " ", text.lower()).strip()
    return any(p.fullmatch(bare) or p.fullmatch(bare.replace(" ", "")) for p in _patterns(language, key))


def is_dissatisfied(text: str, language: Language) -> bool:
    """True when `text` (one step of a message) only says the user is unhappy: "I don't like it", "不好看"."""
    return _says(text, language, "dissatisfied")


def is_complaint(text: str, language: Language) -> bool:
    """True when `text` (one step) complains how something looks: "太亮了", "the dog is too small"."""
    return _says(text, language, "complaints")


def remove_clause(source: Phrase, language: Language, *, things: Sequence[Phrase] = (),
                  exclude: Optional[str] = None) -> ClauseParse:
    """One remove per thing when `things` holds two or more ("把猫和狗去掉", "remove the cat and the dog"
    → remove 猫/cat, remove 狗/dog), and they are then sure; otherwise one remove of `source`, of every
    one but `exclude` when that is given."""
    if len(things) > 1 and not exclude:
        return ClauseParse(tuple(c for thing in things for c in edit_clause(
            "remove", thing, None, language, required=("source",)).commands), sure=True)
    return edit_clause("remove", source, None, language, exclude=exclude, required=("source",))
