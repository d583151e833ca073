"""What the chat answers when a message asks for nothing it can do (the "none" action).

Texts are data in prompts/help.yaml.
"""
from __future__ import annotations

from agent.parse.commands import Language
from agent.parse.lexicon import load_yaml


def help_text(language: Language | str = "zh") -> str:
    """What the user can say, in `language` ("zh" or "en"; anything else gets English)."""
    return load_yaml("help.yaml")["help"]["zh" if language == "zh" else "en"]


def not_understood_text(language: Language | str = "zh") -> str:
    """A short "I did not understand — try '把X换成Y' / 'replace X with Y'" in `language`."""
    return load_yaml("help.yaml")["not_understood"]["zh" if language == "zh" else "en"]
