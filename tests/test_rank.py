"""Ranking logic, on synthetic segments with a deterministic colour scorer."""
import numpy as np
from PIL import Image

from tools.rank import RankSettings, crop_segment, rank_segments
from tools.segment import Segment

from colour_scorer import ColourScorer


def scene():
    """A grey 200×120 picture with a red square on the left and a blue square on the right."""
    array = np.full((120, 200, 3), 128, dtype=np.uint8)
    array[30:70, 20:60] = (220, 30, 30)
    array[40:90, 130:180] = (30, 40, 210)
    image = Image.fromarray(array)
    red = np.zeros((120, 200), bool)
    red[30:70, 20:60] = True
    blue = np.zeros((120, 200), bool)
    blue[40:90, 130:180] = True
    return image, Segment.from_mask(red), Segment.from_mask(blue)


def test_the_red_object_wins_for_red_and_the_blue_one_for_blue():
    image, red, blue = scene()
    ranking = rank_segments(image, [blue, red], "red", ColourScorer())
    assert ranking.found and ranking.best.segment is red
    assert [c.rank for c in ranking.candidates] == [1, 2]
    assert ranking.candidates[0].score > 0.5 > ranking.candidates[1].score
    assert rank_segments(image, [red, blue], "blue", ColourScorer()).best.segment is blue


def test_nothing_green_means_not_found_instead_of_editing_the_wrong_thing():
    image, red, blue = scene()
    ranking = rank_segments(image, [red, blue], "green", ColourScorer())
    assert not ranking.found
    assert all(c.score < ranking.threshold for c in ranking.candidates)


def test_tiny_and_full_frame_segments_are_not_candidates():
    image, red, blue = scene()
    speck = np.zeros((120, 200), bool)
    speck[0:2, 0:2] = True  # 4 pixels: under 0.2% of the frame
    whole = np.ones((120, 200), bool)
    ranking = rank_segments(image, [Segment.from_mask(speck), Segment.from_mask(whole), red, blue], "red",
                            ColourScorer())
    assert ranking.dropped == 2
    assert {id(c.segment) for c in ranking.candidates} == {id(red), id(blue)}


def test_the_tiny_presets_limits_keep_a_full_frame_segment():
    image, red, _ = scene()
    whole = Segment.from_mask(np.ones((120, 200), bool))
    ranking = rank_segments(image, [whole], "red", ColourScorer(),
                            settings=RankSettings(max_area_fraction=1.0, not_found_below=0.0))
    assert ranking.found and ranking.best.segment is whole


def test_crops_are_scored_in_batches():
    image, red, blue = scene()
    scorer = ColourScorer()
    segments = [red, blue] * 5
    rank_segments(image, segments, "red", scorer, settings=RankSettings(batch_size=4))
    assert scorer.image_calls == 3 and scorer.crops_seen == 10


def test_a_crop_greys_out_what_is_not_the_segment_and_is_square():
    image, red, _ = scene()
    half = red.mask.copy()
    half[:, 40:] = False
    crop = np.asarray(crop_segment(image, Segment.from_mask(half), size=64))
    assert crop.shape == (64, 64, 3)
    assert (crop[32, 8] == (124, 116, 104)).all()  # padding/outside is grey
    assert crop[:, :, 0].max() > 200  # the red half is there


def test_background_is_everything_outside_the_salient_objects():
    image, red, blue = scene()
    ranking = rank_segments(image, [red, blue], "背景", ColourScorer(), language="zh")
    assert ranking.found and ranking.is_background
    mask = ranking.best.mask
    assert not (mask & red.mask).any() and not (mask & blue.mask).any()
    assert mask.sum() == 120 * 200 - red.area - blue.area


def test_a_crop_untouched_by_an_edit_is_not_encoded_again(tiny_models, cat_photo):
    """CLIP (here the tiny one) caches crop features by content: a second source on the same picture,
    or a picture edited elsewhere, encodes only the crops whose pixels changed."""
    scorer = tiny_models.ranker("en")
    image = cat_photo.resize((200, 132))
    left, right = np.zeros((132, 200), bool), np.zeros((132, 200), bool)
    left[:, :60], right[40:100, 140:190] = True, True
    segments = [Segment.from_mask(left), Segment.from_mask(right)]
    first = rank_segments(image, segments, "cat", scorer)
    encoded = scorer.crops_encoded
    rank_segments(image, segments, "dog", scorer)
    assert scorer.crops_encoded == encoded, "the same crops were encoded again for another source"
    edited = np.asarray(image).copy()
    edited[50:90, 150:180] = (0, 200, 0)
    after = rank_segments(Image.fromarray(edited), segments, "cat", scorer)
    assert scorer.crops_encoded == encoded + 1, "only the edited segment's crop is new"
    score = {id(c.segment): c.similarity for c in first.candidates}
    assert next(c.similarity for c in after.candidates if c.segment is segments[0]) == score[id(segments[0])]
