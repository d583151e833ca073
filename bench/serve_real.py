"""bench.serve's real-size mode: the models `python -m bench` builds (SAM ViT-B, CLIP ViT-B-16, an
SD-1.5-size inpainting pipeline, all random weights), saved once in their real on-disk formats (SAM's
state dict `.pth`, transformers' and diffusers' `save_pretrained` folders) and loaded by the product's
own loaders through the "en" preset pointed at them — so the embedded process and the Ray Serve
workers (separate processes) load the same files the same way.

    sources = ensure_models(folder)      # built in a child process the first time, reused after
    preset = real_preset(sources)        # a tools.presets.Preset: pass it to load_models / build_app
    with PeakRss() as peak: ...          # peak.mib: the highest RSS of this process and its children

Random-weight SAM and CLIP find nothing meaningful from words, so each real-size turn names its region
with a box (`turn_box`), as a user's dragged box does: SAM's encoder and decoder and SD run every turn.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

# the box every real-size turn drags, as fractions of the photo (the cat's head and chest in chelsea)
BOX = (0.25, 0.1, 0.75, 0.85)


def default_folder() -> Path:
    """Where the random models are kept between runs: <model cache>/bench-real-random."""
    from tools.presets import cache_dir

    return cache_dir() / "bench-real-random"


def build(folder: Path) -> dict[str, str]:
    """Save SAM ViT-B, CLIP ViT-B-16 (model + processor) and the SD-1.5-size pipeline (random weights,
    seed 0) under `folder`; their sources by component, also written to `folder`/sources.json."""
    import torch

    from bench.real_models import _clip, _sam, _sd

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    sources = {"sam": str(folder / "sam_vit_b_random.pth"), "clip_en": str(folder / "clip_en"),
               "sd_en": str(folder / "sd_en")}
    torch.save(_sam("vit_b").state_dict(), sources["sam"])
    model, processor = _clip("ViT-B-16", folder / "_tok" / "clip")
    model.save_pretrained(sources["clip_en"])
    processor.save_pretrained(sources["clip_en"])
    del model
    _sd(folder / "_tok" / "sd").save_pretrained(sources["sd_en"])
    (folder / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    return sources


def ensure_models(folder: Path) -> dict[str, str]:
    """The saved models' sources; built first (in a child process, so this one never holds the
    builder's copy) when `folder` has none."""
    if not (folder / "sources.json").is_file():
        print(f"building the real-size models (random weights) in {folder} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "bench.serve_real", "--dir", str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
    return json.loads((folder / "sources.json").read_text(encoding="utf-8"))


def real_preset(sources: dict[str, str]):
    """The real "en" preset (work size 512, SAM's real generator settings) over `sources`, SAM ViT-B,
    and no "not found" threshold (random CLIP scores mean nothing)."""
    from tools.presets import get_preset

    return replace(get_preset("en", sources), name="real-random", sam_variant="vit_b", not_found_below=0.0)


def turn_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """`BOX` in pixels of a `size` (width, height) photo: (x0, y0, x1, y1)."""
    width, height = size
    return (round(BOX[0] * width), round(BOX[1] * height), round(BOX[2] * width), round(BOX[3] * height))


class PeakRss:
    """Samples the summed RSS of this process (unless `children_only`) and all its descendants (Ray's
    workers included) every `every_s` seconds while active; `mib` is the highest sum seen."""

    def __init__(self, every_s: float = 1.0, *, children_only: bool = False):
        self.every_s, self.mib, self.children_only = every_s, 0.0, children_only
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> float:
        import psutil

        me = psutil.Process()
        total = 0
        for process in ([] if self.children_only else [me]) + me.children(recursive=True):
            try:
                total += process.memory_info().rss
            except psutil.Error:  # gone between listing and reading
                pass
        self.mib = max(self.mib, total / 2**20)
        return total / 2**20

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def __enter__(self) -> "PeakRss":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_real",
                                     description="Build and save bench.serve's real-size random models.")
    parser.add_argument("--dir", type=Path, default=None, help="where to save them (<model cache>/bench-real-random)")
    folder = parser.parse_args(argv).dir or default_folder()
    build(folder)
    print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
