"""SAM's automatic mask generation, filtering on SAM's own 256-px mask logits before upsampling.

`segment_anything.SamAutomaticMaskGenerator` upsamples every one of the 3 × points² predicted
masks to the full image before it filters them (predicted IoU, stability) and removes duplicates
(box NMS): on a CPU that post-processing of ~3000 full-size logit maps costs as much as a third of
the mask decoder itself. Here the same steps run on the decoder's low-resolution logits, and only
the masks that survive (typically 60–150) are upsampled — with SAM's own `postprocess_masks` — and
checked again at full size with SAM's thresholds, NMS and small-region clean-up. The result matches
SAM's generator up to the few masks whose stability or box overlap sits right at a threshold.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GeneratedMask:
    """One automatic mask: `mask` bool HxW (the input image's size)."""

    mask: np.ndarray
    predicted_iou: float
    stability: float


def point_grid(points_per_side: int, width: int, height: int) -> np.ndarray:
    """SAM's point grid: points_per_side² (x, y) pixel centres, float N×2."""
    from segment_anything.utils.amg import build_point_grid

    return build_point_grid(points_per_side) * np.array([[width, height]])

@dataclass(frozen=True)
class _Filters:
    """SAM's automatic-generator thresholds (see `generate_masks`)."""

    pred_iou_thresh: float
    stability_score_thresh: float
    stability_score_offset: float
    box_nms_thresh: float
    min_mask_region_area: int


@dataclass(frozen=True)
class _Frame:
    """An image set on the predictor: its size, the valid part of the 256-px logits, and the scale
    from low-res logit pixels to image pixels (x, y, x, y)."""

    width: int
    height: int
    valid_w: int
    valid_h: int
    to_image: object  # torch float tensor of 4


def generate_masks(predictor, image: np.ndarray, *, points_per_side: int, points_per_batch: int,
                   pred_iou_thresh: float, stability_score_thresh: float, min_mask_region_area: int,
                   box_nms_thresh: float = 0.7, stability_score_offset: float = 1.0,
                   precision=contextlib.nullcontext, decoder=None) -> list[GeneratedMask]:
    """Every mask SAM's automatic generator keeps for `image` (HxWx3 uint8), same settings as
    `SamAutomaticMaskGenerator` (one crop layer). `predictor`: a `SamPredictor`; its embedding of
    `image` is computed or reused by `predictor.set_image`. `precision`: a context manager factory
    the SAM forward passes run under (e.g. bf16 autocast). `decoder`: what decodes the point
    prompts, called like SAM's mask decoder (default: `predictor.model.mask_decoder`; the
    Segmenter passes a `tools.sam_decoder.SharedImageMaskDecoder`).

    Stages: embed the image (`_set_image`), decode the point grid and filter at low resolution
    (`_low_res_survivors`), then upsample only the survivors and check them again (`_full_size_masks`)."""
    filters = _Filters(pred_iou_thresh, stability_score_thresh, stability_score_offset, box_nms_thresh,
                       min_mask_region_area)
    decoder = decoder if decoder is not None else predictor.model.mask_decoder
    frame = _set_image(predictor, image, precision)
    survivors = _low_res_survivors(predictor, decoder, frame, points_per_side=points_per_side,
                                   points_per_batch=points_per_batch, filters=filters, precision=precision)
    if survivors is None:
        return []
    return _full_size_masks(predictor, *survivors, filters=filters)


def _set_image(predictor, image: np.ndarray, precision) -> _Frame:
    """Embed `image` (HxWx3 uint8) once; where its pixels sit in the decoder's 256-px logits."""
    import torch

    sam = predictor.model
    height, width = image.shape[:2]
    with precision():
        predictor.set_image(image)
    input_h, input_w = predictor.input_size
    low_size = sam.prompt_encoder.mask_input_size  # (256, 256) for the padded img_size² input
    valid_h = -(-input_h * low_size[0] // sam.image_encoder.img_size)
    valid_w = -(-input_w * low_size[1] // sam.image_encoder.img_size)
    return _Frame(width, height, valid_w, valid_h, torch.tensor([width / valid_w, height / valid_h] * 2))


def _low_res_survivors(predictor, decoder, frame: _Frame, *, points_per_side: int, points_per_batch: int,
                       filters: _Filters, precision):
    """The point grid decoded batch by batch, filtered on the low-res logits (predicted IoU, stability,
    box NMS per batch, then across batches): (logits N×256×256, iou N) or None when nothing is left."""
    import torch
    from torchvision.ops.boxes import batched_nms

    kept = []
    grid = point_grid(points_per_side, frame.width, frame.height)
    for start in range(0, len(grid), points_per_batch):
        batch = _decode_batch(predictor, decoder, grid[start:start + points_per_batch], frame,
                              filters=filters, precision=precision)
        if batch is not None:
            kept.append(batch)
    if not kept:
        return None
    logits, iou, boxes = (torch.cat(parts) for parts in zip(*kept))
    keep = batched_nms(boxes, iou, torch.zeros(len(iou)), iou_threshold=filters.box_nms_thresh)
    return logits[keep], iou[keep]


def _decode_batch(predictor, decoder, points: np.ndarray, frame: _Frame, *, filters: _Filters, precision):
    """One batch of grid `points` (float N×2, image pixels) through the prompt encoder and `decoder`,
    filtered as SAM does: (logits, iou, boxes in image pixels) of the survivors, or None."""
    import torch
    from segment_anything.utils.amg import batched_mask_to_box, calculate_stability_score
    from torchvision.ops.boxes import batched_nms

    sam = predictor.model
    threshold = sam.mask_threshold
    coords = torch.as_tensor(predictor.transform.apply_coords(points, (frame.height, frame.width)),
                             dtype=torch.float32, device=predictor.device)
    labels = torch.ones(len(points), dtype=torch.int, device=predictor.device)
    with precision():
        sparse, dense = sam.prompt_encoder(points=(coords[:, None], labels[:, None]), boxes=None, masks=None)
        logits, iou = decoder(
            image_embeddings=predictor.features, image_pe=sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense, multimask_output=True)
    logits = logits.flatten(0, 1).float().cpu()
    iou = iou.flatten(0, 1).float().cpu()
    keep = iou > filters.pred_iou_thresh if filters.pred_iou_thresh > 0 else slice(None)  # as SAM: 0 filters nothing
    logits, iou = logits[keep], iou[keep]
    visible = logits[:, :frame.valid_h, :frame.valid_w]
    stability = calculate_stability_score(visible, threshold, filters.stability_score_offset)
    keep = stability >= filters.stability_score_thresh if filters.stability_score_thresh > 0 else slice(None)
    logits, iou, visible = logits[keep], iou[keep], visible[keep]
    if len(logits) == 0:
        return None
    boxes = batched_mask_to_box(visible > threshold).float()
    boxes[:, 2:] += 1  # inclusive low-res pixels → exclusive edges
    boxes = boxes * frame.to_image
    keep = batched_nms(boxes, iou, torch.zeros(len(boxes)), iou_threshold=filters.box_nms_thresh)
    return logits[keep], iou[keep], boxes[keep]


def _full_size_masks(predictor, logits, iou, *, filters: _Filters) -> list[GeneratedMask]:
    """Upsample the surviving low-res `logits` to the image's size and run SAM's own checks on them:
    stability, box NMS and (when `min_mask_region_area` > 0) small-region clean-up."""
    import torch
    from segment_anything.automatic_mask_generator import SamAutomaticMaskGenerator
    from segment_anything.utils.amg import (
        MaskData,
        batched_mask_to_box,
        calculate_stability_score,
        mask_to_rle_pytorch,
        rle_to_mask,
    )
    from torchvision.ops.boxes import batched_nms

    sam = predictor.model
    threshold = sam.mask_threshold
    full = torch.cat([sam.postprocess_masks(chunk[:, None], predictor.input_size, predictor.original_size)[:, 0]
                      for chunk in logits.split(16)])
    stability = calculate_stability_score(full, threshold, filters.stability_score_offset)
    keep = stability >= filters.stability_score_thresh if filters.stability_score_thresh > 0 else slice(None)
    masks, iou, stability = full[keep] > threshold, iou[keep], stability[keep]
    if len(masks) == 0:
        return []
    boxes = batched_mask_to_box(masks)
    keep = batched_nms(boxes.float(), iou, torch.zeros(len(iou)), iou_threshold=filters.box_nms_thresh)
    data = MaskData(rles=mask_to_rle_pytorch(masks[keep]), boxes=boxes[keep], iou_preds=iou[keep],
                    stability_score=stability[keep])
    if filters.min_mask_region_area > 0:
        data = SamAutomaticMaskGenerator.postprocess_small_regions(data, filters.min_mask_region_area,
                                                                   filters.box_nms_thresh)
    return [GeneratedMask(rle_to_mask(rle), float(p), float(s))
            for rle, p, s in zip(data["rles"], data["iou_preds"], data["stability_score"])]
