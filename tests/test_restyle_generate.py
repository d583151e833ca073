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


def scripted(script: dict):
    """A parser that knows the new actions' sentences (the rules parser is another change) and reads
    everything else (undo, regenerate) as usual."""
    from agent import parse_instruction
    from agent.parse import EditCommand

    return lambda text: [EditCommand(**c) for c in script[text]] if text in script else parse_instruction(text)


def same(a, b) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_restyle_repaints_the_whole_picture_at_the_input_size(editor, cat_photo):
    from agent.parse import EditCommand

    outcome = editor.run(EditCommand(action="restyle", target="油画风格", language="zh"), cat_photo, interactive=False)
    assert outcome.image.size == cat_photo.size and outcome.step.changed.all()
    differs = (np.asarray(outcome.image) != np.asarray(cat_photo)).any(axis=2)
    assert differs.mean() > 0.9


def test_restyle_with_no_look_is_refused_in_one_line(editor, cat_photo):
    from agent.parse import EditCommand

    with pytest.raises(BadInputError) as caught:
        editor.run(EditCommand(action="restyle", language="en"), cat_photo, interactive=False)
    assert "look like" in caught.value.message and "样子" in caught.value.message_zh


def test_generate_in_an_open_session_keeps_the_pictures_size(editor, small_photo):
    from agent.parse import EditCommand

    command = EditCommand(action="generate", target="a lighthouse", aspect="portrait", language="en")
    outcome = editor.run(command, small_photo, interactive=False)
    assert outcome.image.size == small_photo.size and outcome.step.changed.all()


def test_restyle_and_generate_are_session_turns_that_undo_and_regenerate(editor, small_photo):
    from agent.session.session import Session

    session = Session(small_photo, editor, parse=scripted({
        "变成油画风格": [{"action": "restyle", "target": "油画风格", "language": "zh"}],
        "画一张海边日落的图片": [{"action": "generate", "target": "海边日落", "language": "zh"}]}))
    restyled = session.send("变成油画风格")
    assert restyled.kind == "edited" and "整张图" in restyled.text and restyled.version == 1
    again = session.send("重新生成")
    assert again.version == 2 and session.current.seed == 1 and not same(again.image, restyled.image)
    drawn = session.send("画一张海边日落的图片")
    assert drawn.version == 3 and "海边日落" in drawn.text and drawn.image.size == small_photo.size
    assert session.undo().version == 2 and same(session.image, again.image)
    assert session.undo().version == 1 and same(session.image, restyled.image)
    assert session.undo().version == 0 and same(session.image, small_photo)
