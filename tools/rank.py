"""Rank segments against a text with CLIP: which segment is "猫" / "the red car"?

Each segment's box (plus a margin) is cropped, pixels outside the segment are greyed, the crop is
padded to a square and scored by a CLIP image encoder in batches; the cosine with the source text
is contrasted with the cosine with a "background" text, giving a calibrated score in [0, 1]
(0.5 = as much the source as background). Segments that are tiny or cover nearly the whole frame
are not candidates. The best candidate below the threshold means "not found".
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np
from PIL import Image

from tools.segment import Segment

GREY = (124, 116, 104)  # CLIP's mean colour: greyed pixels carry no signal
BACKGROUND_WORDS = {"背景", "background", "the background", "backdrop", "背景墙"}
TEMPLATES = {"zh": "一张{}的照片", "en": "a photo of a {}"}
BACKGROUND_TEXT = {"zh": "背景", "en": "background"}
OBJECT_TEXT = {"zh": "一个物体", "en": "an object"}


class SegmentScorer(Protocol):
    """Anything that embeds crops and texts into one space (CLIP, cn_clip, a colour scorer in tests)."""

    model_id: str

    def image_features(self, crops: Sequence[Image.Image]) -> np.ndarray:
        """crops: PIL RGB squares → N×D float32, rows L2-normalised."""

    def text_features(self, texts: Sequence[str]) -> np.ndarray:
        """texts → T×D float32, rows L2-normalised."""


@dataclass(frozen=True, eq=False)
class Candidate:
    """A segment (or a union of segments) with its score for the source text; rank 1 is best."""

    segment: Segment
    score: float
    similarity: float = 0.0
    rank: int = 0

    @property
    def mask(self) -> np.ndarray:
        return self.segment.mask

    @property
    def box(self):
        return self.segment.box


@dataclass(frozen=True)
class RankSettings:
    min_area_fraction: float = 0.002
    max_area_fraction: float = 0.9
    not_found_below: float = 0.5
    margin: float = 0.1  # of the box size, added around each crop
    logit_scale: float = 100.0  # CLIP's own temperature
    batch_size: int = 32


@dataclass(frozen=True)
class Ranking:
    """All candidates, best first. `found` is False when the best is below the threshold."""

    source: str
    candidates: list[Candidate]
    found: bool
    threshold: float
    dropped: int = 0  # segments that were too small or too large to be candidates
    is_background: bool = False
    crops_scored: int = field(default=0)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def is_background(source: str) -> bool:
    return source.strip().lower() in BACKGROUND_WORDS


def crop_segment(image: Image.Image, segment: Segment, margin: float = 0.1, size: int = 224) -> Image.Image:
    """The segment's box plus `margin`, outside-the-mask pixels grey, padded to a `size`² square."""
    array = np.asarray(image)
    h, w = array.shape[:2]
    x0, y0, x1, y1 = segment.box
    pad = int(round(margin * max(x1 - x0, y1 - y0))) + 2
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    crop = array[y0:y1, x0:x1].copy()
    crop[~segment.mask[y0:y1, x0:x1]] = GREY
    side = max(crop.shape[0], crop.shape[1])
    square = np.empty((side, side, 3), dtype=np.uint8)
    square[:] = GREY
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    return Image.fromarray(square).resize((size, size), Image.BICUBIC)


def _scores(similarity: np.ndarray, negative: np.ndarray, scale: float) -> np.ndarray:
    """Calibrated P(source rather than negative) per row, from two cosine columns."""
    return 1.0 / (1.0 + np.exp(np.clip(-scale * (similarity - negative), -50.0, 50.0)))


def rank_segments(image: Image.Image, segments: Sequence[Segment], source: str, scorer: SegmentScorer,
                  *, language: str = "en", settings: RankSettings = RankSettings()) -> Ranking:
    """Score every usable segment of `image` (PIL RGB) against `source`; best first.

    The source "背景"/"background" selects the background: everything outside the salient objects.
    """
    if is_background(source):
        return rank_background(image, segments, scorer, language=language, settings=settings)
    usable, dropped = usable_segments(image, segments, settings)
    if not usable:
        return Ranking(source, [], False, settings.not_found_below, dropped)
    texts = [TEMPLATES[language].format(source), BACKGROUND_TEXT[language]]
    similarity = _similarities(image, usable, texts, scorer, settings)
    scores = _scores(similarity[:, 0], similarity[:, 1], settings.logit_scale)
    order = sorted(range(len(usable)), key=lambda i: (-scores[i], -similarity[i, 0]))
    candidates = [Candidate(usable[i], float(scores[i]), float(similarity[i, 0]), rank + 1)
                  for rank, i in enumerate(order)]
    found = candidates[0].score >= settings.not_found_below
    return Ranking(source, candidates, found, settings.not_found_below, dropped, crops_scored=len(usable))


def usable_segments(image: Image.Image, segments: Sequence[Segment],
                    settings: RankSettings) -> tuple[list[Segment], int]:
    """Segments neither tiny nor nearly full-frame, and how many were dropped."""
    frame = image.width * image.height
    usable = [s for s in segments
              if settings.min_area_fraction * frame <= s.area <= settings.max_area_fraction * frame]
    return usable, len(segments) - len(usable)


