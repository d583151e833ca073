"""The public entry: a chat message → the edit commands it asks for.

    parse_instruction("把猫换成狗，然后把沙发变成蓝色")
    → [EditCommand(action="replace", source="猫", target="狗", language="zh"),
       EditCommand(action="replace", source="沙发", target="蓝色的沙发", language="zh")]

Rules run first (agent/parse/rules.py, no model). A chat model, when one is passed as `llm`, is asked only
when the rules are not sure; its answer replaces theirs only when it is valid, and any failure of the
model (error, timeout, bad output) falls back to the rules' answer. A message that asks for nothing
gives one "none" command: show `help_text(language)` (small talk) or `not_understood_text(language)`
(`ParseResult.understood` is False).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agent.parse.commands import EditCommand, Language
from agent.parse.rules import RuleParse, parse_rules
from agent.parse.text import check_input, clean_text
from tools.language import detect_language

if TYPE_CHECKING:
    from agent.parse.llm_parser import LLMParser

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParseResult:
    """The commands for one message and how they were found.

    method: "rules" or "llm" (the model's answer was used).
    understood: False when neither the rules nor the model could read the message; the commands are
        then a single "none" and the reply should be `not_understood_text(language)`.
    """

    commands: tuple[EditCommand, ...]
    language: Language
    method: Literal["rules", "llm"]
    understood: bool


def _llm_parser(llm: Any) -> "LLMParser":
    from agent.parse.llm_parser import LLMParser  # langchain-core is imported only when a model is used

    return llm if isinstance(llm, LLMParser) else LLMParser(llm)


def parse_message(text: str, *, llm: Any = None) -> ParseResult:
    """`parse_instruction` with the details: which path answered and whether the message was understood.

    text: what the user typed (at most 2,000 characters; BadInputError otherwise).
    llm: None (rules only), a LangChain chat model, or an agent.parse.llm_parser.LLMParser.
    """
    cleaned = clean_text(check_input(text))
    try:
        rules = parse_rules(cleaned)
    except Exception:  # a bug in a rule must cost the user one message, not the app
        logger.exception("the rules failed on a message; answering 'not understood'")
        language = detect_language(cleaned)
        rules = RuleParse((EditCommand(action="none", language=language),), sure=False, language=language)
    result = ParseResult(rules.commands, rules.language, "rules", rules.understood)
    if rules.sure or llm is None:
        return result
    try:
        commands = _llm_parser(llm).parse(clean_text(text), rules.language)
    except Exception as exc:  # the model is optional help: any failure of it falls back to the rules
        logger.warning("parser model failed (%s: %s); using the rules' answer", type(exc).__name__, exc)
        return result
    return ParseResult(commands, rules.language, "llm", understood=True)  # "none" from the model is a reply


def parse_instruction(text: str, *, llm: Any = None) -> list[EditCommand]:
    """The edit commands `text` asks for, one per step, in order.

    "把猫换成狗" → [replace 猫 → 狗]; "make the car red" → [replace car → red car];
    "撤销" → [undo]; "你好" or "" → [none]. See the module docstring for `llm`.
    Raises BadInputError for text over 2,000 characters or not a string.
    """
    return list(parse_message(text, llm=llm).commands)
