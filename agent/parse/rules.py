"""The rule parser for a whole message: candidate steps, each read by its language's rules (the registry
in agent/parse/language_rules.py), joined back when a piece is not a step on its own. No model is involved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from agent.parse.clause import PRONOUNS, ClauseParse, is_complaint, is_dissatisfied
from agent.parse.commands import EditCommand, Language
from agent.parse.language_rules import RULES
from tools.language import detect_language

# Pieces are joined back into one step only up to this length ("除了狗以外，把动物都去掉" is 11).
MAX_MERGED_CHARS = 120
_CJK_RUN = re.compile(r"([\u3400-\u9fff]+)")


@dataclass(frozen=True)
class RuleParse:
    """The rules' reading of a message: its commands in order, and whether every step was read surely.

    `commands` holds at least one command; it is a single "none" when the message asks for nothing
    (sure: chit-chat or a question) or when the rules could not read it (not sure).
    """

    commands: tuple[EditCommand, ...]
    sure: bool
    language: Language


def parse_clause(text: str, language: Language) -> ClauseParse:
    """One step read by the rules of `language`; text those rules cannot read is tried with the English
    ones ("replace 猫 with 狗" in a Chinese message). Commands carry `language` either way."""
    parsed = RULES[language].clause(text)
    if language != "en" and not parsed.sure:
        english = RULES["en"].clause(_CJK_RUN.sub(r" \1 ", text))  # "replace猫with狗" → "replace 猫 with 狗"
        if english.sure and not english.is_none:
            parsed = english
    if any(c.language != language for c in parsed.commands):
        parsed = ClauseParse(tuple(c.model_copy(update={"language": language}) for c in parsed.commands),
                             parsed.sure)
    return parsed


def _earlier_thing(earlier: EditCommand | None) -> EditCommand | None:
    """What an earlier step made or named, as a command whose source/qualifiers a later step can take."""
    if earlier is None or earlier.action in ("restyle", "generate"):
        return None
    thing = (earlier.target if earlier.action in ("replace", "add") else None) or earlier.source
    return earlier.model_copy(update={"source": thing}) if thing else None


def _refer(command: EditCommand, earlier: EditCommand | None) -> EditCommand:
    """A new-action step that names no thing of its own, or "it": "把狗移到左边，再放大一点" → resize 狗;
    "make it brighter" alone → the whole picture; "把它变成油画风格" after an edit stays a restyle of it."""
    pronoun = command.source in PRONOUNS
    thing = _earlier_thing(earlier)
    if command.action in ("move", "resize") and (pronoun or not command.source):
        if thing is None:
            return command.model_copy(update={"source": None}) if pronoun else command
        same = earlier is not None and earlier.action != "move"  # a move changed where it is
        return command.model_copy(update={
            "source": thing.source, "position": thing.position if same else None,
            "index": thing.index if same else None, "all": thing.all if same else False})
    if command.action == "adjust" and pronoun:
        return command.model_copy(update={"source": thing.source if thing else None})
    return command


def resolve_pronouns(commands: list[EditCommand]) -> list[EditCommand]:
    """A step whose source is "它"/"it" edits what the step before it made or named:
    "把猫换成狗，再把它变成白色" → the second step's source is "狗" and its target "白色的狗". A move or resize
    that names nothing takes the earlier step's thing too ("把狗移到左边，再放大一点")."""
    out: list[EditCommand] = []
    for command in commands:
        earlier = next((c for c in reversed(out) if c.is_edit), None)
        if command.action in ("move", "resize", "adjust"):
            out.append(_refer(command, earlier))
            continue
        if command.is_edit and command.source in PRONOUNS and earlier is not None:
            thing = (earlier.target if earlier.action in ("replace", "add") else None) or earlier.source
            if thing:
                target = command.target
                if target and command.action == "replace":  # a colour or style names the thing too
                    target = RULES[command.language].paint_target(thing, target)
                elif target:
                    target = re.sub(rf"(?<![A-Za-z]){re.escape(command.source)}(?![A-Za-z])", thing, target)
                command = command.model_copy(update={"source": thing, "target": target})
        out.append(command)
    return out


def _fold_complaints(steps: list[tuple[EditCommand, bool]]) -> list[EditCommand]:
    """A complaint followed by the step that fixes it is that one step, on the complaint's thing:
    "狗太小了，放大一点" → resize 狗 ×1.25; "it's too dark, brighten it a bit" → one brightness step."""
    out: list[EditCommand] = []
    for i, (command, complaint) in enumerate(steps):
        after = steps[i + 1][0] if i + 1 < len(steps) else None
        same = after is not None and after.action == command.action in ("adjust", "resize") and (
            command.adjust == after.adjust or command.action == "resize")
        if complaint and same and (not after.source or after.source in PRONOUNS):
            steps[i + 1] = (after.model_copy(update={"source": command.source, "position": command.position,
                                                      "index": command.index, "all": command.all}), False)
            continue
        out.append(command)
    return out


def parse_rules(text: str) -> RuleParse:
    """Commands for a cleaned message (see agent/parse/text.py `clean_text`), by rules alone.

    "把猫换成老虎，然后把沙发变成蓝色" → [replace 猫→老虎, replace 沙发→蓝色的沙发];
    "你好，把猫去掉" → [remove 猫] (small talk next to an edit is dropped); "" → [none].
    """
    language = detect_language(text)
    spans = RULES[language].split(text)
    if not spans:
        return RuleParse((EditCommand(action="none", language=language),), sure=True, language=language)
    parts: list[tuple[int, int, ClauseParse]] = []
    pending: int | None = None  # start of pieces not yet read as a step
    for start, end in spans:
        if pending is not None and end - pending > MAX_MERGED_CHARS:  # give up joining; keeps time linear
            parts.append((pending, start, parse_clause(text[pending:start], language)))
            pending = None
        if pending is not None:
            merged = parse_clause(text[pending:end], language)
            if merged.sure:
                parts.append((pending, end, merged))
                pending = None
                continue
        alone = parse_clause(text[start:end], language)
        if not alone.sure:
            pending = start if pending is None else pending
            continue
        if pending is not None:  # a piece that is neither a step alone nor with the next one
            parts.append((pending, start, parse_clause(text[pending:start], language)))
            pending = None
        parts.append((start, end, alone))
    if pending is not None:
        end = spans[-1][1]
        joinable = parts and end - parts[-1][0] <= MAX_MERGED_CHARS
        merged = parse_clause(text[parts[-1][0]:end], language) if joinable else None
        if merged is not None and merged.sure and not merged.is_none:
            parts[-1] = (parts[-1][0], end, merged)
        else:
            parts.append((pending, end, parse_clause(text[pending:end], language)))
    asks = [not is_dissatisfied(text[start:end], language) for start, end, _ in parts]
    if any(asks) and not all(asks):  # "I don't like it, go back": one undo, not two
        parts = [part for part, keep in zip(parts, asks) if keep]
    commands = resolve_pronouns(_fold_complaints(
        [(c, is_complaint(text[start:end], language)) for start, end, parsed in parts for c in parsed.commands]))
    edits = [c for c in commands if c.action != "none"]
    sure = all(parsed.sure for _, _, parsed in parts)
    return RuleParse(tuple(edits or commands[:1]), sure=sure, language=language)
