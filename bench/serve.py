"""python -m bench.serve [--quick] [--steps N] [--turns N] [--users 1,4,8] [--size PX] [--out DIR]

The same chat turns embedded (models in this process) and served (the HTTP API over a local Ray Serve
started here), side by side in one run: per-turn latency p50/p95 for one user, throughput (turns per
minute) with 1, 4 and 8 concurrent sessions, the CLIP batch sizes reached, and the serving overhead
(served ÷ embedded, one user). Prints a table and a last line of JSON; writes the JSON under --out.
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
    parser.add_argument("--preset", default="tiny", help="the models (tiny: random weights, offline)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--turns", type=int, default=3, help=f"turns per session (at most {len(TURNS)})")
    parser.add_argument("--users", default="1,4,8", help="concurrent sessions to measure")
    parser.add_argument("--size", type=int, default=320, help="the photo's long side in pixels")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.turns, args.users, args.size = 1, 2, "1,2", 160
    args.users = [int(u) for u in args.users.split(",")]
    args.turns = max(1, min(args.turns, len(TURNS)))
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


def embedded_user(models, picture, args, seed: int) -> list[float]:
    from agent.editor import Editor, EditSettings
    from agent.session import Session

    session = Session(picture, Editor(models, EditSettings(steps=args.steps, seed=seed)))
    times = []
    for turn in TURNS[:args.turns]:
        start = time.perf_counter()
        reply = session.send(turn)
        times.append(time.perf_counter() - start)
        if reply.error not in (None, "not_found"):
            raise RuntimeError(f"embedded turn failed: {reply.text}")
    return times


def served_user(client, picture, args, seed: int) -> list[float]:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    answer = client.post("/v1/sessions", files={"image": ("photo.png", buffer.getvalue(), "image/png")},
                         data={"steps": str(args.steps), "seed": str(seed)})
    answer.raise_for_status()
    session_id, times = answer.json()["id"], []
    for turn in TURNS[:args.turns]:
        start = time.perf_counter()
        reply = client.post(f"/v1/sessions/{session_id}/messages", json={"text": turn})
        times.append(time.perf_counter() - start)
        if reply.status_code != 200:
            raise RuntimeError(f"served turn failed: {reply.status_code} {reply.text}")
    return times


def measure(user, users: list[int]) -> dict:
    """{"latency": [one user's turn seconds], "throughput": {n: turns per minute with n users}}."""
    user(0)  # warm-up: models loaded, first-call costs paid
    latency = user(1)
    throughput = {}
    for count in users:
        start = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            done = [t for times in pool.map(user, range(100, 100 + count)) for t in times]
        throughput[count] = round(60 * len(done) / (time.perf_counter() - start), 2)
    return {"latency": latency, "throughput": throughput}


def start_server(args, data: Path):
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
    config = load_config(None, torch_threads=torch.get_num_threads())
    serve.run(build_app(preset=args.preset, config=config, data_dir=data), name="bench", route_prefix="/")
    return f"http://127.0.0.1:{port}"


def run(args: argparse.Namespace) -> dict:
    import tempfile

    import httpx
    from ray import serve

    from tools.models import load_models

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    picture = photo(args.size)
    log(f"embedded: preset {args.preset}, {args.turns} turns, {args.steps} steps, {picture.size[0]}×{picture.size[1]}")
    models = load_models(args.preset)
    embedded = measure(lambda seed: embedded_user(models, picture, args, seed), args.users)
    with tempfile.TemporaryDirectory() as data:
        started = time.perf_counter()
        url = start_server(args, Path(data))
        log(f"served: Ray Serve up in {time.perf_counter() - started:.0f} s at {url}")
        try:
            with httpx.Client(base_url=url, timeout=600) as client:
                served = measure(lambda seed: served_user(client, picture, args, seed), args.users)
            batches = [b for name in ("clip_zh", "clip_en")
                       for b in serve.get_deployment_handle(name, "bench").stats.remote().result()["batches"]]
        finally:
            from server.launch import stop_serving

            stop_serving(started=True, app="bench")
    return summary(args, picture.size, embedded, served, batches)


def summary(args, size, embedded: dict, served: dict, batches: list[int]) -> dict:
    def stats(latency):
        return {"p50": round(statistics.median(latency), 3), "p95": round(percentile(latency, 0.95), 3)}

    record = {"preset": args.preset, "steps": args.steps, "turns": args.turns, "size": list(size),
              "embedded": {**stats(embedded["latency"]), "throughput": embedded["throughput"]},
              "served": {**stats(served["latency"]), "throughput": served["throughput"]},
              "clip_batches": {"max": max(batches, default=0), "mean": round(statistics.fmean(batches), 2)
                               if batches else 0, "count": len(batches)}}
    record["overhead"] = round(record["served"]["p50"] / max(record["embedded"]["p50"], 1e-9), 3)
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
                f"sizes reached: max {record['clip_batches']['max']}, mean {record['clip_batches']['mean']}")
    return "\n".join(rows)


def main(argv=None) -> int:
    args = parse(argv)
    record = run(args)
    print(table(record))
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"serve-{'quick' if args.quick else 'full'}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    (args.out / name).write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(json.dumps({"overhead": record["overhead"], "throughput": record["served"]["throughput"],
                      "clip_batch_max": record["clip_batches"]["max"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
