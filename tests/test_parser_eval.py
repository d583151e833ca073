"""The parser scored on case sets: our own cases (tests/data/parser_cases.jsonl for object edits and history,
tests/data/parser_actions_cases.jsonl for restyle, adjust, move, resize and generate; scored by
tests/parser_scorer.py, so a plain clone scores the parser) and, when the shared evaluation set sits beside
the clone (../shared/eval), the public cases with the shared scorer too.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from parser_scorer import EXPECTED_KEYS, read_cases, score

ROOT = Path(__file__).resolve().parents[1]
OURS = ROOT / "tests" / "data" / "parser_cases.jsonl"
OURS_ACTIONS = ROOT / "tests" / "data" / "parser_actions_cases.jsonl"
SHARED = ROOT.parent / "shared" / "eval"
SCORER = SHARED / "score_parser.py"
PUBLIC = SHARED / "parser_public.jsonl"
PUBLIC_ACTIONS = SHARED / "parser_public_actions.jsonl"
RESULT = re.compile(r"parser accuracy ([0-9.]+) \((\d+)/(\d+)\), median ([0-9.]+) ms/instruction")
ACTIONS = {"replace", "remove", "add", "undo", "redo", "reset", "regenerate", "pick", "none"}
NEW_ACTIONS = {"restyle", "adjust", "move", "resize", "generate"}
needs_shared = pytest.mark.skipif(not SCORER.is_file(), reason=f"optional extra set: {SHARED} is not beside the clone")


def test_our_own_cases_score_at_least_097_with_rules_only(record_property):
    result = score(OURS)
    record_property("own_accuracy", result.accuracy)
    print(f"own parser accuracy {result.accuracy:.3f}, median {result.median_ms:.2f} ms")
    assert result.accuracy >= 0.97, "\n".join(f"{i}: {text!r}: {why}" for i, text, why in result.failures)


def test_our_cases_are_many_well_formed_and_cover_both_languages():
    ours = read_cases(OURS)
    assert len(ours) >= 120
    assert len({case["id"] for case in ours}) == len(ours)
    for case in ours:
        assert set(case) == {"id", "text", "commands"} and case["commands"], case
        for command in case["commands"]:
            assert command["action"] in ACTIONS and set(command) <= EXPECTED_KEYS, case
    assert {case["id"].split("-")[1] for case in ours} == {"zh", "en"}


def test_the_object_edit_cases_stay_perfect_after_the_new_actions():
    result = score(OURS)
    assert result.accuracy == 1.0, "\n".join(f"{i}: {text!r}: {why}" for i, text, why in result.failures)


def test_our_new_action_cases_score_at_least_097_with_rules_only(record_property):
    result = score(OURS_ACTIONS)
    record_property("own_actions_accuracy", result.accuracy)
    print(f"own new-action parser accuracy {result.accuracy:.3f}, median {result.median_ms:.2f} ms")
    assert result.accuracy >= 0.97, "\n".join(f"{i}: {text!r}: {why}" for i, text, why in result.failures)


def test_our_new_action_cases_are_many_well_formed_and_cover_every_action_in_both_languages():
    cases = read_cases(OURS_ACTIONS)
    assert len(cases) >= 150 and len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        assert set(case) == {"id", "text", "commands"} and case["commands"], case
        for command in case["commands"]:
            assert command["action"] in ACTIONS | NEW_ACTIONS and set(command) <= EXPECTED_KEYS, case
    by_language = {lang: [c for c in cases if c["id"].split("-")[1] == lang] for lang in ("zh", "en")}
    assert min(len(v) for v in by_language.values()) >= 0.4 * len(cases)
    for language, mine in by_language.items():
        seen = {command["action"] for case in mine for command in case["commands"]}
        assert NEW_ACTIONS <= seen, (language, NEW_ACTIONS - seen)


@needs_shared
def test_our_cases_are_worded_differently_from_the_public_ones():
    public = {json.loads(line)["text"] for line in PUBLIC.read_text(encoding="utf-8").splitlines() if line}
    public |= {json.loads(line)["text"] for line in PUBLIC_ACTIONS.read_text(encoding="utf-8").splitlines() if line}
    assert not public & {case["text"] for case in read_cases(OURS) + read_cases(OURS_ACTIONS)}


@needs_shared
@pytest.mark.parametrize("public", [PUBLIC, PUBLIC_ACTIONS], ids=["object-edits", "new-actions"])
def test_public_cases_score_at_least_097_with_rules_only(public, record_property):
    run = subprocess.run([sys.executable, str(SCORER), str(public), "--min", "0.97", "--show", "50"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    match = RESULT.search(run.stdout)
    assert match, f"no accuracy line from the scorer:\n{run.stdout}\n{run.stderr}"
    accuracy, median_ms = float(match.group(1)), float(match.group(4))
    record_property("public_accuracy", accuracy)
    print(f"public parser accuracy {accuracy:.3f}, median {median_ms:.2f} ms")
    assert accuracy >= 0.97, run.stdout
