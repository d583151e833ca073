"""The model-free and the move stages beside the chat turns: an adjustment of a 12-megapixel photo
(4000×3000, PIL/NumPy only) and a move of one object at the benchmark's size (SD fills the hole and
blends the seam through the same random-weight real-size pipeline the turns use).
"""
from __future__ import annotations

import time

ADJUST_SIZE = (4000, 3000)


def adjustment_seconds() -> dict:
    """Seconds of a whole-picture brighten and of a region blur (a quarter of the frame) on a
    4000×3000 photo, and the photo's megapixels."""
    import numpy as np

    from bench.workload import photo
    from tools.adjust import adjust

    image = photo(*ADJUST_SIZE)
    start = time.perf_counter()
    adjust(image, kind="brightness", amount=0.5)
    whole = time.perf_counter() - start
    mask = np.zeros((image.height, image.width), dtype=bool)
    mask[image.height // 4:3 * image.height // 4, image.width // 4:3 * image.width // 4] = True
    start = time.perf_counter()
    adjust(image, kind="sharpness", amount=-1.0, mask=mask)
    region = time.perf_counter() - start
    megapixels = image.width * image.height / 1e6
    return {"size": list(image.size), "megapixels": megapixels, "whole_brighten_seconds": whole,
            "region_blur_seconds": region, "ms_per_megapixel": 1000 * whole / megapixels}


def move_seconds(ours, image, anchor: tuple[float, float]) -> dict | None:
    """Seconds of moving the smallest segment under `anchor` (fractions of the frame) of `image` to the
    left, through the product's Editor (hole filled by SD, seam blended), per stage."""
    from agent.editor import Editor
    from agent.parse import EditCommand
    from agent.step import StepResult
    from bench.workload import pick
    from tools.masks import resize_mask
    from tools.regions import RegionPrompt

    segments, _ = ours.editor.segments(image, settings=ours.settings)
    work = segments[0].mask.shape if segments else (image.height, image.width)
    point = (int(anchor[0] * work[1]), int(anchor[1] * work[0]))
    chosen = pick([s.mask for s in segments], point)
    if chosen is None:
        return None
    mask = resize_mask(segments[chosen].mask, image.size)
    editor = Editor(ours.models, ours.settings)  # the turns' settings (steps) as the editor's own
    command = EditCommand(action="move", source="spoon", to="left", language="en")
    start = time.perf_counter()
    outcome = editor.run(command, image, region=RegionPrompt("mask", mask), interactive=False)
    total = time.perf_counter() - start
    if not isinstance(outcome, StepResult):
        return None
    timings = outcome.step.timings
    return {"size": list(image.size), "object_pixels": int(mask.sum()), "total_seconds": total,
            "fill_seconds": timings.get("fill", 0.0), "blend_seconds": timings.get("blend", 0.0),
            "changed_pixels": int(outcome.step.changed.sum())}


def summary_lines(record: dict) -> list[str]:
    """The report's lines for the adjustment and the move."""
    lines = []
    adjust = record.get("adjust")
    if adjust:
        lines.append(f"adjust (PIL/NumPy, no model) on a {adjust['size'][0]}×{adjust['size'][1]} photo: brighten "
                     f"{adjust['whole_brighten_seconds']:.3f} s ({adjust['ms_per_megapixel']:.0f} ms per megapixel), "
                     f"region blur {adjust['region_blur_seconds']:.3f} s")
    move = record.get("move")
    if move:
        size = f"{move['size'][0]}×{move['size'][1]}"
        lines.append(f"move one object ({move['object_pixels']} px) to the left at {size}: "
                     f"{move['total_seconds']:.2f} s (fill {move['fill_seconds']:.2f} s, seam blend "
                     f"{move['blend_seconds']:.2f} s)")
    return lines
