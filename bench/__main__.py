"""python -m bench [--quick] [--steps N] [--sam vit_b|vit_h] [--clip ViT-B-16|ViT-L-14] [--turns N] [--out DIR]

Runs the same chat session twice on one set of models — `ours` (the product's Editor) and the
`seed-style` baseline, alternating turn by turn — prints a table per stage and turn, the ratios and the
targets, writes a JSON record under --out, and prints a last line {"speedup": …, "overhead": …, "turns": …}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="tiny models at small sizes (under a minute)")
    parser.add_argument("--steps", type=int, default=2, help="inference steps, the same in both modes (2)")
    parser.add_argument("--sam", choices=("vit_b", "vit_l", "vit_h"), default="vit_b", help="SAM size (vit_b)")
    parser.add_argument("--clip", choices=("ViT-B-16", "ViT-L-14"), default="ViT-B-16",
                        help="CLIP tower size (ViT-B-16; the seed used ViT-L-14)")
    parser.add_argument("--turns", type=int, default=3, help="turns in the session (3)")
    parser.add_argument("--regions", type=int, default=None,
                        help="superpixels fed as SAM's segments (about 60 segments come out; default 80, quick 24)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON record goes (bench/results)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.turns < 1:
        parser.error("--steps and --turns must be at least 1")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("EDIT_EVERYTHING_OFFLINE", "1")
    import torch

    from bench import report
    from bench.baseline import SeedStyle
    from bench.new_actions import adjustment_seconds, move_seconds
    from bench.ours import Ours, bench_preset
    from bench.probes import ForwardTimer, RealisticSegments, realistic_generation, watch_components, watch_pipe
    from bench.real_models import build_real, build_tiny
    from bench.workload import photo, session

    wall_start = time.perf_counter()
    torch.set_grad_enabled(False)
    log("building models (random weights) ...")
    components = build_tiny() if args.quick else build_real(args.sam, args.clip)
    load_seconds = dict(components.load_seconds)
    rss_after_load = report.current_rss_mib()
    log("loaded: " + ", ".join(f"{k} {v:.1f} s" for k, v in load_seconds.items()))

    warm_up()
    timer = ForwardTimer()
    watch_components(timer, components.sam, components.clip_model, components.pipe)
    realistic = RealisticSegments(components.sam, regions=args.regions or (24 if args.quick else 80))
    preset = bench_preset(args.quick, args.sam)
    image = photo(256, 192) if args.quick else photo(1024, 768)
    turns = session(args.turns)

    record: dict = {
        "kind": "quick" if args.quick else "full", "photo": f"skimage coffee {image.width}×{image.height}",
        "turns": len(turns), "steps": args.steps, "models": components.names,
        "parameters": components.parameter_counts(), "load_seconds": load_seconds,
        "load_seconds_total": sum(load_seconds.values()), "rss_after_load_mib": rss_after_load,
        "torch_threads": torch.get_num_threads(), "preset": {
            "name": preset.name, "work_size": preset.work_size, "sam_variant": preset.sam_variant,
            "auto": vars(preset.auto) if hasattr(preset.auto, "__dict__") else str(preset.auto)},
        "session": [{"action": t.action, "source": t.source, "target": t.target, "anchor": t.anchor} for t in turns],
        "modes": {},
    }

    def one_turn(name: str, mode, state: dict, i: int, turn) -> None:
        log(f"{name}: turn {i} ({turn.action} '{turn.source}') ...")
        before = timer.snapshot()
        new, facts = mode.turn(state["image"], turn)
        forward = timer.since(before)
        facts.update(action=turn.action, forward_seconds=sum(forward.values()), forward_by_model=forward)
        state["turns"].append(facts)
        for model, seconds in forward.items():
            state["forward"][model] = state["forward"].get(model, 0.0) + seconds
        log(f"{name}: turn {i}: " + ", ".join(f"{k} {v:.2f}" for k, v in facts["timings"].items())
            + f"; segments {facts['segments']}")
        state["previous"], state["image"] = state["image"], new

    with realistic_generation(realistic):
        ours = Ours(components, preset, steps=args.steps)
        if ours.pipe is not components.pipe:  # ours' SD in the product's precision is its own copy
            watch_pipe(timer, ours.pipe)
        # ours' generator decodes through the Segmenter's shared-image decoder (it wraps SAM's)
        timer.watch("sam_mask_decoder", ours.segmenter.mask_decoder)
        realistic.also_replace(ours.segmenter.mask_decoder)
        record["precision"] = {"ours": ours.precision, "seed-style": "float32"}
        # the seed's fixed SD size: 512 for real SD-1.5 (the preset's work size), 128 for the tiny one
        baseline = _CountingEncodes(SeedStyle(components, preset.auto, steps=args.steps, size=preset.work_size),
                                    timer)
        states = {name: {"image": image, "turns": [], "forward": {}} for name in ("ours", "seed-style")}
        # the modes alternate turn by turn, so a slow patch of the machine hits both alike
        for i, turn in enumerate(turns, 1):
            one_turn("ours", ours, states["ours"], i, turn)
            if i == 1:  # a second instruction on the version turn 1 started from
                seconds, encodes = ours.same_version_segment_seconds(states["ours"]["previous"])
                record["same_version"] = {"segment_seconds": seconds, "sam_encodes": encodes}
            one_turn("seed-style", baseline, states["seed-style"], i, turn)
        log("ours: a move at this size ...")
        record["move"] = move_seconds(ours, image, turns[1 % len(turns)].anchor)
        for name, state in states.items():
            record["modes"][name] = {"turns": state["turns"], "totals": report.session_totals(state["turns"]),
                                     "forward_by_model": state["forward"]}

    record["fast_removal"] = fast_removal(ours, record["modes"]["ours"]["turns"])
    log("an adjustment of a 12-megapixel photo ...")
    record["adjust"] = adjustment_seconds()
    record["segments_config"] = {"regions_requested": realistic.regions, "method": "SLIC superpixels as SAM decoder "
                                 "outputs (real encoder/decoder compute, real AMG post-processing)"}
    record["ratios"] = report.ratios(record)
    record["targets"] = report.targets(record["ratios"])
    record["peak_rss_mib"] = report.peak_rss_mib()
    record["wall_seconds"] = time.perf_counter() - wall_start
    return record


def warm_up() -> None:
    """Import what the first turn would otherwise import (either mode would pay it once)."""
    import cv2  # noqa: F401
    import numpy as np
    import segment_anything.automatic_mask_generator  # noqa: F401
    import skimage.segmentation

    import agent.editor  # noqa: F401
    import tools.inpaint  # noqa: F401

    skimage.segmentation.slic(np.zeros((8, 8, 3), dtype=np.uint8), n_segments=2, start_label=0)


class _CountingEncodes:
    """Adds `sam_encodes` (image-encoder forward calls in the turn) to a mode's turn facts."""

    def __init__(self, mode, timer):
        self.mode, self.timer = mode, timer

    def turn(self, image, turn):
        before = self.timer.calls.get("sam_image_encoder", 0)
        new, facts = self.mode.turn(image, turn)
        facts["sam_encodes"] = self.timer.calls.get("sam_image_encoder", 0) - before
        return new, facts


def fast_removal(ours, turns: list[dict]) -> dict | None:
    """OpenCV removal on the last SD removal's input and mask (the product's fast removal path)."""
    last = getattr(ours, "last_removal", None)
    if last is None:
        return None
    from tools.inpaint import opencv_remove

    index, image, mask = last
    start = time.perf_counter()
    opencv_remove(image, mask, settings=ours.editor.inpaint_settings(ours.settings))
    seconds = time.perf_counter() - start
    return {"turn": index, "seconds": seconds, "sd_seconds": turns[index - 1]["timings"]["inpaint"]}


def main(argv=None) -> int:
    from bench import report

    args = parse(argv)
    record = run(args)
    path = report.write(record, args.out)
    print(report.table(record))
    print()
    print(report.forward_table(record))
    print()
    print(report.summary(record))
    print(f"results: {path}")
    print(report.last_line(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
