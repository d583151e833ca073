"""python -m bench.memory [--steps N] [--dir DIR]: peak memory of the zh preset at real size.

Builds the zh preset's real-size architectures with random weights — SAM ViT-H, Chinese-CLIP
ViT-L-14 (with its RoBERTa-wwm-ext-base text tower), a Taiyi-shaped SD (SD-1.4's 4-channel UNet,
the SD VAE, a 12-layer BERT text encoder) — saves them in their real on-disk formats (in a child
process, so building costs nothing here), then loads them through the product's own loaders
(`load_models` with the zh preset pointed at them) and runs one chat turn, 把咖啡换成绿茶, on the
1024×768 photo. Prints the peak and resident RSS after loading and after the turn, and writes a
JSON record.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CN_CLIP = {"vision_model_name": "ViT-L-14", "text_model_name": "RoBERTa-wwm-ext-base-chinese",
           "input_resolution": 224}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(folder: Path) -> dict[str, str]:
    """Save the zh preset's components (random weights) under `folder`; their sources by component."""
    import torch
    from cn_clip.clip.utils import create_model
    from segment_anything import sam_model_registry

    from bench.real_models import _sd
    from tools.models import quiet_stdout

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    sources = {"sam": str(folder / "sam_vit_h_random.pth"), "clip_zh": str(folder / "clip_zh"),
               "sd_zh": str(folder / "sd_zh")}
    torch.save(sam_model_registry["vit_h"](checkpoint=None).state_dict(), sources["sam"])
    Path(sources["clip_zh"]).mkdir(exist_ok=True)
    with quiet_stdout():
        clip = create_model(f"{CN_CLIP['vision_model_name']}@{CN_CLIP['text_model_name']}")
    torch.save({"state_dict": clip.state_dict()}, Path(sources["clip_zh"]) / "clip_cn_vit-l-14_random.pt")
    (Path(sources["clip_zh"]) / "config.json").write_text(json.dumps(CN_CLIP), encoding="utf-8")
    del clip
    _sd(folder / "_tok", chinese=True).save_pretrained(sources["sd_zh"])
    (folder / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    return sources


def measure(sources: dict[str, str], steps: int) -> dict:
    """Load the zh preset from `sources` with the product's loaders and run one turn."""
    from agent.editor import Editor, EditSettings
    from bench.probes import RealisticSegments, realistic_generation
    from bench.report import current_rss_mib
    from bench.workload import photo
    from tools.models import load_models
    from tools.presets import get_preset

    # random CLIP scores mean nothing: no "not found", so the turn always reaches SD
    preset = replace(get_preset("zh", sources), not_found_below=0.0)
    models = load_models(preset, device="cpu")
    start = time.perf_counter()
    segmenter, ranker, inpainter = models.segmenter(), models.ranker("zh"), models.inpainter("zh")
    loaded = {"seconds": time.perf_counter() - start, "peak_rss_mib": peak_rss_mib(), "rss_mib": current_rss_mib()}
    image = photo(1024, 768)
    start = time.perf_counter()
    realistic = RealisticSegments(segmenter.sam)
    realistic.also_replace(segmenter.mask_decoder)
    with realistic_generation(realistic):
        result = Editor(models, EditSettings(steps=steps)).edit(image, source="咖啡", target="绿茶", language="zh")
    return {
        "preset": "zh", "device": models.device, "precision": str(models.dtype).removeprefix("torch."),
        "models": {"sam": "SAM ViT-H", "clip_zh": "Chinese-CLIP ViT-L-14 + RoBERTa-wwm-ext-base",
                   "sd_zh": "Taiyi-shaped SD (4-channel UNet, VAE, BERT-base text encoder)"},
        "parameters": {"sam": _count(segmenter.sam), "clip_zh": _count(ranker.model),
                       "sd_zh": sum(_count(m) for m in (inpainter.pipe.unet, inpainter.pipe.vae,
                                                          inpainter.pipe.text_encoder))},
        "photo": f"{image.width}×{image.height}", "steps": steps, "loaded": loaded,
        "turn": {"seconds": time.perf_counter() - start, "timings": result.timings,
                 "segments": len(segmenter.all_segments(image)), "sd_window": list(result.window)},
        "peak_rss_mib": peak_rss_mib(), "rss_after_turn_mib": current_rss_mib(),
    }


def _count(module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[1])
    parser.add_argument("--steps", type=int, default=2, help="inference steps of the turn (2)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where the random models are saved (a temp dir); reused when already built there")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("EDIT_EVERYTHING_OFFLINE", "1")
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-zh-"))
    if args.build_only:
        build(folder)
        return 0
    if not (folder / "sources.json").is_file():
        print(f"building the zh preset's models (random weights) in {folder} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "bench.memory", "--build-only", "--dir", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    sources = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
    record = measure(sources, args.steps)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"memory-zh-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in record["turn"]["timings"].items())
    print(f"zh preset at real size ({record['precision']} on {record['device']}): "
          f"loading {record['loaded']['seconds']:.1f} s, "
          f"peak RSS while loading {record['loaded']['peak_rss_mib']:.0f} MiB, resident after loading "
          f"{record['loaded']['rss_mib']:.0f} MiB; one turn ({timings}; {record['turn']['segments']} segments) → "
          f"peak RSS {record['peak_rss_mib']:.0f} MiB, resident after the turn {record['rss_after_turn_mib']:.0f} MiB")
    print(f"record: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
