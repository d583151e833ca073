"""Data the product reads: the parser's word lists and templates, and every text a user reads.

The user-facing texts are catalogues, one YAML file each, every key in English and Chinese:

    text("replies", "undo", "zh", version=2)   # "已撤销，回到第 2 版。"   the session's replies (agent/reply.py)
    text("ui", "undo", "en")                   # "Undo"                  the Streamlit app (ui/strings.py)
    text("cli", "wrote", "zh", path="o.png")   # "已写入 o.png"          the command line (ui/cli_options.py)
    text("help", "help", "en")                 # what one can say: the answer to small talk, the chat's :help

`{name}` fields are filled with str.format. Errors stay at their raise sites (`zh=`), next to the
check they explain. Only the standard library and PyYAML here: every layer may read this package.
"""
from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import yaml

Catalogue = Literal["replies", "ui", "cli", "help"]
CATALOGUES: tuple[Catalogue, ...] = ("replies", "ui", "cli", "help")
LANGUAGES = ("en", "zh")


@functools.cache
def entries(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """The catalogue `catalogue` as key → {"en": text, "zh": text} (prompts/<catalogue>.yaml, read
    once; treat the result as read-only)."""
    if catalogue not in CATALOGUES:
        raise ValueError(f"catalogue must be one of {CATALOGUES}, got {catalogue!r}")
    data = resources.files("prompts").joinpath(f"{catalogue}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(data)


def text(catalogue: Catalogue, key: str, language: str, **fields: object) -> str:
    """The text `key` of `catalogue` in `language` ("zh"; anything else reads English), with its
    `{name}` fields filled from `fields`. KeyError for a key the catalogue does not have."""
    return entries(catalogue)[key]["zh" if language == "zh" else "en"].format(**fields)
