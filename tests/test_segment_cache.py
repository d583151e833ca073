"""The SAM embedding and segments are computed once per image version and carried across edits."""
import numpy as np
import pytest
from PIL import Image

from tools.segment import Segment


@pytest.fixture
def segmenter(tiny_models):
    return tiny_models.segmenter()


def noise_picture(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (96, 128, 3), dtype=np.uint8))


def test_segments_touching_the_change_are_dropped_and_the_edited_region_joins(segmenter):
    before, after = noise_picture(1), noise_picture(2)
    left, right = np.zeros((96, 128), bool), np.zeros((96, 128), bool)
    left[:, :40], right[:, 80:] = True, True
    key_segments = [Segment.from_mask(left), Segment.from_mask(right)]
    segmenter.all_segments(before)  # caches `before`
    segmenter._segments[next(reversed(segmenter._segments))] = key_segments
    changed = np.zeros((96, 128), bool)
    changed[10:30, 90:120] = True
    assert segmenter.carry_over(before, after, changed, edited=changed)
    carried = segmenter.all_segments(after)
    assert segmenter.is_carried(after)
    assert any(s.mask is left for s in carried) and not any(s.mask is right for s in carried)
    assert any(np.array_equal(s.mask, changed) for s in carried)


def test_fresh_segmentation_of_a_carried_version_runs_sam_once(segmenter):
    before, after = noise_picture(3), noise_picture(4)
    segmenter.all_segments(before)
    assert segmenter.carry_over(before, after, np.zeros((96, 128), bool))
    calls = segmenter.encoder_calls
    segmenter.all_segments(after)
    assert segmenter.encoder_calls == calls  # carried: no encoder
    segmenter.all_segments(after, fresh=True)
    assert segmenter.encoder_calls == calls + 1 and not segmenter.is_carried(after)
    segmenter.all_segments(after, fresh=True)
    assert segmenter.encoder_calls == calls + 1  # already fresh: cached


def test_nothing_is_carried_from_an_image_never_segmented(segmenter):
    assert not segmenter.carry_over(noise_picture(5), noise_picture(6), np.zeros((96, 128), bool))
