"""End to end with the tiny preset on a real photo: SAM → CLIP → SD inpainting through the real loaders."""
import numpy as np
import pytest
from conftest import changed_pixels

from agent.editor import Editor, EditSettings
from tools.errors import BadInputError


@pytest.fixture(scope="module")
def editor(tiny_models):
    return Editor(tiny_models)


@pytest.mark.parametrize("source, target", [("猫", "狗"), ("cat", "dog")])
def test_replace_changes_only_the_returned_mask(editor, cat_photo, source, target):
    result = editor.edit(cat_photo, source=source, target=target)
    assert result.image.size == cat_photo.size and result.image.mode == "RGB"
    changed = changed_pixels(cat_photo, result.image)
    assert not (changed & ~result.mask).any(), "a pixel outside the mask changed"
    assert changed[result.mask].mean() > 0.5, "the masked region was not repainted"
    assert result.language == ("zh" if source == "猫" else "en")
    assert result.chosen is not None and result.candidates[0] is result.chosen
    assert set(result.timings) >= {"segment", "rank", "inpaint", "paste", "total"}


def test_chinese_and_english_requests_use_their_own_models(editor, cat_photo):
    zh = editor.edit(cat_photo, source="猫", target="狗")
    en = editor.edit(cat_photo, source="cat", target="dog")
    assert zh.model_ids["ranker"].endswith("clip_zh") and zh.model_ids["inpainter"].endswith("sd_zh")
    assert en.model_ids["ranker"].endswith("clip_en") and en.model_ids["inpainter"].endswith("sd_en")


def test_same_seed_same_picture_other_seed_other_picture(editor, cat_photo):
    first = editor.edit(cat_photo, source="cat", target="dog", settings=EditSettings(seed=7))
    again = editor.edit(cat_photo, source="cat", target="dog", settings=EditSettings(seed=7))
    other = editor.edit(cat_photo, source="cat", target="dog", settings=EditSettings(seed=8))
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert not np.array_equal(np.asarray(first.image), np.asarray(other.image))


@pytest.mark.parametrize("method", ["sd", "opencv"])
def test_remove_erases_inside_the_mask_only(editor, cat_photo, method):
    result = editor.edit(cat_photo, source="猫", remove=True, settings=EditSettings(remove_method=method))
    changed = changed_pixels(cat_photo, result.image)
    assert result.action == "remove" and result.target is None
    assert not (changed & ~result.mask).any()
    assert changed.any()


def test_add_paints_a_new_thing_onto_a_part_of_the_region(editor, cat_photo):
    result = editor.edit(cat_photo, source="桌子", target="苹果", add=True)
    changed = changed_pixels(cat_photo, result.image)
    assert not (changed & ~result.mask).any()
    assert 0 < result.mask.sum() < 0.5 * cat_photo.width * cat_photo.height


def test_a_large_photo_is_segmented_small_and_pasted_back_at_full_size(editor, cat_photo):
    big = cat_photo.resize((1804, 1200))
    before = editor.models.segmenter().encoder_calls
    result = editor.edit(big, source="cat", target="dog")
    assert result.image.size == (1804, 1200) and result.mask.shape == (1200, 1804)
    assert not (changed_pixels(big, result.image) & ~result.mask).any()
    assert editor.models.segmenter().encoder_calls == before + 1


def test_a_second_instruction_on_the_same_image_runs_no_sam_encoder(editor, cat_photo):
    segmenter = editor.models.segmenter()
    editor.find(cat_photo, "猫")
    calls = segmenter.encoder_calls
    editor.find(cat_photo, "狗")
    editor.segments(cat_photo)
    segmenter.segment_point(cat_photo, (200, 150))
    assert segmenter.encoder_calls == calls


def test_point_and_box_prompts_give_a_mask_of_the_image_size(tiny_models, cat_photo):
    segmenter = tiny_models.segmenter()
    point = segmenter.segment_point(cat_photo, (220, 140))
    box = segmenter.segment_box(cat_photo, (100, 50, 300, 250))
    assert point.mask.shape == box.mask.shape == (300, 451)
    with pytest.raises(BadInputError, match="outside"):
        segmenter.segment_point(cat_photo, (900, 10))


def test_progress_is_reported_for_every_stage_and_step(editor, cat_photo):
    events = []
    editor.edit(cat_photo, source="cat", target="dog", settings=EditSettings(steps=3), on_progress=events.append)
    stages = [e.stage for e in events]
    assert stages[:2] == ["segment", "rank"] and stages[-1] == "done"
    steps = [(e.done, e.total) for e in events if e.stage == "inpaint"]
    totals = {total for _, total in steps}
    assert len(totals) == 1 and min(totals) >= 3, steps  # one honest total from the first event on
    assert steps[0][0] == 0 and steps[-1][0] == steps[-1][1]
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)


