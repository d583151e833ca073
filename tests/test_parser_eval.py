"""The parser against the shared scorer: the public cases (≥ 0.97, median < 5 ms, rules only) and our
own cases in tests/data/parser_cases.jsonl (≥ 0.9). The scorer lives outside the clone, in
../shared/eval; if it is missing the test fails, it does not skip.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SCORER = EVAL / "score_parser.py"
PUBLIC = EVAL / "parser_public.jsonl"
OURS = ROOT / "tests" / "data" / "parser_cases.jsonl"
RESULT = re.compile(r"parser accuracy ([0-9.]+) \((\d+)/(\d+)\), median ([0-9.]+) ms/instruction")
ACTIONS = {"replace", "remove", "add", "undo", "redo", "reset", "regenerate", "pick", "none"}
EXPECTED_KEYS = {"action", "source", "source_has", "target_has", "exclude_has", "position", "index", "all"}


def score(cases: Path, minimum: float) -> tuple[float, float, str]:
    """Run the shared scorer from the project root; (accuracy, median ms, its output)."""
    assert SCORER.is_file(), f"the shared scorer is missing: {SCORER} (shared/ must sit beside the clone)"
    assert cases.is_file(), f"cases file missing: {cases}"
    run = subprocess.run([sys.executable, str(SCORER), str(cases), "--min", str(minimum), "--show", "50"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    match = RESULT.search(run.stdout)
    assert match, f"no accuracy line from the scorer:\n{run.stdout}\n{run.stderr}"
    return float(match.group(1)), float(match.group(4)), run.stdout


def test_public_cases_score_at_least_097_with_rules_only_and_fast(record_property):
    accuracy, median_ms, output = score(PUBLIC, 0.97)
    record_property("public_accuracy", accuracy)
    print(f"public parser accuracy {accuracy:.3f}, median {median_ms:.2f} ms")
    assert accuracy >= 0.97, output
    assert median_ms < 5, output


def test_our_own_cases_score_at_least_090(record_property):
    accuracy, median_ms, output = score(OURS, 0.9)
    record_property("own_accuracy", accuracy)
    print(f"own parser accuracy {accuracy:.3f}, median {median_ms:.2f} ms")
    assert accuracy >= 0.9, output


def test_our_cases_are_many_well_formed_and_worded_differently_from_the_public_ones():
    ours = [json.loads(line) for line in OURS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(ours) >= 120
    assert len({case["id"] for case in ours}) == len(ours)
    for case in ours:
        assert set(case) == {"id", "text", "commands"} and case["commands"], case
        for command in case["commands"]:
            assert command["action"] in ACTIONS and set(command) <= EXPECTED_KEYS, case
    languages = {case["id"].split("-")[1] for case in ours}
    assert languages == {"zh", "en"}
    if PUBLIC.is_file():
        public = {json.loads(line)["text"] for line in PUBLIC.read_text(encoding="utf-8").splitlines() if line}
        assert not public & {case["text"] for case in ours}

