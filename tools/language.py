"""Which language a piece of text is in, for choosing the Chinese or English models."""
from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def detect_language(text: str) -> str:
    """"zh" when `text` holds any Chinese character, else "en". "把 cat 换成 dog" → "zh"."""
    return "zh" if CJK.search(text or "") else "en"
