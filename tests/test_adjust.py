"""Instant photo adjustments (tools/adjust.py): no model, the whole picture or a region with a soft edge."""
import numpy as np
import pytest
from PIL import Image

from tools.adjust import ADJUST_KINDS, adjust
from tools.errors import BadInputError
from tools.masks import dilate


def luminance(image: Image.Image) -> float:
    return float(np.asarray(image.convert("L"), dtype=np.float32).mean())


def saturation(image: Image.Image) -> float:
    return float(np.asarray(image.convert("HSV"))[:, :, 1].mean())


def test_grayscale_gives_equal_red_green_and_blue(cat_photo):
    result = adjust(cat_photo, kind="grayscale")
    array = np.asarray(result.image)
    assert result.image.size == cat_photo.size and result.changed.all()
    assert (array[:, :, 0] == array[:, :, 1]).all() and (array[:, :, 1] == array[:, :, 2]).all()


def test_brighten_raises_the_mean_luminance_and_a_lot_raises_it_more_than_a_bit(cat_photo):
    before = luminance(cat_photo)
    bit, plain, lot = (luminance(adjust(cat_photo, kind="brightness", amount=a).image) for a in (0.25, 0.5, 1.0))
    assert before < bit < plain < lot
    assert luminance(adjust(cat_photo, kind="brightness", amount=-0.5).image) < before


def test_contrast_saturation_and_warmth_move_the_way_they_say(cat_photo):
    spread = float(np.asarray(cat_photo.convert("L")).std())
    assert float(np.asarray(adjust(cat_photo, kind="contrast", amount=0.5).image.convert("L")).std()) > spread
    assert float(np.asarray(adjust(cat_photo, kind="contrast", amount=-0.5).image.convert("L")).std()) < spread
    assert saturation(adjust(cat_photo, kind="saturation", amount=0.5).image) > saturation(cat_photo)
    assert saturation(adjust(cat_photo, kind="saturation", amount=-0.5).image) < saturation(cat_photo)
    warm = np.asarray(adjust(cat_photo, kind="warmth", amount=0.5).image, dtype=np.float32)
    cool = np.asarray(adjust(cat_photo, kind="warmth", amount=-0.5).image, dtype=np.float32)
    assert (warm[:, :, 0] - warm[:, :, 2]).mean() > (cool[:, :, 0] - cool[:, :, 2]).mean()


def test_negative_sharpness_blurs_and_positive_sharpens(cat_photo):
    def detail(image):
        array = np.asarray(image.convert("L"), dtype=np.float32)
        return float(np.abs(np.diff(array, axis=1)).mean())
    assert detail(adjust(cat_photo, kind="sharpness", amount=-1.0).image) < 0.7 * detail(cat_photo)
    assert detail(adjust(cat_photo, kind="sharpness", amount=0.5).image) > detail(cat_photo)


@pytest.mark.parametrize("kind", ADJUST_KINDS)
def test_a_region_adjustment_changes_nothing_outside_the_grown_mask(cat_photo, kind):
    mask = np.zeros((cat_photo.height, cat_photo.width), dtype=bool)
    mask[60:180, 100:300] = True
    result = adjust(cat_photo, kind=kind, amount=-1.0 if kind == "sharpness" else 0.5, mask=mask, dilate_px=4)
    differs = (np.asarray(result.image) != np.asarray(cat_photo)).any(axis=2)
    assert np.array_equal(result.changed, dilate(mask, 4))
    assert not (differs & ~result.changed).any()
    assert differs[mask].mean() > 0.5  # and inside, the region did change


def test_a_region_brighten_brightens_the_region_with_a_soft_edge(cat_photo):
    mask = np.zeros((cat_photo.height, cat_photo.width), dtype=bool)
    mask[60:180, 100:300] = True
    result = adjust(cat_photo, kind="brightness", amount=0.5, mask=mask)
    inside = np.asarray(result.image.convert("L"), dtype=np.float32)[mask].mean()
    assert inside > np.asarray(cat_photo.convert("L"), dtype=np.float32)[mask].mean() + 5
    assert not (np.asarray(result.image) != np.asarray(cat_photo)).any(axis=2)[~result.changed].any()


@pytest.mark.parametrize("kind", ["vibrance", "", None, "BRIGHTNESS"])
def test_an_unknown_adjustment_is_refused_in_one_line(cat_photo, kind):
    with pytest.raises(BadInputError) as caught:
        adjust(cat_photo, kind=kind, amount=0.5)
    assert "\n" not in caught.value.message and "亮度" in caught.value.message_zh


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), "0.5", True])
def test_an_amount_that_is_not_a_number_is_refused(cat_photo, amount):
    with pytest.raises(BadInputError):
        adjust(cat_photo, kind="brightness", amount=amount)


def test_a_twelve_megapixel_adjustment_takes_well_under_a_second():
    import time

    photo = Image.fromarray(np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), dtype=np.uint8))
    start = time.perf_counter()
    adjust(photo, kind="brightness", amount=0.5)
    assert time.perf_counter() - start < 1.5  # ≈ 0.1 s on one core; generous for a shared machine


def test_adjustments_are_session_turns_and_undo_returns_the_picture_exactly(editor, small_photo):
    from agent import parse_instruction
    from agent.parse import EditCommand
    from agent.session.session import Session

    script = {"把图片调亮一点": EditCommand(action="adjust", adjust="brightness", amount=0.25, language="zh"),
              "make it black and white": EditCommand(action="adjust", adjust="grayscale", language="en")}
    session = Session(small_photo, editor,
                      parse=lambda text: [script[text]] if text in script else parse_instruction(text))
    brighter = session.send("把图片调亮一点")
    assert brighter.kind == "edited" and brighter.text == "好了：把整张图调亮了。" and brighter.version == 1
    assert luminance(brighter.image) > luminance(small_photo)
    grey = session.send("make it black and white")
    assert grey.text == "Done: made the whole picture black and white." and grey.version == 2
    again = session.send("regenerate")  # no seed to vary: said so, nothing made
    assert again.kind == "error" and "same picture" in again.text and len(session.versions) == 3
    assert session.undo().version == 1 and np.array_equal(np.asarray(session.image), np.asarray(brighter.image))
    assert session.undo().version == 0 and np.array_equal(np.asarray(session.image), np.asarray(small_photo))
