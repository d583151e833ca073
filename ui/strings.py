"""The app's own texts in Chinese and English (prompts/ui.yaml), and safe rendering of chat text.

    t("undo", "zh")                       # "撤销"
    t("picture_caption", "en", version=2, count=3, width=451, height=300)
"""
from __future__ import annotations

import re

import prompts


def t(key: str, language: str, **fields) -> str:
    """The app's text `key` (prompts/ui.yaml) in `language` ("zh"; anything else reads English), with
    `fields` filled in."""
    return prompts.text("ui", key, language, **fields)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def plain(text: str) -> str:
    """`text` escaped so that st.markdown shows it literally: no HTML, links, images, emphasis,
    LaTeX, colour directives or emoji shortcodes from what a user typed. Line breaks are kept."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")