@pytest.mark.parametrize("kwargs, message", [
    ({"source": "  ", "target": "dog"}, "source is empty"),
    ({"source": "cat", "target": ""}, "target is empty"),
    ({"source": "cat", "target": "dog", "settings": EditSettings(steps=-1)}, "steps"),
    ({"source": "cat", "target": "dog", "settings": EditSettings(guidance=float("nan"))}, "guidance"),
    ({"source": "cat", "target": "dog", "settings": EditSettings(seed=2 ** 40)}, "seed"),
])
def test_bad_requests_get_a_clear_reason(editor, cat_photo, kwargs, message):
    with pytest.raises(BadInputError, match=message):
        editor.edit(cat_photo, **kwargs)


def test_after_an_edit_the_next_turn_reuses_segments_outside_the_change(editor, cat_photo):
    segmenter = editor.models.segmenter()
    first = editor.edit(cat_photo, source="猫", target="狗")
    calls = segmenter.encoder_calls
    ranking, _ = editor.find(first.image, "狗")
    assert segmenter.is_carried(first.image) and segmenter.encoder_calls == calls
    assert ranking.found and any((c.mask & first.mask).any() for c in ranking.candidates)


def test_sd_repaints_a_square_window_around_the_object(editor, cat_photo):
    result = editor.edit(cat_photo, source="cat", target="dog")
    x0, y0, x1, y1 = result.window
    square_or_as_large_as_the_picture = x1 - x0 == y1 - y0 or cat_photo.height == y1 - y0 < x1 - x0
    assert square_or_as_large_as_the_picture, result.window
    ys, xs = np.nonzero(result.mask)
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


@pytest.mark.parametrize("mask_box, image_size, expect", [
    ((180, 120, 240, 160), (451, 300), "centred square"),   # room all round
    ((0, 10, 50, 40), (451, 300), "square in the corner"),  # at the corner: the square moves inside
    ((100, 10, 400, 40), (800, 600), "square at the top"),  # a wide object: square, context above/below
    ((300, 0, 340, 20), (1000, 30), "as tall as the strip"),  # a strip of a picture: the strip's height
])
def test_the_crop_window_is_a_square_around_the_mask_inside_the_picture(mask_box, image_size, expect):
    from tools.inpaint import crop_window

    width, height = image_size
    mask = np.zeros((height, width), bool)
    x0, y0, x1, y1 = mask_box
    mask[y0:y1, x0:x1] = True
    left, top, right, bottom = crop_window(mask, context=0.3)
    assert 0 <= left <= x0 and x1 <= right <= width and 0 <= top <= y0 and y1 <= bottom <= height
    margin = 0.3 * max(x1 - x0, y1 - y0)
    if expect == "as tall as the strip":
        assert (top, bottom) == (0, height) and right - left > height
    else:
        assert right - left == bottom - top >= max(x1 - x0, y1 - y0) + 2 * margin
    if expect == "centred square":
        assert abs((left + right) - (x0 + x1)) <= 1 and abs((top + bottom) - (y0 + y1)) <= 1
    if expect == "square in the corner":
        assert (left, top) == (0, 0)


def test_one_command_with_a_picked_region_changes_only_that_region(editor, cat_photo):
    from agent.parse import EditCommand
    from agent.step import StepResult
    from tools.regions import RegionPrompt

    picked = np.zeros((cat_photo.height, cat_photo.width), bool)
    picked[10:60, 20:90] = True
    command = EditCommand(action="replace", source="猫", target="狗", language="zh")
    outcome = editor.run(command, cat_photo, region=RegionPrompt("mask", picked), interactive=True)
    assert isinstance(outcome, StepResult) and outcome.note == ""
    assert outcome.step.prompt == "pick" and np.array_equal(outcome.step.region, picked)
    changed = changed_pixels(cat_photo, outcome.image)
    assert changed.any() and not (changed & ~outcome.step.changed).any()


def test_one_command_found_by_its_words_records_what_was_chosen(editor, cat_photo):
    from agent.parse import EditCommand

    seen = []
    command = EditCommand(action="remove", source="cat", language="en")
    outcome = editor.run(command, cat_photo, interactive=False, on_progress=seen.append)
    assert outcome.step.prompt == "text" and outcome.step.chosen is not None and outcome.step.candidates
    assert [p.stage for p in seen][:3] == ["segment", "rank", "select"] and seen[-1].stage == "done"
    again = editor.rerun(outcome.step, cat_photo, seed=5)
    assert again.step.seed == 5 and np.array_equal(again.step.region, outcome.step.region)
    assert not np.array_equal(np.asarray(again.image), np.asarray(outcome.image))


def test_a_region_prompt_is_a_point_a_box_or_a_two_dimensional_mask():
    from tools.regions import RegionPrompt

    assert RegionPrompt("mask", np.ones((4, 5), np.uint8)).value.dtype == bool
    for kind, value, words in [("mask", np.ones((4, 5, 3), bool), "2-D"), ("lasso", (1, 2), "lasso"),
                               ("point", (float("nan"), 2), "nan")]:
        with pytest.raises(BadInputError, match=words):
            RegionPrompt(kind, value)


def test_a_dragged_box_edits_only_inside_the_box(editor, cat_photo):
    mask = editor.region(cat_photo, box=(100, 50, 300, 250))
    ys, xs = np.nonzero(mask)
    assert mask.any() and xs.min() >= 100 and xs.max() < 300 and ys.min() >= 50 and ys.max() < 250
