"""`python -m bench --quick` runs end to end (tiny models), so the benchmark cannot rot.

Only the shape of its output is checked: speed targets are for the real-size run (docs/performance.md).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_bench_prints_ratios_and_writes_results(tmp_path, model_cache):
    env = {**os.environ, "EDIT_EVERYTHING_CACHE": str(model_cache), "HF_HUB_OFFLINE": "1",
           "EDIT_EVERYTHING_OFFLINE": "1"}
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    last = json.loads(lines[-1])
    assert set(last) == {"speedup", "overhead", "turns"}
    assert last["turns"] == 3 and last["speedup"] > 0 and last["overhead"] > 0
    assert any(line.startswith("| seed-style | 1 |") for line in lines)
    assert any(line.startswith("| ours | 3 |") for line in lines)

    files = list(out.glob("bench-quick-*.json"))
    assert len(files) == 1
    record = json.loads(files[0].read_text(encoding="utf-8"))
    for mode in ("ours", "seed-style"):
        turns = record["modes"][mode]["turns"]
        assert len(turns) == 3
        for turn in turns:
            assert turn["timings"]["total"] > 0 and turn["forward_seconds"] > 0
            assert turn["timings"]["inpaint"] > 0
        assert turns[0]["segments"] > 0 and turns[0]["timings"]["segment"] > 0
        assert record["modes"][mode]["totals"]["total"] > 0
    # the product's caches: turn 1 encodes once; later turns reuse carried-over segments
    ours = record["modes"]["ours"]["turns"]
    assert ours[0]["sam_encodes"] == 1
    assert record["same_version"]["sam_encodes"] == 0
    assert all(t["sam_encodes"] == 1 for t in record["modes"]["seed-style"]["turns"])
    assert record["ratios"]["speedup"] == last["speedup"] or abs(record["ratios"]["speedup"] - last["speedup"]) < 1e-3
    assert record["peak_rss_mib"] > 0 and record["wall_seconds"] > 0
    # beside the turns: an adjustment of a 12-megapixel photo and a move of one object
    assert record["adjust"]["size"] == [4000, 3000] and record["adjust"]["whole_brighten_seconds"] > 0
    assert record["move"]["total_seconds"] > 0 and record["move"]["fill_seconds"] > 0
    assert any(line.startswith("adjust (PIL/NumPy, no model) on a 4000×3000 photo") for line in lines)
    assert any(line.startswith("move one object") for line in lines)
