"""The instruction parser: a chat message → the typed edit commands it asks for.

    from agent.parse import EditCommand, parse_instruction
    parse_instruction("把猫换成狗，然后把沙发变成蓝色")   # → [replace 猫→狗, replace 沙发→蓝色的沙发]

How it is laid out (read in this order):
- commands.py — `EditCommand`, the schema the session runs.
- instruction.py — `parse_instruction`: clean the text, read it by rules, ask a chat model only when
  the rules are not sure (llm_parser.py, llm_models.py).
- rules.py — a whole message: cut into steps, each step read by its language's rules, pronouns resolved.
- language_rules.py — `LanguageRules`, the contract each language implements, and the registry.
- zh.py + phrase_zh.py, en.py + phrase_en.py — the Chinese and the English rules.
- actions_zh.py, actions_en.py — restyle, adjust, move, resize and generate, tried before the object-edit
  rules: adjust_*.py (photo adjustments), layout_*.py (move, resize), picture_*.py (restyle, generate),
  subject_*.py (what is acted on, how much); actions.py holds what both share and the numbers a wording
  stands for; their word lists are prompts/<language>_actions.yaml.
- clause.py — what both languages share: phrases, clause results, control commands, several removals.
- lexicon.py — the word lists (data in prompts/), jieba with our dictionary; text.py — input cleaning.
- help.py — small talk ("你好", "what can you do?") and the help text that answers it (prompts/help.yaml).

Light to import: jieba is loaded on the first Chinese message, langchain only when a model is passed.
"""
from agent.parse.commands import EditCommand
from agent.parse.help import help_text, is_small_talk
from agent.parse.instruction import parse_instruction

__all__ = ["EditCommand", "help_text", "is_small_talk", "parse_instruction"]
