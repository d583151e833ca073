"""python -m bench.serve [--quick | --real-size [--models-dir DIR]] [--steps N] [--turns N] [--users 1,4,8]
                       [--size PX] [--out DIR]

The same chat turns embedded (models in this process) and served (the HTTP API over a local Ray Serve
started here), side by side in one run: per-turn latency p50/p95 for one user, throughput (turns per
minute) with 1, 4 and 8 concurrent sessions, the CLIP batch sizes reached, the serving overhead
(served ÷ embedded, one user) and the peak RSS of each mode (this process and every process it
started). Prints a table and a last line of JSON; writes the JSON under --out.

The modes run one after the other: embedded first, its models freed, then served.
--quick: the tiny preset, a small picture, 1 and 2 users (runs in the test suite).
--real-size: the real-size random-weight models `python -m bench` builds (SAM ViT-B, CLIP ViT-B-16,
SD-1.5-size inpainting), saved once in their real formats under --models-dir and loaded by the product's
loaders in both modes (bench/serve_real.py); 2 turns of 2 steps on a 768-px photo, SD's real 512-px
working size, one user. Each turn names its region with a box (random weights find nothing from words).
At this size a turn takes minutes on a 2-core CPU.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TURNS = ("把猫换成狗", "把狗变成红色", "把背景变成蓝色", "把狗换成猫")


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="tiny models, a small picture, 1 and 2 users")
    parser.add_argument("--real-size", action="store_true",
                        help="real-size random-weight models (SAM ViT-B, CLIP ViT-B-16, SD-1.5 size): 2 turns, "
                             "2 steps, a 768-px photo, 1 user, a box per turn")
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="where --real-size keeps its saved models (<model cache>/bench-real-random)")
    parser.add_argument("--preset", default="tiny", help="the models (tiny: random weights, offline)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--turns", type=int, default=3, help=f"turns per session (at most {len(TURNS)})")
    parser.add_argument("--users", default="1,4,8", help="concurrent sessions to measure")
    parser.add_argument("--size", type=int, default=320, help="the photo's long side in pixels")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--warm-up-turns", type=int, default=None,
                        help="turns of the warm-up session before measuring (all; 1 with --real-size)")
    args = parser.parse_args(argv)
    if args.quick and args.real_size:
        parser.error("--quick and --real-size exclude each other")
    if args.quick:
        args.steps, args.turns, args.users, args.size = 1, 2, "1,2", 160
    if args.real_size:
        given = set(argv if argv is not None else sys.argv[1:])
        defaults = {"--steps": ("steps", 2), "--turns": ("turns", 2), "--users": ("users", "1"),
                    "--size": ("size", 768), "--warm-up-turns": ("warm_up_turns", 1)}
        for flag, (name, value) in defaults.items():
            if not any(g == flag or g.startswith(flag + "=") for g in given):
                setattr(args, name, value)
    args.users = [int(u) for u in args.users.split(",")]
    args.turns = max(1, min(args.turns, len(TURNS)))
    args.warm_up_turns = args.turns if args.warm_up_turns is None else max(0, min(args.warm_up_turns, args.turns))
    args.details = {"embedded": [], "served": []}  # the one-user session's turns (turn_details)
    args.box = None  # set by run() for --real-size: (x0, y0, x1, y1) in the photo's pixels
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def photo(size: int):
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.chelsea())
    return image.resize((size, round(size * image.height / image.width)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def embedded_user(models, picture, args, seed: int, turns: int | None = None) -> list[float]:
    from agent.editor import Editor, EditSettings
    from agent.session import Session

    session = Session(picture, Editor(models, EditSettings(steps=args.steps, seed=seed)))
    times = []
    for turn in TURNS[:turns or args.turns]:
        start, cpu = time.perf_counter(), cpu_seconds()
        reply = session.send(turn, box=args.box)
        times.append(time.perf_counter() - start)
        if seed == 1:  # the one-user session: where its time went
            args.details["embedded"].append(turn_details(times[-1], cpu, session.current.timings
                                                         if reply.kind == "edited" else {}))
        if reply.error not in (None, "not_found"):
            raise RuntimeError(f"embedded turn failed: {reply.text}")
    return times


def served_user(client, picture, args, seed: int, turns: int | None = None) -> list[float]:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    answer = client.post("/v1/sessions", files={"image": ("photo.png", buffer.getvalue(), "image/png")},
                         data={"steps": str(args.steps), "seed": str(seed)})
    answer.raise_for_status()
    session_id, times = answer.json()["id"], []
    for turn in TURNS[:turns or args.turns]:
        body = {"text": turn} if args.box is None else {"text": turn, "box": list(args.box)}
        start, cpu = time.perf_counter(), cpu_seconds()
        reply = client.post(f"/v1/sessions/{session_id}/messages", json=body)
        times.append(time.perf_counter() - start)
        if reply.status_code != 200:
            raise RuntimeError(f"served turn failed: {reply.status_code} {reply.text}")
        if seed == 1:
            args.details["served"].append(turn_details(times[-1], cpu, reply.json().get("timings") or {}))
    return times


def cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process and every live process it started
    (Ray's gateway and workers): the work a turn costs, whatever else the machine runs."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def turn_details(seconds: float, cpu_before: float, stages: dict) -> dict:
    """One measured turn: wall seconds, CPU seconds of all our processes, the editor's stage timings."""
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds() - cpu_before, 2),
            "stages": {k: round(float(v), 3) for k, v in stages.items()}}


