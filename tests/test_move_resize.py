"""Move and resize one object: cut by its mask, hole filled, pasted at the new place or scale, seam
blended; every pixel outside old region ∪ new region ∪ seam ring stays byte-identical."""
import numpy as np
import pytest
from PIL import Image

from agent.editor import Editor, EditSettings
from agent.parse import EditCommand
from agent.step import StepResult
from tools.errors import BadInputError, NotFoundError, NothingToDoError
from tools.inpaint import InpaintResult
from tools.masks import box_of, erode
from tools.placement import destination, place, resized_box

from synthetic import GREY, RED, SyntheticModels, picture

BLOCK = (140, 60, 200, 100)  # a red block right of centre in a 240×160 grey picture


@pytest.fixture(scope="module")
def models(tiny_models):
    return SyntheticModels.over(tiny_models)


@pytest.fixture(scope="module")
def editor(models):
    return Editor(models, EditSettings(steps=2))


@pytest.fixture
def scene():
    return picture((BLOCK, RED))


def red_mask(image: Image.Image) -> np.ndarray:
    return (np.asarray(image) == RED).all(axis=2)


def grey_fill(image: Image.Image, mask: np.ndarray) -> InpaintResult:
    """A stand-in for the hole filler: the hole becomes background grey."""
    array = np.asarray(image).copy()
    array[mask] = GREY
    return InpaintResult(Image.fromarray(array), mask.copy(), (0, 0, 1, 1), (1, 1), 0, 0.0)


def run(editor, command, image) -> StepResult:
    outcome = editor.run(command, image, interactive=False)
    assert isinstance(outcome, StepResult)
    return outcome


def outside_untouched(before: Image.Image, outcome: StepResult) -> bool:
    differs = (np.asarray(before) != np.asarray(outcome.image)).any(axis=2)
    return not (differs & ~outcome.step.changed).any()


def test_the_left_and_the_centre_are_a_small_margin_from_the_side():
    assert destination(BLOCK, frame=(240, 160), to="left").box == (5, 60, 65, 100)
    assert destination(BLOCK, frame=(240, 160), to="top").box == (140, 3, 200, 43)
    assert destination(BLOCK, frame=(240, 160), to="center").box == (90, 60, 150, 100)
    nudged = destination(BLOCK, frame=(240, 160), to="right", shift=0.1)
    assert nudged.box == (164, 60, 224, 100) and not nudged.clamped
    stopped = destination(BLOCK, frame=(240, 160), to="right", shift=0.5)
    assert stopped.box == (180, 60, 240, 100) and stopped.clamped


def test_a_resize_keeps_the_bottom_centre_and_stops_at_the_frame():
    bigger = resized_box(BLOCK, frame=(240, 160), scale=1.5)
    assert bigger.box == (125, 40, 215, 100) and not bigger.clamped
    huge = resized_box(BLOCK, frame=(240, 160), scale=5)
    assert huge.clamped and huge.box[2] - huge.box[0] <= 240 and huge.box[3] - huge.box[1] <= 160


def test_place_puts_the_object_at_its_new_box_and_fills_the_old_place(scene):
    where = destination(BLOCK, frame=scene.size, to="left")
    result = place(scene, red_mask(scene), where.box, fill=grey_fill, blend=None)
    moved = red_mask(result.image)
    assert box_of(moved) == where.box and moved.sum() == red_mask(scene).sum()
    assert (np.asarray(result.image)[60:100, 140:200] == GREY).all()


def test_a_move_changes_nothing_outside_old_new_and_the_ring_and_the_object_is_at_the_new_place(editor, scene):
    outcome = run(editor, EditCommand(action="move", source="red", to="left", language="en"), scene)
    assert outside_untouched(scene, outcome) and not outcome.aside
    x0, y0, x1, y1 = destination(BLOCK, frame=scene.size, to="left").box
    new = np.zeros(red_mask(scene).shape, dtype=bool)
    new[y0:y1, x0:x1] = True
    core = erode(new, 10)  # deeper than the seam blend reaches
    assert (np.asarray(outcome.image)[core] == RED).all()
    assert outcome.step.changed[new].all() and outcome.step.changed[red_mask(scene)].all()
    assert not outcome.step.changed.all()  # not the whole picture
    assert not (red_mask(outcome.image)[60:100, 150:200]).any()  # gone from where it was


@pytest.mark.parametrize("scale", [1.5, 0.6])
def test_a_resize_scales_the_objects_box_by_the_factor(models, scene, scale):
    opencv = Editor(models, EditSettings(steps=2, remove_method="opencv"))  # a seam with no noise to measure
    outcome = run(opencv, EditCommand(action="resize", source="red", scale=scale, language="en"), scene)
    assert outside_untouched(scene, outcome)
    reddish = (np.abs(np.asarray(outcome.image, dtype=int) - RED) < 60).all(axis=2)
    x0, y0, x1, y1 = box_of(reddish)
    assert abs((x1 - x0) / 60 - scale) <= 0.1 * scale and abs((y1 - y0) / 40 - scale) <= 0.1 * scale
    assert abs((x0 + x1) / 2 - 170) <= 2 and abs(y1 - 100) <= 2  # the bottom-centre where it stood


def test_a_resize_with_the_seam_blended_by_diffusion_keeps_everything_else(editor, scene):
    outcome = run(editor, EditCommand(action="resize", source="red", scale=1.25, language="zh"), scene)
    assert outside_untouched(scene, outcome) and outcome.step.model_ids["inpainter"].endswith("sd_zh")


def test_a_move_past_the_edge_stops_there_and_says_so(editor, scene):
    outcome = run(editor, EditCommand(action="move", source="red", to="right", shift=0.5, language="en"), scene)
    assert "edge" in outcome.aside
    assert red_mask(outcome.image)[70:90, 225:240].all()


