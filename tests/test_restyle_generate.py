"""A new picture from words (generate) and the whole picture in a new look (restyle), on the tiny preset."""
import numpy as np
import pytest

from agent.transforms import picture_size
from tools.errors import BadInputError


def test_generate_gives_the_native_square_and_the_asked_shapes(editor):
    work = editor.models.preset.work_size
    square = editor.generate("海边日落", language="zh")
    assert square.image.mode == "RGB" and square.image.size == (work, work)
    wide = editor.generate("a lighthouse on a cliff", language="en", aspect="landscape")
    tall = editor.generate("a lighthouse on a cliff", language="en", aspect="portrait")
    assert wide.image.size[0] > wide.image.size[1] and tall.image.size == wide.image.size[::-1]
    assert square.model_ids["inpainter"].endswith("sd_zh") and wide.model_ids["inpainter"].endswith("sd_en")
    assert np.asarray(square.image).std() > 0  # a picture, not the blank canvas


def test_sd15_sizes_are_512_square_768_by_512_wide_and_512_by_768_tall():
    assert picture_size(512, None) == (512, 512) and picture_size(512, "square") == (512, 512)
    assert picture_size(512, "landscape") == (768, 512) and picture_size(512, "portrait") == (512, 768)


def test_generate_uses_the_loaded_pipeline_not_a_second_copy(editor):
    pipe = editor.models.inpainter("zh").pipe
    editor.generate("一只猫", language="zh")
    assert editor.models.inpainter("zh").pipe is pipe


def test_another_seed_gives_another_picture_and_the_same_seed_the_same(editor):
    from agent.editor import EditSettings

    one = editor.generate("a red barn", language="en", settings=EditSettings(steps=1, seed=1))
    again = editor.generate("a red barn", language="en", settings=EditSettings(steps=1, seed=1))
    other = editor.generate("a red barn", language="en", settings=EditSettings(steps=1, seed=2))
    assert np.array_equal(np.asarray(one.image), np.asarray(again.image)) and one.seed == 1
    assert not np.array_equal(np.asarray(one.image), np.asarray(other.image))


@pytest.mark.parametrize("description", ["", "   ", None])
def test_an_empty_description_is_refused_in_one_line_in_both_languages(editor, description):
    with pytest.raises(BadInputError) as caught:
        editor.generate(description, language="zh")
    assert "\n" not in caught.value.message and caught.value.message_zh != caught.value.message
    assert "画" in caught.value.message_for("zh") and "draw" in caught.value.message_for("en")
