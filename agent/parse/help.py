"""What the chat answers when a message asks for nothing it can do (the "none" action).

    is_small_talk("你好")          # True: the rules are sure it asks for no edit ("what can you do?", "谢谢")
    help_text("zh")               # "我可以用一句话帮你修改图片，比如：\n· 替换：…" (prompts/help.yaml)

Text the rules could not read at all ("blorp") is not small talk: the session answers "not understood".
"""
from __future__ import annotations

import prompts
from agent.parse.commands import Language
from agent.parse.rules import parse_rules
from agent.parse.text import check_input, clean_text


def help_text(language: Language | str = "zh") -> str:
    """What the user can say, a few lines in `language` ("zh" or "en"; anything else gets English)."""
    return prompts.text("help", "help", language)


def is_small_talk(text: str) -> bool:
    """True when the rules are sure `text` asks for no edit: a greeting, thanks, "help", a question
    about what one can do ("你好", "hello", "你能做什么", "谢谢"). False for an edit, a history command
    or text they could not read; False too for text with no word in it ("??", "😀", bytes that were
    not UTF-8)."""
    cleaned = clean_text(check_input(text))
    if not any(ch.isalnum() for ch in cleaned):
        return False
    rules = parse_rules(cleaned)
    return rules.sure and all(command.action == "none" for command in rules.commands)
