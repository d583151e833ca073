"""The history's rules, read as examples: undo, redo, goto, reset, a new version after an undo, the
buttons' enabled states, and putting the history back after a failed turn. No model is needed."""
import numpy as np
import pytest
from PIL import Image

from agent.parse import EditCommand
from agent.session.history import History, Pending
from agent.session.version import Step, Version
from tools.errors import BadInputError, NothingToDoError


def picture(value: int) -> Image.Image:
    return Image.new("RGB", (8, 6), (value, value, value))


def edit_step() -> Step:
    region = np.zeros((6, 8), dtype=bool)
    region[1:3, 1:4] = True
    return Step(EditCommand(action="replace", source="猫", target="狗", language="zh"), region, region, seed=3)


@pytest.fixture
def history() -> History:
    """The original and two edits; the second is current."""
    history = History([Version(0, "original", picture(0))])
    history.commit(kind="edit", image=picture(1), instruction="把猫换成狗", steps=(edit_step(),))
    history.commit(kind="edit", image=picture(2), instruction="把沙发变成红色", steps=(edit_step(),))
    return history


def test_a_new_history_can_only_wait_for_an_edit():
    history = History([Version(0, "original", picture(0))])
    assert history.pointer == 0 and history.current.kind == "original"
    assert not (history.can_undo or history.can_redo or history.can_reset or history.can_regenerate)
    with pytest.raises(NothingToDoError):
        history.undo()
    with pytest.raises(NothingToDoError):
        history.reset()


def test_undo_and_redo_move_the_pointer_and_keep_every_version(history):
    assert history.undo().instruction == "把猫换成狗" and history.pointer == 1
    assert history.can_undo and history.can_redo and len(history) == 3
    assert history.redo().number == 2 and not history.can_redo
    with pytest.raises(NothingToDoError) as refused:
        history.redo()
    assert "重做" in refused.value.message_for("zh")


def test_an_edit_after_an_undo_drops_the_versions_after_it_and_says_which(history):
    history.goto(0)
    dropped = history.commit(kind="edit", image=picture(9), instruction="去掉猫", steps=(edit_step(),))
    assert list(dropped) == [1, 2]
    assert [v.instruction for v in history.versions] == ["", "去掉猫"] and history.pointer == 1
    assert list(history.commit(kind="edit", image=picture(8), instruction="再来")) == []


def test_reset_is_a_new_version_with_the_original_picture_and_cannot_be_repeated(history):
    assert list(history.reset()) == []
    assert history.current.kind == "reset" and history.current.image is history.original.image
    assert history.pointer == 3 and history.can_undo and not history.can_reset and not history.can_regenerate
    with pytest.raises(NothingToDoError):
        history.reset()


def test_regenerate_is_offered_only_on_a_version_made_by_edits(history):
    assert history.can_regenerate
    history.goto(0)
    assert not history.can_regenerate and history.can_redo


def test_goto_a_version_that_does_not_exist_is_refused_and_changes_nothing(history):
    with pytest.raises(BadInputError) as refused:
        history.goto(7)
    assert "7" in refused.value.message_for("en") and history.pointer == 2


def test_moving_through_the_history_forgets_a_pending_pick(history):
    history.ask(Pending(EditCommand(action="remove", source="猫", language="zh"), (), "去掉猫", (), "close", 2))
    assert history.pending_here() is not None
    history.undo()
    assert history.pending is None and history.pending_here() is None


def test_a_failed_turn_puts_the_history_back_as_it_was(history):
    before = history.snapshot()
    history.undo()
    history.commit(kind="edit", image=picture(5), instruction="半途失败")
    history.restore(before)
    assert history.pointer == 2 and [v.instruction for v in history.versions] == ["", "把猫换成狗", "把沙发变成红色"]
