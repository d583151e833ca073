"""The benchmark's output: a table per stage and turn, ratios, targets, and a JSON record."""
from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from bench import new_actions

STAGES = ("segment", "rank", "inpaint", "paste", "other")
TARGETS = {"speedup": (">=", 3.0), "overhead": ("<=", 1.10), "later_segment_speedup": (">=", 10.0),
           "same_version_segment_speedup": (">=", 10.0)}


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def session_totals(turns: list[dict]) -> dict[str, float]:
    totals = {stage: sum(t["timings"][stage] for t in turns) for stage in STAGES}
    totals["total"] = sum(t["timings"]["total"] for t in turns)
    totals["forward"] = sum(t["forward_seconds"] for t in turns)
    return totals


def ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("inf")


def ratios(record: dict) -> dict[str, float]:
    ours, base = record["modes"]["ours"], record["modes"]["seed-style"]
    first = ours["turns"][0]["timings"]["segment"]
    later = [t["timings"]["segment"] for t in ours["turns"][1:]]
    values = {
        "speedup": ratio(base["totals"]["total"], ours["totals"]["total"]),
        "overhead": ratio(ours["totals"]["total"], ours["totals"]["forward"]),
        "baseline_overhead": ratio(base["totals"]["total"], base["totals"]["forward"]),
        "same_version_segment_speedup": ratio(first, record["same_version"]["segment_seconds"]),
    }
    if later:
        values["later_segment_speedup"] = ratio(first, max(later))
    for stage in STAGES:
        values[f"{stage}_speedup"] = ratio(base["totals"][stage], ours["totals"][stage])
    return values


def targets(values: dict[str, float]) -> dict[str, dict]:
    out = {}
    for name, (op, bound) in TARGETS.items():
        if name in values:
            value = values[name]
            out[name] = {"value": round(value, 3), "target": f"{op} {bound:g}",
                         "met": value >= bound if op == ">=" else value <= bound}
    return out


def _fmt(seconds: float) -> str:
    return f"{seconds:8.2f}"


def table(record: dict) -> str:
    """A plain-text (Markdown) table: one row per mode and turn, then per-mode session totals."""
    head = ("| mode | turn | action | " + " | ".join(STAGES)
            + " | total | in forward | segments | SAM encodes | SD size |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for mode in ("seed-style", "ours"):
        data = record["modes"][mode]
        for i, turn in enumerate(data["turns"], 1):
            t = turn["timings"]
            size = turn.get("sd_size")
            lines.append(f"| {mode} | {i} | {turn['action']} | " + " | ".join(_fmt(t[s]) for s in STAGES)
                         + f" | {_fmt(t['total'])} | {_fmt(turn['forward_seconds'])} | {turn['segments']} | "
                         f"{turn['sam_encodes']} | {'×'.join(map(str, size)) if size else '-'} |")
    for mode in ("seed-style", "ours"):
        totals = record["modes"][mode]["totals"]
        lines.append(f"| **{mode}** | all | session | " + " | ".join(_fmt(totals[s]) for s in STAGES)
                     + f" | {_fmt(totals['total'])} | {_fmt(totals['forward'])} | | | |")
    values = record["ratios"]
    lines.append("| **ratio** | all | seed/ours | " + " | ".join(
        f"{values[f'{s}_speedup']:8.2f}" for s in STAGES) + f" | {values['speedup']:8.2f} | | | | |")
    return "\n".join(lines)


def forward_table(record: dict) -> str:
    lines = ["| model forward | seed-style s | ours s |", "|---|---|---|"]
    modes = record["modes"]
    names = sorted(set(modes["seed-style"]["forward_by_model"]) | set(modes["ours"]["forward_by_model"]))
    for name in names:
        lines.append(f"| {name} | {record['modes']['seed-style']['forward_by_model'].get(name, 0.0):.2f} | "
                     f"{record['modes']['ours']['forward_by_model'].get(name, 0.0):.2f} |")
    return "\n".join(lines)


def summary(record: dict) -> str:
    values = record["ratios"]
    lines = [
        f"photo {record['photo']}, {record['turns']} turns, {record['steps']} steps, "
        f"segments per turn: seed-style {[t['segments'] for t in record['modes']['seed-style']['turns']]}, "
        f"ours {[t['segments'] for t in record['modes']['ours']['turns']]}",
        f"models: {', '.join(record['models'].values())}",
        f"precision of SAM and SD: ours {record['precision']['ours']} (the product's choice for this CPU; "
        f"CLIP float32), seed-style {record['precision']['seed-style']}",
        f"loading (built once): {record['load_seconds_total']:.1f} s "
        + "(" + ", ".join(f"{k} {v:.1f} s" for k, v in record["load_seconds"].items()) + ")",
        f"second instruction on the same version: segment {record['same_version']['segment_seconds']:.3f} s, "
        f"SAM encodes {record['same_version']['sam_encodes']}",
    ]
    if record.get("fast_removal"):
        fast = record["fast_removal"]
        lines.append(f"fast removal (OpenCV Telea, ours' remove_method='opencv') on turn {fast['turn']}'s mask: "
                     f"{fast['seconds']:.3f} s vs SD {fast['sd_seconds']:.2f} s")
    lines += new_actions.summary_lines(record)
    lines.append(f"speedup (seed-style / ours): {values['speedup']:.2f}; overhead (ours total / forward): "
                 f"{values['overhead']:.3f} (seed-style: {values['baseline_overhead']:.3f})")
    later = values.get("later_segment_speedup", float("nan"))
    lines.append(f"segment stage, turn 1 / later turns (worst): {later:.1f}×; "
                 f"turn 1 / same version: {values['same_version_segment_speedup']:.1f}×")
    for name, target in record["targets"].items():
        lines.append(f"target {name} {target['target']}: {target['value']} — {'met' if target['met'] else 'NOT met'}")
    lines.append(f"peak RSS {record['peak_rss_mib']:.0f} MiB (after loading {record['rss_after_load_mib']:.0f} MiB); "
                 f"wall time {record['wall_seconds']:.1f} s")
    return "\n".join(lines)


def write(record: dict, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"bench-{record['kind']}-{stamp}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def last_line(record: dict) -> str:
    values = record["ratios"]
    return json.dumps({"speedup": round(values["speedup"], 3), "overhead": round(values["overhead"], 3),
                       "turns": record["turns"]})
