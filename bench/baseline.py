"""The seed-style baseline: what the original approach does on every turn.

- SAM automatic mask generation from scratch (a new generator, a new image embedding) every turn;
- CLIP run on one segment crop at a time, text encoded anew each turn;
- the whole image resized to a fixed 512×512 for SD inpainting, and the result resized back.

It shares the models, the SAM generator settings, the crop preparation, the prompts, the steps and
the scheduler with `ours`, so the two modes do comparable work per forward pass.
"""
from __future__ import annotations

import time

import numpy as np
from PIL import Image

from bench.workload import Turn, pick
from tools.inpaint import NEGATIVE, REMOVE_PROMPT
from tools.rank import BACKGROUND_TEXT, TEMPLATES, crop_segment
from tools.segment import AutoSettings, Segment

SEED_SIZE = 512


class SeedStyle:
    def __init__(self, components, auto: AutoSettings, *, steps: int, size: int = SEED_SIZE,
                 guidance: float = 7.5, seed: int = 0):
        self.c = components
        self.auto = auto
        self.steps = steps
        self.size = size
        self.guidance = guidance
        self.seed = seed

    def turn(self, image: Image.Image, turn: Turn) -> tuple[Image.Image, dict]:
        """One turn on `image` (PIL RGB); returns the new image and this turn's facts and timings."""
        import torch

        timings: dict[str, float] = {}
        started = time.perf_counter()
        with torch.inference_mode():
            start = time.perf_counter()
            segments = self.segments(image)
            timings["segment"] = time.perf_counter() - start

            start = time.perf_counter()
            scores = self.scores(image, segments, turn.source)
            chosen = pick([s.mask for s in segments], turn.point(image.width, image.height))
            timings["rank"] = time.perf_counter() - start
            if chosen is None:
                raise RuntimeError(f"seed-style: no segment under the anchor of '{turn.source}'")

            start = time.perf_counter()
            generated = self.inpaint(image, segments[chosen].mask, turn)
            timings["inpaint"] = time.perf_counter() - start

            start = time.perf_counter()
            # the seed returns the resized-back image; a trained SD keeps the unmasked pixels close to
            # the input, random weights do not: keep the photo outside the mask (so the next turn's
            # segments stay realistic) — one composite, negligible next to the resize
            back = generated.resize(image.size, Image.LANCZOS)
            result = Image.composite(back, image, Image.fromarray(segments[chosen].mask.astype(np.uint8) * 255))
            timings["paste"] = time.perf_counter() - start
        timings["total"] = time.perf_counter() - started
        timings["other"] = max(0.0, timings["total"] - sum(timings[k] for k in ("segment", "rank", "inpaint", "paste")))
        facts = {"segments": len(segments), "crops_scored": len(scores), "chosen_box": list(segments[chosen].box),
                 "chosen_area": segments[chosen].area, "sd_size": [self.size, self.size]}
        return result, {"timings": timings, **facts}

    def segments(self, image: Image.Image) -> list[Segment]:
        from segment_anything import SamAutomaticMaskGenerator

        generator = SamAutomaticMaskGenerator(
            self.c.sam, points_per_side=self.auto.points_per_side, points_per_batch=self.auto.points_per_batch,
            pred_iou_thresh=self.auto.pred_iou_thresh, stability_score_thresh=self.auto.stability_score_thresh,
            min_mask_region_area=self.auto.min_mask_region_area)
        records = generator.generate(np.asarray(image))
        segments = [Segment.from_mask(r["segmentation"], r["predicted_iou"], r["stability_score"]) for r in records]
        return [s for s in segments if s.area > 0]

    def scores(self, image: Image.Image, segments: list[Segment], source: str) -> list[float]:
        """CLIP similarity of each segment crop to the source text, one crop at a time."""
        model, processor = self.c.clip_model, self.c.clip_processor
        tokens = processor(text=[TEMPLATES["en"].format(source), BACKGROUND_TEXT["en"]], return_tensors="pt",
                           padding=True)
        text = _features(model.get_text_features(input_ids=tokens["input_ids"],
                                                 attention_mask=tokens["attention_mask"]))
        scores = []
        for segment in segments:
            pixels = processor(images=[crop_segment(image, segment)], return_tensors="pt")["pixel_values"]
            features = _features(model.get_image_features(pixel_values=pixels))
            similarity = features @ text.T
            scores.append(float(similarity[0, 0] - similarity[0, 1]))
        return scores

    def inpaint(self, image: Image.Image, mask: np.ndarray, turn: Turn) -> Image.Image:
        import torch

        pipe = self.c.pipe
        small = image.resize((self.size, self.size), Image.LANCZOS)
        small_mask = Image.fromarray(mask.astype(np.uint8) * 255).resize((self.size, self.size), Image.NEAREST)
        if turn.remove:
            prompt, negative = REMOVE_PROMPT["en"], f"{turn.source}, {NEGATIVE['en']}"
        else:
            prompt, negative = turn.target, NEGATIVE["en"]
        out = pipe(prompt=prompt, negative_prompt=negative, image=small, mask_image=small_mask,
                   width=self.size, height=self.size, num_inference_steps=self.steps,
                   guidance_scale=self.guidance, generator=torch.Generator("cpu").manual_seed(self.seed),
                   strength=1.0)
        return out.images[0].convert("RGB")


def _features(output) -> np.ndarray:
    features = getattr(output, "pooler_output", output).float()
    return (features / features.norm(dim=-1, keepdim=True).clamp_min(1e-8)).numpy()
