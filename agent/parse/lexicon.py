"""The parser's word lists, read once from the data files in prompts/.

`lexicon(language)` returns prompts/<language>_lexicon.yaml as a dict, `positions(language)` its
position words as one map ("左边" → "left", "leftmost" → "left"); `zh_tokenize(text)` cuts Chinese text
with jieba and our own dictionary (every word of zh_lexicon.yaml plus prompts/zh_objects.txt).

The jieba dictionary is data, not a model: it is built lazily on the first Chinese instruction
(about 0.5 s) and shared afterwards. We use a private `jieba.Tokenizer`, so other code using jieba's
global dictionary is not affected by our words.
"""
from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any

import yaml

from agent.parse.commands import Language, Position

# jieba prefers these words to its own split when a word of ours is rarer than this in its dictionary.
_MIN_FREQ = 2000
_lock = threading.Lock()


def read_text(name: str) -> str:
    """The text of the data file `prompts/<name>` (UTF-8)."""
    return resources.files("prompts").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def load_yaml(name: str) -> dict[str, Any]:
    """The data file `prompts/<name>` parsed as YAML (cached; treat the result as read-only)."""
    return yaml.safe_load(read_text(name))


def lexicon(language: Language) -> dict[str, Any]:
    """The word lists and patterns of `language` ("zh" or "en"): verbs by action, positions, colours,
    control-command patterns… (prompts/zh_lexicon.yaml, prompts/en_lexicon.yaml; read-only)."""
    return load_yaml(f"{language}_lexicon.yaml")


@functools.cache
def positions(language: Language) -> dict[str, Position]:
    """Every position word of `language` and the position it names: "最左边" → "left", "biggest" → "largest"."""
    return {word: position for position, words in lexicon(language)["positions"].items() for word in words}


def words(values: Iterable[Any]) -> Iterator[str]:
    """Every string inside `values`, walking nested lists and dict values."""
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from words(value.values())
        elif isinstance(value, list):
            yield from words(value)


def _dictionary_words() -> set[str]:
    lex = lexicon("zh")
    found = set(words(lex[key] for key in (
        "verbs", "demonstratives", "positions", "colours", "all_words", "other_words", "styles")))
    for line in read_text("zh_objects.txt").splitlines():
        if not line.startswith("#"):
            found.update(line.split())
    return {w for w in found if len(w) > 1 and not w.isascii()}


@functools.cache
def _tokenizer():
    import jieba  # imported here: `from agent import parse_instruction` must stay fast

    logging.getLogger("jieba").setLevel(logging.WARNING)  # jieba logs the dictionary build at DEBUG
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(_dictionary_words()):
        tokenizer.add_word(word, freq=max(_MIN_FREQ, tokenizer.FREQ.get(word, 0)))
    return tokenizer


def zh_tokenize(text: str) -> list[str]:
    """`text` cut into words by jieba with our dictionary, without HMM guessing.

    Whitespace comes back as its own tokens, so "".join(tokens) == text.
    Example: "把那只黑色的猫去掉" → ["把", "那只", "黑色", "的", "猫", "去掉"].
    """
    with _lock:  # the first call builds the dictionary; do that once even with several threads
        tokenizer = _tokenizer()
    return tokenizer.lcut(text, HMM=False)
