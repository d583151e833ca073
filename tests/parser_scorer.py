"""Scoring the parser on a JSONL file of cases, inside the clone (tests/data/parser_cases.jsonl).

One case per line: {"id": "own-zh-001", "text": "<what the user typed>", "commands": [<expected>, ...]}.
An expected command has `action` and only the keys that matter:
- `source`: equal after normalising (lower case; spaces, punctuation, leading English articles and 的
  dropped); `"source": null` means no source.
- `source_has` / `target_has` / `exclude_has`: substrings (normalised the same way) the field must hold.
- `position`, `index`, `all`: when absent they must be unset; `exclude` must be unset unless `exclude_has`.
- `to`, `adjust`: equal when given (move destination, which adjustment); `amount_sign` / `scale_sign` (1 or -1):
  the sign of `amount`, whether `scale` is above or below 1 (tests/data/parser_actions_cases.jsonl).
A case is correct when it gives as many commands as expected and each one matches.

    python tests/parser_scorer.py tests/data/parser_cases.jsonl     # prints failures and the accuracy
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from agent import EditCommand, parse_instruction

EXPECTED_KEYS = frozenset({"action", "source", "source_has", "target_has", "exclude_has", "position", "index", "all",
                           "to", "adjust", "amount_sign", "scale_sign"})
_ARTICLE = re.compile(r"^(?:the|a|an|some|this|that|these|those)\s+")
_IGNORED = re.compile(r"[\s\"'“”‘’`.,!?;:，。！？；：、()（）\[\]【】]+|的")


@dataclass(frozen=True)
class Score:
    """accuracy: correct / all cases; failures: (case id, text, why) for each wrong case;
    median_ms: median time of one parse_instruction call."""

    accuracy: float
    cases: int
    failures: tuple[tuple[str, str, str], ...]
    median_ms: float


def read_cases(path: Path) -> list[dict]:
    """The cases of a JSONL file, blank lines skipped."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def normalise(text: str | None) -> str:
    """"The Red-Car!" → "red-car"; "黑色的猫" → "黑色猫"; None → ""."""
    return _IGNORED.sub("", _ARTICLE.sub("", (text or "").strip().lower()))


def mismatches(expected: dict, got: EditCommand) -> list[str]:
    """Why `got` does not match `expected` (empty when it does)."""
    if got.action != expected["action"]:
        return [f"action {got.action!r}, expected {expected['action']!r}"]
    why = []
    if "source" in expected and normalise(got.source) != normalise(expected["source"]):
        why.append(f"source {got.source!r}, expected {expected['source']!r}")
    for key, field in (("source_has", "source"), ("target_has", "target"), ("exclude_has", "exclude")):
        missing = [part for part in expected.get(key, ()) if normalise(part) not in normalise(getattr(got, field))]
        if missing:
            why.append(f"{field} {getattr(got, field)!r} lacks {missing}")
    if "exclude_has" not in expected and got.exclude:
        why.append(f"exclude {got.exclude!r} not expected")
    for key in ("to", "adjust"):
        if key in expected and getattr(got, key) != expected[key]:
            why.append(f"{key} {getattr(got, key)!r}, expected {expected[key]!r}")
    for key, field, zero in (("amount_sign", "amount", 0.0), ("scale_sign", "scale", 1.0)):
        value = getattr(got, field)
        if key in expected and (value is None or (value > zero) - (value < zero) != expected[key]):
            why.append(f"{field} {value!r}, expected {'above' if expected[key] > 0 else 'below'} {zero}")
    for key, unset in (("position", None), ("index", None), ("all", False)):
        if getattr(got, key) != expected.get(key, unset):
            why.append(f"{key} {getattr(got, key)!r}, expected {expected.get(key, unset)!r}")
    return why


def score(path: Path) -> Score:
    """Every case of `path` parsed (rules only) and compared with what it expects."""
    cases, failures, seconds = read_cases(path), [], []
    for case in cases:
        started = time.perf_counter()
        got = parse_instruction(case["text"])
        seconds.append(time.perf_counter() - started)
        why = ([f"{len(got)} commands, expected {len(case['commands'])}: {got}"]
               if len(got) != len(case["commands"]) else
               [reason for want, have in zip(case["commands"], got) for reason in mismatches(want, have)])
        if why:
            failures.append((case["id"], case["text"], "; ".join(why)))
    return Score(1 - len(failures) / len(cases), len(cases), tuple(failures), 1000 * statistics.median(seconds))


if __name__ == "__main__":
    result = score(Path(sys.argv[1]))
    for case_id, text, why in result.failures:
        print(f"FAIL {case_id}: {text!r}: {why}")
    print(f"parser accuracy {result.accuracy:.3f} ({result.cases - len(result.failures)}/{result.cases}), "
          f"median {result.median_ms:.2f} ms/instruction")