def measure(user, args, label: str) -> dict:
    """{"latency": [one user's turn seconds], "throughput": {n: turns per minute with n users}}.

    A warm-up session of `args.warm_up_turns` first (models loaded, first-call costs paid); the one-user
    session measured for latency also gives the 1-user throughput (upload included)."""
    if args.warm_up_turns:
        log(f"{label}: warm-up ({args.warm_up_turns} turns) ...")
        user(0, args.warm_up_turns)
    log(f"{label}: one user, {args.turns} turns ...")
    start = time.perf_counter()
    latency = user(1, None)
    elapsed = time.perf_counter() - start
    log(f"{label}: turns {args.details[label]}")
    throughput = {}
    for count in args.users:
        if count == 1:
            throughput[1] = round(60 * len(latency) / elapsed, 2)
            continue
        log(f"{label}: {count} users ...")
        start = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            done = [t for times in pool.map(lambda seed: user(seed, None), range(100, 100 + count)) for t in times]
        throughput[count] = round(60 * len(done) / (time.perf_counter() - start), 2)
    return {"latency": latency, "throughput": throughput}


def start_server(preset, data: Path, app: str) -> str:
    import ray
    import torch
    from ray import serve

    from server.config import load_config
    from server.gateway import build_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray.init(num_cpus=8, num_gpus=0, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    # the workers compute with as many torch threads as the embedded mode did (the same results)
    config = load_config(None, torch_threads=torch.get_num_threads())
    serve.run(build_app(preset=preset, config=config, data_dir=data), name=app, route_prefix="/")
    return f"http://127.0.0.1:{port}"


def resolve_preset(args):
    """The preset name (or, for --real-size, the Preset over the saved real-size models)."""
    if not args.real_size:
        return args.preset
    from bench.serve_real import default_folder, ensure_models, real_preset

    return real_preset(ensure_models(args.models_dir or default_folder()))


def run_embedded(preset, picture, args) -> dict:
    """The embedded mode's figures; its models are freed before this returns."""
    import gc

    from bench.serve_real import PeakRss

    with PeakRss() as peak:
        figures = _embedded(preset, picture, args)
        gc.collect()  # the models went with _embedded's frame
    return {**figures, "peak_rss_mib": round(peak.mib)}


def _embedded(preset, picture, args) -> dict:
    from tools.models import load_models

    models = load_models(preset)
    started = time.perf_counter()
    models.segmenter(), models.ranker("zh"), models.inpainter("zh")  # what the first turn would load
    log(f"embedded: models loaded in {time.perf_counter() - started:.0f} s")
    return measure(lambda seed, turns: embedded_user(models, picture, args, seed, turns), args, "embedded")


def run_served(preset, picture, args) -> tuple[dict, list[int]]:
    """The served mode's figures and the CLIP batch sizes reached; Ray is stopped when this returns."""
    import tempfile

    import httpx
    from ray import serve

    from bench.serve_real import PeakRss
    from server.launch import stop_serving

    app = f"bench{os.getpid()}"
    # the served figure is Ray's processes (gateway, workers, Ray's own), not this client
    with tempfile.TemporaryDirectory() as data, PeakRss(children_only=True) as peak:
        started = time.perf_counter()
        url = start_server(preset, Path(data), app)
        start_seconds = time.perf_counter() - started
        log(f"served: Ray Serve up in {start_seconds:.0f} s at {url}")
        try:
            with httpx.Client(base_url=url, timeout=3600) as client:
                served = measure(lambda seed, turns: served_user(client, picture, args, seed, turns), args, "served")
            batches = [b for name in ("clip_zh", "clip_en") if _deployed(name, app)
                       for b in serve.get_deployment_handle(name, app).stats.remote().result()["batches"]]
        finally:
            stop_serving(started=True, app=app)
    return {**served, "peak_rss_mib": round(peak.mib), "start_seconds": round(start_seconds, 1)}, batches


def _deployed(name: str, app: str) -> bool:
    from ray import serve

    return name in serve.status().applications[app].deployments


def run(args: argparse.Namespace) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("EDIT_EVERYTHING_OFFLINE", "1")
    preset = resolve_preset(args)
    picture = photo(args.size)
    if args.real_size:
        from bench.serve_real import turn_box

        args.box = turn_box(picture.size)
    log(f"embedded: preset {getattr(preset, 'name', preset)}, {args.turns} turns, {args.steps} steps, "
        f"{picture.size[0]}×{picture.size[1]}" + (f", box {args.box}" if args.box else ""))
    embedded = run_embedded(preset, picture, args)
    served, batches = run_served(preset, picture, args)
    return summary(args, getattr(preset, "name", preset), picture.size, embedded, served, batches)


def summary(args, preset: str, size, embedded: dict, served: dict, batches: list[int]) -> dict:
    import torch

    def stats(part):
        latency = part["latency"]
        return {"p50": round(statistics.median(latency), 3), "p95": round(percentile(latency, 0.95), 3),
                "turns_s": [round(t, 3) for t in latency], "throughput": part["throughput"],
                "peak_rss_mib": part["peak_rss_mib"]}

    record = {"preset": preset, "steps": args.steps, "turns": args.turns, "size": list(size),
              "box": list(args.box) if args.box else None, "torch_threads": torch.get_num_threads(),
              "load_average": [round(v, 2) for v in os.getloadavg()], "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "embedded": stats(embedded), "served": {**stats(served), "start_seconds": served["start_seconds"]},
              "turn_details": args.details,
              "clip_batches": {"max": max(batches, default=0), "mean": round(statistics.fmean(batches), 2)
                               if batches else 0, "count": len(batches)}}
    record["overhead"] = round(record["served"]["p50"] / max(record["embedded"]["p50"], 1e-9), 3)
    cpu = {mode: sum(t["cpu_seconds"] for t in turns) for mode, turns in args.details.items()}
    record["cpu_overhead"] = round(cpu["served"] / cpu["embedded"], 3) if cpu["embedded"] > 0 else None
    return record


def table(record: dict) -> str:
    users = record["embedded"]["throughput"]
    rows = ["| mode | p50 s/turn | p95 s/turn | " + " | ".join(f"turns/min, {n} users" for n in users) + " |",
            "|---|---|---|" + "---|" * len(users)]
    for mode in ("embedded", "served"):
        part = record[mode]
        rows.append(f"| {mode} | {part['p50']} | {part['p95']} | "
                    + " | ".join(str(v) for v in part["throughput"].values()) + " |")
    rows.append(f"\nserving overhead (served p50 ÷ embedded p50, one user): {record['overhead']}; CLIP batch "
                f"sizes reached: max {record['clip_batches']['max']}, mean {record['clip_batches']['mean']}; "
                f"CPU seconds served ÷ embedded (all our processes, one user): {record['cpu_overhead']}; "
                f"peak RSS embedded {record['embedded']['peak_rss_mib']} MiB, served "
                f"{record['served']['peak_rss_mib']} MiB (all processes); load average "
                f"{record['load_average']} on {record['cpus']} CPUs")
    return "\n".join(rows)


def main(argv=None) -> int:
    args = parse(argv)
    record = run(args)
    print(table(record))
    args.out.mkdir(parents=True, exist_ok=True)
    kind = "quick" if args.quick else "real" if args.real_size else "full"
    name = f"serve-{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    (args.out / name).write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(json.dumps({"overhead": record["overhead"], "throughput": record["served"]["throughput"],
                      "clip_batch_max": record["clip_batches"]["max"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
