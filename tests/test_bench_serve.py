"""`python -m bench.serve --quick` runs end to end (tiny models, a local Ray Serve), so it cannot rot.

Only the shape of its output is checked; the figures of a full run are in docs/deploy.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
