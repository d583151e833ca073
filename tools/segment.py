"""Segments of an image with SAM: all of them (automatic mask generation) or one from a point/box.

The SAM image embedding — the expensive part — is computed once per image content and shared by
the automatic generator and the point/box predictor (`Segmenter.encoder_calls` counts real encodes).
"""
from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tools import amg
from tools.errors import BadInputError
from tools.regions import check_box, check_point

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels; x1/y1 exclusive


@dataclass(frozen=True, eq=False)
class Segment:
    """One region of an image. `mask`: bool HxW; `box`: tight (x0, y0, x1, y1), x1/y1 exclusive."""

    mask: np.ndarray
    box: Box
    area: int
    predicted_iou: float = 1.0
    stability: float = 1.0

    @classmethod
    def from_mask(cls, mask: np.ndarray, predicted_iou: float = 1.0, stability: float = 1.0) -> "Segment":
        mask = np.asarray(mask, dtype=bool)
        ys, xs = np.nonzero(mask)
        box = (0, 0, 0, 0) if len(xs) == 0 else (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        return cls(mask=mask, box=box, area=int(mask.sum()), predicted_iou=float(predicted_iou),
                   stability=float(stability))

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape  # (H, W)

    @property
    def centre(self) -> tuple[float, float]:
        """(x, y) of the mask's centre of mass."""
        ys, xs = np.nonzero(self.mask)
        return (float(xs.mean()), float(ys.mean())) if len(xs) else (0.0, 0.0)


@dataclass(frozen=True)
class AutoSettings:
    """SAM automatic mask generation settings (see segment_anything.SamAutomaticMaskGenerator)."""

    points_per_side: int = 32
    pred_iou_thresh: float = 0.86
    stability_score_thresh: float = 0.92
    min_mask_region_area: int = 100
    points_per_batch: int = 64


def image_key(image: np.ndarray) -> str:
    """A content digest of an HxWx3 uint8 image: equal pixels, equal key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(image.shape).encode())
    digest.update(np.ascontiguousarray(image).data)
    return digest.hexdigest()


def as_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """PIL RGB or HxWx3 uint8 → HxWx3 uint8 array."""
    array = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise BadInputError(f"Expected an RGB image (HxWx3 uint8), got shape {array.shape} {array.dtype}.",
                            zh="需要 RGB 图像。")
    return array


class Segmenter:
    """SAM behind one lock, with embeddings and automatic segments cached per image content.

    sam: a `segment_anything.modeling.Sam` (any size), already on its device. `dtype`: what its
    forward passes compute in (autocast; None or float32 = as loaded), e.g. torch.bfloat16 on a CPU
    with native bf16.
    """

    def __init__(self, sam, *, model_id: str = "", auto: AutoSettings = AutoSettings(), cache_size: int = 4,
                 dtype=None):
        from segment_anything import SamPredictor

        from tools.sam_decoder import SharedImageMaskDecoder

        segmenter = self

        class CachingPredictor(SamPredictor):
            def set_image(self, image: np.ndarray, image_format: str = "RGB") -> None:
                key = image_key(image)
                cached = segmenter._embeddings.get(key)
                if cached is not None:
                    segmenter._embeddings.move_to_end(key)
                    self.reset_image()
                    self.features, self.original_size, self.input_size = cached
                    self.is_image_set = True
                    return
                super().set_image(image, image_format)
                segmenter.encoder_calls += 1
                segmenter._embeddings[key] = (self.features, self.original_size, self.input_size)
                while len(segmenter._embeddings) > cache_size:
                    segmenter._embeddings.popitem(last=False)

        self.sam = sam
        self.mask_decoder = SharedImageMaskDecoder(sam.mask_decoder)  # for the generator's many prompts
        self.model_id = model_id
        self.dtype = dtype
        self.auto = auto
        self.encoder_calls = 0
        self._embeddings: OrderedDict[str, tuple] = OrderedDict()
        self._segments: OrderedDict[tuple, list[Segment]] = OrderedDict()
        self._carried: set[tuple] = set()
        self._cache_size = cache_size
        self._predictor = CachingPredictor(sam)
        self._lock = threading.RLock()

    def _precision(self):
        """The context SAM's forward passes run in: inference mode, autocast to `dtype` if set."""
        import torch

        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        if self.dtype is not None and self.dtype != torch.float32:
            device = next(self.sam.parameters()).device.type
            stack.enter_context(torch.autocast(device, dtype=self.dtype))
        return stack

    def all_segments(self, image: Image.Image | np.ndarray, points_per_side: int | None = None, *,
                     fresh: bool = False) -> list[Segment]:
        """Every segment SAM's automatic generator finds, largest first; cached per image content.

        Segments carried over from an earlier version (see `carry_over`) are returned as they are
        unless `fresh`, which runs the generator on this image.
        """
        array = as_array(image)
        settings = self.auto
        points = points_per_side or settings.points_per_side
        key = (image_key(array), points)
        with self._lock:
            if key in self._segments and not (fresh and key in self._carried):
                self._segments.move_to_end(key)
                return self._segments[key]
            self._carried.discard(key)
            generated = amg.generate_masks(
                self._predictor, array, points_per_side=points, points_per_batch=settings.points_per_batch,
                pred_iou_thresh=settings.pred_iou_thresh, stability_score_thresh=settings.stability_score_thresh,
                min_mask_region_area=settings.min_mask_region_area, precision=self._precision,
                decoder=self.mask_decoder)
            segments = [Segment.from_mask(g.mask, g.predicted_iou, g.stability) for g in generated]
            segments = [s for s in segments if s.area > 0]
            segments.sort(key=lambda s: -s.area)
            self._remember(key, segments)
            return segments

    def _remember(self, key: tuple, segments: list[Segment]) -> None:
        self._segments[key] = segments
        while len(self._segments) > self._cache_size:
            dropped, _ = self._segments.popitem(last=False)
            self._carried.discard(dropped)

    def carry_over(self, before: Image.Image | np.ndarray, after: Image.Image | np.ndarray,
                   changed: np.ndarray, edited: np.ndarray | None = None,
                   points_per_side: int | None = None) -> bool:
        """Reuse `before`'s segments for `after`, an edit of it that changed only `changed` (bool HxW).

        Segments touching the change are dropped; `edited` (bool HxW, the new thing) joins as a
        segment. Returns False (nothing carried) when `before` had no segments cached.
        """
        points = points_per_side or self.auto.points_per_side
        old_key = (image_key(as_array(before)), points)
        new_key = (image_key(as_array(after)), points)
        with self._lock:
            if old_key not in self._segments or new_key in self._segments:
                return False
            kept = [s for s in self._segments[old_key] if not (s.mask & changed).any()]
            if edited is not None and edited.any():
                kept.append(Segment.from_mask(edited))
            kept.sort(key=lambda s: -s.area)
            self._remember(new_key, kept)
            self._carried.add(new_key)
            return True

    def is_carried(self, image: Image.Image | np.ndarray, points_per_side: int | None = None) -> bool:
        """True when `image`'s cached segments were carried over rather than generated for it."""
        return (image_key(as_array(image)), points_per_side or self.auto.points_per_side) in self._carried

    def segment_point(self, image: Image.Image | np.ndarray, point: tuple[float, float]) -> Segment:
        """The segment under `point` (x, y in pixels, on the picture): SAM's best of three multimask outputs."""
        array = as_array(image)
        h, w = array.shape[:2]
        x, y = check_point(point, size=(w, h))
        return self._predict(array, point_coords=np.array([[x, y]], dtype=np.float32),
                             point_labels=np.array([1]), multimask_output=True)

    def segment_box(self, image: Image.Image | np.ndarray, box: tuple[float, float, float, float]) -> Segment:
        """The object inside `box` (x0, y0, x1, y1 in pixels; x1 > x0, y1 > y0; clipped to the picture)."""
        array = as_array(image)
        h, w = array.shape[:2]
        x0, y0, x1, y1 = check_box(box, size=(w, h))  # finite, in order, clipped to the picture
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise BadInputError(f"The box {tuple(box)} does not cover a part of the {w}×{h} image.",
                                zh=f"框 {tuple(box)} 没有框住图片（{w}×{h}）的任何部分。")
        return self._predict(array, box=np.array([x0, y0, x1, y1], dtype=np.float32), multimask_output=False)

    def _predict(self, array: np.ndarray, point_coords: np.ndarray | None = None,
                 point_labels: np.ndarray | None = None, box: np.ndarray | None = None,
                 multimask_output: bool = True) -> Segment:
        """SAM's best mask for a point (coords N×2, labels N) or a box (4,) prompt on `array`."""
        import torch

        predictor = self._predictor
        size = array.shape[:2]
        coords = labels = boxes = None
        with self._lock, self._precision():
            predictor.set_image(array)
            if point_coords is not None:
                coords = torch.as_tensor(predictor.transform.apply_coords(point_coords, size),
                                         dtype=torch.float32, device=predictor.device)[None]
                labels = torch.as_tensor(point_labels, dtype=torch.int, device=predictor.device)[None]
            if box is not None:
                boxes = torch.as_tensor(predictor.transform.apply_boxes(box[None], size),
                                        dtype=torch.float32, device=predictor.device)
            logits, scores, _ = predictor.predict_torch(coords, labels, boxes, multimask_output=multimask_output,
                                                        return_logits=True)
        masks = (logits[0].float() > self.sam.mask_threshold).cpu().numpy()  # bf16 has no numpy dtype
        scores = scores[0].float().cpu().numpy()
        best = int(np.argmax(scores))
        return Segment.from_mask(masks[best], predicted_iou=float(scores[best]))
