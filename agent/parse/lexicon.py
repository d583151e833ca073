"""The parser's word lists, read once from the data files in prompts/.

`zh_lexicon()` and `en_lexicon()` return the YAML files as dicts (prompts/zh_lexicon.yaml,
prompts/en_lexicon.yaml); `zh_tokenize(text)` cuts Chinese text with jieba and our own dictionary
(every word of zh_lexicon.yaml plus prompts/zh_objects.txt).

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


def zh_lexicon() -> dict[str, Any]:
    """Chinese word lists: verbs by action, classifiers, positions, colours, control patterns…"""
    return load_yaml("zh_lexicon.yaml")


def en_lexicon() -> dict[str, Any]:
    """English word lists and patterns."""
    return load_yaml("en_lexicon.yaml")


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
    lex = zh_lexicon()
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


def warm_up() -> None:
    """Build the jieba dictionary now rather than on the first Chinese instruction."""
    zh_tokenize("把猫换成狗")
