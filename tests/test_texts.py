"""Every text a user reads lives in one catalogue under prompts/ (replies, ui, cli, help), wholly in
English and wholly in Chinese, and the code and the data agree on the keys.

A reply added in code without its entry fails here (instead of a KeyError in front of a user), and so
does an entry no code says any more, an entry with one language only, or one that mixes the two.
"""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from test_messages import CHINESE_PUNCTUATION, ENGLISH_PROSE

import prompts

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FIELD = re.compile(r"\{[^{}]*\}")
# which function reads which catalogue: say/refusal → replies, t → ui, ui.cli_options.text → cli
READERS = {"say": "replies", "refusal": "replies", "t": "ui", "text": "cli"}


def source_files() -> list[Path]:
    return sorted(p for folder in ("tools", "agent", "ui") for p in (ROOT / folder).rglob("*.py"))


def pattern(node: ast.expr) -> str | None:
    """A regex for the keys a key expression can name: "undo" → undo, f"stage.{s}" → stage\\..+;
    None when it has no constant part to go by."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.Constant) for v in node.values):
        return "".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in node.values)
    return None


def branches(node: ast.expr) -> list[ast.expr]:
    """The keys a key expression can be: both sides of `"a" if x else "b"`, else the expression."""
    return branches(node.body) + branches(node.orelse) if isinstance(node, ast.IfExp) else [node]


def key_uses() -> list[tuple[str, str, str]]:
    """(file:line, catalogue, key pattern) for every literal key the code passes to a reader:
    say("undo"), refusal("empty"), t(f"stage.{s}"), text("wrote"), prompts.text("help", "help")."""
    uses = []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", None) == "prompts":
                catalogue, keys = node.args[0], node.args[1:2]
                catalogue = catalogue.value if isinstance(catalogue, ast.Constant) else None
            elif name in READERS and path.name != "__init__.py":
                catalogue, keys = READERS[name], node.args[:1]
            else:
                continue
            for part in (p for key in keys for p in branches(key)):
                found = pattern(part)
                if found and catalogue:
                    uses.append((f"{path.relative_to(ROOT)}:{node.lineno}", catalogue, found))
    return uses


def strings_in_code() -> tuple[set[str], list[str]]:
    """Every string constant of the product code, and the patterns of its f-strings with a constant part."""
    constants, patterns = set(), []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr) and (found := pattern(node)):
                patterns.append(found)
    return constants, patterns


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("catalogue", prompts.CATALOGUES)
def test_every_text_is_written_in_english_and_in_chinese_with_the_same_fields(catalogue):
    entries = prompts.entries(catalogue)
    assert entries, catalogue
    for key, entry in entries.items():
        assert set(entry) == set(prompts.LANGUAGES), f"{catalogue}.{key}: {sorted(entry)}"
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), f"{catalogue}.{key}"
        assert fields(entry["en"]) == fields(entry["zh"]), f"{catalogue}.{key}: fields differ"


@pytest.mark.parametrize("catalogue", prompts.CATALOGUES)
def test_no_text_mixes_the_two_languages(catalogue):
    mixed = []
    for key, entry in prompts.entries(catalogue).items():
        english, chinese = (FIELD.sub("", entry[k]) for k in ("en", "zh"))  # the written text only
        if CHINESE_PUNCTUATION.search(english):
            mixed.append(f"{catalogue}.{key}: Chinese punctuation in the English text")
        if not (CHINESE.search(chinese) or CHINESE_PUNCTUATION.search(chinese)):  # “{source}” is Chinese too
            mixed.append(f"{catalogue}.{key}: the Chinese text has no Chinese in it")
        prose = ENGLISH_PROSE.search(chinese)
        if prose:
            mixed.append(f"{catalogue}.{key}: English prose {prose.group()!r} in the Chinese text")
    assert not mixed, "\n".join(mixed)


def test_every_key_the_code_asks_for_is_in_its_catalogue():
    uses = key_uses()
    assert {catalogue for _, catalogue, _ in uses} == set(prompts.CATALOGUES), uses  # the scan finds each reader
    missing = [f"{place}: {catalogue} has no {key!r}" for place, catalogue, key in uses
               if not any(re.fullmatch(key, k) for k in prompts.entries(catalogue))]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("catalogue", prompts.CATALOGUES)
def test_every_text_in_a_catalogue_is_used_by_the_code(catalogue):
    constants, patterns = strings_in_code()
    unused = [key for key in prompts.entries(catalogue)
              if key not in constants and not any(re.fullmatch(p, key) for p in patterns)]
    assert not unused, f"{catalogue}: no code says {unused}"


def test_a_key_a_catalogue_does_not_have_is_a_key_error_not_a_silent_blank():
    with pytest.raises(KeyError):
        prompts.text("replies", "no_such_reply", "zh")
    assert prompts.text("replies", "undo", "zh", version=3) == "已撤销，回到第 3 版。"
    assert prompts.text("replies", "undo", "fr", version=3) == "Undone: back to version 3."