def _similarities(image: Image.Image, segments: Sequence[Segment], texts: list[str],
                  scorer: SegmentScorer, settings: RankSettings) -> np.ndarray:
    """N×T cosines; crops go through the scorer `settings.batch_size` at a time."""
    text = scorer.text_features(texts)
    rows = []
    for start in range(0, len(segments), settings.batch_size):
        crops = [crop_segment(image, s, settings.margin) for s in segments[start:start + settings.batch_size]]
        rows.append(scorer.image_features(crops))
    return np.concatenate(rows) @ text.T


def rank_background(image: Image.Image, segments: Sequence[Segment], scorer: SegmentScorer,
                    *, language: str, settings: RankSettings) -> Ranking:
    """One candidate: the complement of the salient segments (those more "object" than "background")."""
    source = BACKGROUND_TEXT[language]
    h, w = image.height, image.width
    usable, dropped = usable_segments(image, segments, settings)
    salient = np.zeros((h, w), dtype=bool)
    if usable:
        similarity = _similarities(image, usable, [OBJECT_TEXT[language], BACKGROUND_TEXT[language]],
                                   scorer, settings)
        for segment, (obj, bg) in zip(usable, similarity):
            if obj > bg and segment.area < 0.6 * h * w:
                salient |= segment.mask
    background = ~salient
    if background.sum() < settings.min_area_fraction * h * w:
        return Ranking(source, [], False, settings.not_found_below, dropped, is_background=True)
    candidate = Candidate(Segment.from_mask(background), score=1.0, similarity=1.0, rank=1)
    return Ranking(source, [candidate], True, settings.not_found_below, dropped, is_background=True,
                   crops_scored=len(usable))


def crop_key(crop: Image.Image) -> bytes:
    """A content digest of a PIL image: equal pixels, equal key."""
    digest = hashlib.blake2b(f"{crop.mode}{crop.size}".encode(), digest_size=16)
    digest.update(crop.tobytes())
    return digest.digest()


def _normalised(features) -> np.ndarray:
    features = features.float()
    features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    return features.cpu().numpy().astype(np.float32)


class ClipScorer:
    """openai/transformers CLIP (English). Text features are cached per text, image features per
    crop content (a segment untouched by the last edit is not encoded again on the next turn)."""

    cache_size = 4096  # crops; 4096 × 768 floats ≈ 12 MB

    def __init__(self, model, processor, *, model_id: str = ""):
        self.model, self.processor, self.model_id = model, processor, model_id
        self._texts: dict[str, np.ndarray] = {}
        self._crops: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._crops_lock = threading.Lock()
        self.crops_encoded = 0

    @property
    def device(self):
        return next(self.model.parameters()).device

    def image_features(self, crops: Sequence[Image.Image]) -> np.ndarray:
        """crops: PIL RGB → N×D, rows L2-normalised; crops seen before come from the cache."""
        keys = [crop_key(crop) for crop in crops]
        with self._crops_lock:
            known = {k: self._crops[k] for k in keys if k in self._crops}
        unseen: dict[bytes, Image.Image] = {}
        for key, crop in zip(keys, crops):
            if key not in known:
                unseen.setdefault(key, crop)
        if unseen:
            features = self._encode_images(list(unseen.values()))
            self.crops_encoded += len(unseen)
            with self._crops_lock:
                for key, row in zip(unseen, features):
                    known[key] = self._crops[key] = row
                while len(self._crops) > self.cache_size:
                    self._crops.popitem(last=False)
        return np.stack([known[k] for k in keys])

    def _encode_images(self, crops: Sequence[Image.Image]) -> np.ndarray:
        import torch

        pixels = self.processor(images=list(crops), return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            out = self.model.get_image_features(pixel_values=pixels.to(self.device, self.model.dtype))
        return _normalised(getattr(out, "pooler_output", out))

    def text_features(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            tokens = self.processor(text=missing, return_tensors="pt", padding=True, truncation=True)
            with torch.inference_mode():
                out = self.model.get_text_features(input_ids=tokens["input_ids"].to(self.device),
                                                   attention_mask=tokens["attention_mask"].to(self.device))
            for text, row in zip(missing, _normalised(getattr(out, "pooler_output", out))):
                self._texts[text] = row
        return np.stack([self._texts[t] for t in texts])


class CnClipScorer(ClipScorer):
    """Chinese-CLIP (cn_clip). `transform` is cn_clip's image transform for its resolution."""

    def __init__(self, model, transform, *, model_id: str = ""):
        super().__init__(model, None, model_id=model_id)
        self.transform = transform

    def _encode_images(self, crops: Sequence[Image.Image]) -> np.ndarray:
        import torch

        pixels = torch.stack([self.transform(c) for c in crops]).to(self.device)
        with torch.inference_mode():
            features = self.model.encode_image(pixels)
        return _normalised(features)

    def text_features(self, texts: Sequence[str]) -> np.ndarray:
        import torch
        from cn_clip.clip import tokenize

        missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            with torch.inference_mode():
                features = self.model.encode_text(tokenize(missing).to(self.device))
            for text, row in zip(missing, _normalised(features)):
                self._texts[text] = row
        return np.stack([self._texts[t] for t in texts])
