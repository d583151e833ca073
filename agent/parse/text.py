"""Cleaning what the user typed before any parsing. (Language detection: tools.language.)

Nothing in the text is ever executed or used as a path: it is only normalised and matched.
"""
from __future__ import annotations

import re
import unicodedata

from tools.errors import BadInputError

MAX_CHARS = 2000

# Unicode categories dropped: controls, format characters (zero-width joiners…), surrogates, private use,
# symbols such as emoji (So) and their modifiers (Sk), and enclosing/non-spacing marks left by emoji.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "So", "Sk", "Me"})
_ARROWS = {"→": "->", "⇒": "->", "⟶": "->", "➡": "->", "➔": "->", "=>": "->"}
_SPACES = re.compile(r"[ \t\u3000]+")
_SPACE_NEAR_CJK = re.compile(
    r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]) | (?=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])")


def check_input(text: object) -> str:
    """Return `text` when it is a string of at most MAX_CHARS characters; raise BadInputError if not."""
    if not isinstance(text, str):
        raise BadInputError(
            f"The instruction must be text, got {type(text).__name__}.",
            zh=f"指令必须是文字，收到的是 {type(text).__name__}。")
    if len(text) > MAX_CHARS:
        raise BadInputError(
            f"The instruction is {len(text):,} characters long; please keep it under {MAX_CHARS:,}.",
            zh=f"指令太长了（{len(text)} 个字符），请控制在 {MAX_CHARS} 个字符以内。")
    return text


def clean_text(text: str) -> str:
    """One tidy line per instruction, ready for the rules.

    Full-width letters, digits and punctuation become half-width (NFKC: "，" → ",", "２" → "2");
    control characters, zero-width characters and emoji are dropped; arrows become "->";
    newlines become ";" (a step separator); runs of spaces become one, and spaces next to Chinese
    characters are removed ("把 猫 换成 狗" → "把猫换成狗", "把 cat 换成 dog" → "把cat换成dog").
    """
    for arrow, ascii_arrow in _ARROWS.items():
        text = text.replace(arrow, ascii_arrow)
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\r\n\u2028\u2029\x85]+", ";", text)
    text = "".join(ch for ch in text if ch == "\t" or unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = _SPACES.sub(" ", text)
    text = _SPACE_NEAR_CJK.sub("", text)
    return text.strip(" ;")