def test_a_move_with_opencv_filling_needs_no_diffusion(models, scene):
    opencv = Editor(models, EditSettings(steps=2, remove_method="opencv"))
    calls = models.inpainter("en").unet_calls
    outcome = run(opencv, EditCommand(action="move", source="red", to="left", language="en"), scene)
    assert models.inpainter("en").unet_calls == calls and outside_untouched(scene, outcome)
    assert outcome.step.model_ids["inpainter"] == "opencv-telea"


@pytest.mark.parametrize("command, word", [
    (EditCommand(action="move", source="red", language="en"), "where"),
    (EditCommand(action="resize", source="red", scale=0, language="en"), "0.1 to 10"),
    (EditCommand(action="resize", source="red", scale=100, language="en"), "0.1 to 10"),
    (EditCommand(action="resize", source="red", language="en"), "bigger"),
    (EditCommand(action="move", source="red", to="left", shift=-0.2, language="en"), "fraction"),
])
def test_a_move_or_resize_it_cannot_do_is_refused_in_one_line_before_any_model_work(editor, scene, command, word):
    calls = editor.models.blobs.calls
    with pytest.raises(BadInputError) as caught:
        editor.run(command, scene, interactive=False)
    assert word in caught.value.message and "\n" not in caught.value.message and caught.value.message_zh
    assert editor.models.blobs.calls == calls


def test_moving_to_where_it_already_is_is_nothing_to_do(editor):
    at_left = picture(((5, 60, 65, 100), RED))
    with pytest.raises(NothingToDoError):
        editor.run(EditCommand(action="move", source="red", to="left", language="en"), at_left, interactive=False)


def test_a_move_of_something_not_there_is_not_found(editor):
    with pytest.raises(NotFoundError):
        editor.run(EditCommand(action="move", source="blue", to="left", language="en"), picture(), interactive=False)


def test_move_and_resize_are_session_turns_and_undo_returns_the_picture_exactly(editor, scene):
    from agent import parse_instruction
    from agent.session.session import Session

    script = {"把红色的移到左边": [EditCommand(action="move", source="红色", to="left", language="zh")],
              "往右移一点": [EditCommand(action="move", source="red", to="right", shift=0.9, language="en")],
              "make the red one bigger": [EditCommand(action="resize", source="red", scale=1.25, language="en")]}
    session = Session(scene, editor, parse=lambda text: script[text] if text in script else parse_instruction(text))
    moved = session.send("把红色的移到左边")
    assert moved.kind == "edited" and moved.text == "好了：把“红色”移到了左边。" and moved.version == 1
    bigger = session.send("make the red one bigger")
    assert bigger.text == "Done: made 'red' bigger (×1.25)." and bigger.version == 2
    stopped = session.send("往右移一点")
    assert stopped.version == 3 and "stopped at the edge" in stopped.text
    regenerated = session.send("regenerate")
    assert regenerated.version == 4 and session.current.seed == 1
    for number, image in ((3, stopped.image), (2, bigger.image), (1, moved.image), (0, scene)):
        assert session.undo().version == number and np.array_equal(np.asarray(session.image), np.asarray(image))


def test_a_move_of_something_not_there_makes_no_version(editor):
    from agent.session.session import Session

    session = Session(picture(), editor, interactive=False,
                      parse=lambda text: [EditCommand(action="move", source="blue", to="left", language="en")])
    reply = session.send("move the blue one to the left")
    assert reply.kind in ("error", "not_found") and len(session.versions) == 1 and "\n" not in reply.text


def test_a_saved_session_with_the_new_actions_restores_and_regenerates(editor, scene, tmp_path):
    from agent import parse_instruction
    from agent.session.session import Session
    from agent.session.store import SessionStore

    script = {"nudge": [EditCommand(action="move", source="red", to="right", shift=0.1, language="en")],
              "blur it": [EditCommand(action="adjust", source="red", adjust="sharpness", amount=-1.0, language="en")]}
    store = SessionStore(tmp_path / "data")
    session = Session(scene, editor, store=store,
                      parse=lambda text: script[text] if text in script else parse_instruction(text))
    assert session.send("nudge").saved is True and session.send("blur it").saved is True
    restored = Session.restore(store, session.id, editor)
    assert [v.commands for v in restored.versions] == [v.commands for v in session.versions]
    assert restored.versions[1].commands[0].shift == 0.1 and restored.versions[2].commands[0].amount == -1.0
    assert np.array_equal(restored.current.mask, session.current.mask)
    restored.undo()
    again = restored.regenerate()  # the move again, at the region it chose, with the next seed
    assert again.kind == "edited" and restored.current.seed == 1 and restored.current.kind == "regenerate"
    assert np.array_equal(restored.current.steps[0].region, session.versions[1].steps[0].region)


def test_shrinking_a_tiny_object_to_a_tenth_keeps_at_least_one_pixel():
    scene = picture(((100, 100, 105, 104), RED))
    where = resized_box((100, 100, 105, 104), frame=scene.size, scale=0.1)
    assert where.box[2] - where.box[0] >= 1 and where.box[3] - where.box[1] >= 1
    result = place(scene, red_mask(scene), where.box, fill=grey_fill, blend=None)
    assert result.image.size == scene.size and not result.changed[:90].any()


def test_growing_what_already_fills_the_picture_says_there_is_no_room(editor):
    filling = picture(((100, 0, 140, 160), RED))  # as tall as the picture
    with pytest.raises(NothingToDoError) as refused:
        editor.run(EditCommand(action="resize", source="red", scale=2.0, language="zh"), filling, interactive=False)
    assert "没法再改变大小" in refused.value.message_for("zh")
