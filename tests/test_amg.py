"""Our automatic mask generation (filter on SAM's low-res logits, upsample survivors) finds the same
segments as segment_anything's own generator."""
import numpy as np
import pytest
import torch

from bench.probes import RealisticSegments
from tools import amg
from tools.segment import AutoSettings


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def sams_own(sam, image: np.ndarray, settings: AutoSettings) -> list[np.ndarray]:
    from segment_anything import SamAutomaticMaskGenerator

    generator = SamAutomaticMaskGenerator(
        sam, points_per_side=settings.points_per_side, points_per_batch=settings.points_per_batch,
        pred_iou_thresh=settings.pred_iou_thresh, stability_score_thresh=settings.stability_score_thresh,
        min_mask_region_area=settings.min_mask_region_area)
    with torch.inference_mode():
        return [r["segmentation"] for r in generator.generate(image)]


def ours(sam, image: np.ndarray, settings: AutoSettings, decoder) -> list[amg.GeneratedMask]:
    from segment_anything import SamPredictor

    with torch.inference_mode():
        return amg.generate_masks(
            SamPredictor(sam), image, decoder=decoder, points_per_side=settings.points_per_side,
            points_per_batch=settings.points_per_batch, pred_iou_thresh=settings.pred_iou_thresh,
            stability_score_thresh=settings.stability_score_thresh,
            min_mask_region_area=settings.min_mask_region_area)


@pytest.fixture
def photo(cat_photo) -> np.ndarray:
    return np.asarray(cat_photo.resize((320, 212)))


def test_on_photo_like_masks_we_keep_exactly_the_segments_sam_keeps(tiny_models, photo):
    """The real presets' thresholds, on decoder outputs shaped like trained SAM's (superpixels)."""
    segmenter = tiny_models.segmenter()
    sam, decoder = segmenter.sam, segmenter.mask_decoder  # ours decodes through the shared-image decoder
    probe = RealisticSegments(sam, regions=40)
    probe.also_replace(decoder)
    try:
        probe.set_image(photo)
        settings = AutoSettings(points_per_side=16)
        theirs, mine = sams_own(sam, photo, settings), ours(sam, photo, settings, decoder)
    finally:
        probe.remove()
    assert len(theirs) >= 20, "the probe should give a photo's worth of segments"
    assert len(mine) == len(theirs)
    assert all(max(iou(t, m.mask) for m in mine) > 0.99 for t in theirs)
    assert all(m.mask.shape == photo.shape[:2] and m.mask.dtype == bool for m in mine)
    assert all(0.86 < m.predicted_iou and 0.92 <= m.stability <= 1.0 for m in mine)


def test_the_shared_image_decoder_gives_sams_masks_without_copying_the_image(tiny_models, photo):
    from segment_anything import SamPredictor

    from tools.sam_decoder import SharedImageMaskDecoder

    sam = tiny_models.segmenter().sam
    predictor = SamPredictor(sam)
    with torch.inference_mode():
        predictor.set_image(photo)
        points = torch.rand(10, 1, 2) * 256
        sparse, dense = sam.prompt_encoder(points=(points, torch.ones(10, 1, dtype=torch.int)), boxes=None, masks=None)
        inputs = dict(image_embeddings=predictor.features, image_pe=sam.prompt_encoder.get_dense_pe(),
                      sparse_prompt_embeddings=sparse, dense_prompt_embeddings=dense)
        for multimask in (True, False):
            theirs = sam.mask_decoder(**inputs, multimask_output=multimask)
            mine = SharedImageMaskDecoder(sam.mask_decoder)(**inputs, multimask_output=multimask)
            for a, b in zip(theirs, mine):
                assert a.shape == b.shape and torch.allclose(a, b, atol=1e-4, rtol=1e-4)
