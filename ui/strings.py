"""The app's own texts in Chinese and English (ui/strings.yaml), and safe rendering of chat text.

    t("undo", "zh")                       # "撤销"
    t("picture_caption", "en", version=2, count=3, width=451, height=300)
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """key → {"zh": text, "en": text}, read once from the package data."""
    return yaml.safe_load(resources.files("ui").joinpath("strings.yaml").read_text(encoding="utf-8"))


def t(key: str, language: str, **fields) -> str:
    """The text `key` in `language` ("zh"; anything else reads English), with `fields` filled in."""
    entry = strings()[key]
    return entry["zh" if language == "zh" else "en"].format(**fields)


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def plain(text: str) -> str:
    """`text` escaped so that st.markdown shows it literally: no HTML, links, images, emphasis,
    LaTeX, colour directives or emoji shortcodes from what a user typed. Line breaks are kept."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")
