"""`python -m bench.serve --quick` runs end to end (tiny models, a local Ray Serve), so it cannot rot.

Only the shape of its output is checked; the figures of a full run are in docs/deploy.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_serve_bench_compares_embedded_and_served_turns(tmp_path, model_cache):
    env = {**os.environ, "EDIT_EVERYTHING_CACHE": str(model_cache), "HF_HUB_OFFLINE": "1",
           "EDIT_EVERYTHING_OFFLINE": "1"}
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "bench.serve", "--quick", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    last = json.loads(lines[-1])
    assert last["overhead"] > 0 and last["clip_batch_max"] >= 1
    assert set(last["throughput"]) == {"1", "2"} and all(v > 0 for v in last["throughput"].values())
    assert any(line.startswith("| embedded |") for line in lines)
    assert any(line.startswith("| served |") for line in lines)
    record = json.loads(next(out.glob("serve-quick-*.json")).read_text(encoding="utf-8"))
    assert record["served"]["p95"] >= record["served"]["p50"] > 0


def test_real_size_mode_defaults_to_a_short_one_user_run_that_flags_can_change():
    from bench.serve import parse

    real = parse(["--real-size"])
    assert (real.steps, real.turns, real.users, real.size, real.warm_up_turns) == (2, 2, [1], 768, 1)
    mine = parse(["--real-size", "--steps", "3", "--users=1,2"])
    assert (mine.steps, mine.users, mine.turns) == (3, [1, 2], 2)
    assert parse([]).warm_up_turns == parse([]).turns  # the tiny run warms up with a whole session


def test_real_size_and_quick_cannot_be_combined(capsys):
    from bench.serve import parse

    with pytest.raises(SystemExit):
        parse(["--quick", "--real-size"])
    assert "exclude" in capsys.readouterr().err


def test_real_size_turns_drag_a_box_inside_the_photo():
    from bench.serve_real import turn_box

    x0, y0, x1, y1 = turn_box((768, 511))
    assert 0 <= x0 < x1 <= 768 and 0 <= y0 < y1 <= 511
