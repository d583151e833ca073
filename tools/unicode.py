"""Text from outside (a terminal, argv, a file, a form) made valid Unicode, once, where it enters.

    clean_text("把猫换成狗")            # unchanged
    clean_text("\\udcff\\udcfe junk")   # "\\ufffd\\ufffd junk": undecodable bytes become U+FFFD

Python decodes argv and stdin with `surrogateescape`: a byte that is not UTF-8 becomes a lone
surrogate (U+DC80..U+DCFF), which no file, JSON text or PNG text can encode. Such bytes, and any
other lone surrogate, become U+FFFD (the replacement character); valid text is kept as it is.
"""
from __future__ import annotations

__all__ = ["clean_text"]


def clean_text(text: str) -> str:
    """`text` (str) with every undecodable byte or lone surrogate replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the bytes Python escaped, decoded again: valid UTF-8 pieces come back as they were
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that were not escaped bytes
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
