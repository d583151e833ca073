"""The public entry: a chat message → the edit commands it asks for.

    parse_instruction("把猫换成狗，然后把沙发变成蓝色")
    → [EditCommand(action="replace", source="猫", target="狗", language="zh"),
       EditCommand(action="replace", source="沙发", target="蓝色的沙发", language="zh")]

Rules run first (agent/parse/rules.py, no model). A chat model, when one is passed as `llm`, is asked
only when the rules are not sure (small talk and questions they are sure of); its answer replaces theirs
only when it is valid, and any failure of the model (error, timeout, bad output) falls back to the
rules' answer. A message that asks for nothing gives one "none" command.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agent.parse.commands import EditCommand
from agent.parse.rules import RuleParse, parse_rules
from agent.parse.text import check_input, clean_text
from tools.language import detect_language

if TYPE_CHECKING:
    from agent.parse.llm_parser import LLMParser

logger = logging.getLogger(__name__)


def _llm_parser(llm: Any) -> "LLMParser":
    from agent.parse.llm_parser import LLMParser  # langchain-core is imported only when a model is used

    return llm if isinstance(llm, LLMParser) else LLMParser(llm)


def _by_rules(cleaned: str) -> RuleParse:
    try:
        return parse_rules(cleaned)
    except Exception:  # a bug in a rule must cost the user one message, not the app
        logger.exception("the rules failed on a message; answering 'not understood'")
        language = detect_language(cleaned)
        return RuleParse((EditCommand(action="none", language=language),), sure=False, language=language)


def parse_instruction(text: str, *, llm: Any = None) -> list[EditCommand]:
    """The edit commands `text` asks for, one per step, in order.

    "把猫换成狗" → [replace 猫 → 狗]; "make the car red" → [replace car → red car];
    "撤销" → [undo]; "你好" or "" → [none].
    text: what the user typed (at most 2,000 characters).
    llm: None (rules only), a LangChain chat model, or an agent.parse.llm_parser.LLMParser.
    Raises BadInputError for text over 2,000 characters or not a string.
    """
    rules = _by_rules(clean_text(check_input(text)))
    if rules.sure or llm is None:
        return list(rules.commands)
    try:
        return list(_llm_parser(llm).parse(clean_text(text), rules.language))
    except Exception as exc:  # the model is optional help: any failure of it falls back to the rules
        logger.warning("parser model failed (%s: %s); using the rules' answer", type(exc).__name__, exc)
        return list(rules.commands)
