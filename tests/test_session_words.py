"""A session that starts from words: version 0 is a picture drawn from a description (Session.from_words)."""
from __future__ import annotations

import numpy as np
import pytest

from agent.parse import EditCommand
from agent.session.session import Session
from agent.session.store import SessionStore
from tools.errors import EditError


def scripted(first: list[EditCommand]):
    """A parser that reads the session's first message as `first`, and every later one by the rules."""
    from agent import parse_instruction

    said = []

    def parse(text: str):
        said.append(text)
        return first if len(said) == 1 else parse_instruction(text)
    return parse


def same(a, b) -> bool:
    return a.size == b.size and np.array_equal(np.asarray(a), np.asarray(b))


def test_words_draw_version_0_and_the_turn_is_logged(editor):
    events = []
    session = Session.from_words("画一张海边日落的图片", editor, on_progress=events.append)
    first = session.versions[0]
    assert len(session.versions) == 1 and session.pointer == 0 and first.kind == "original"
    assert first.instruction == "画一张海边日落的图片"
    (step,) = first.steps
    assert step.command.action == "generate" and "海边日落" in step.command.target and step.command.source is None
    assert step.changed.all() and step.changed.shape == (first.image.height, first.image.width)
    assert session.image.mode == "RGB" and session.language == "zh"
    reply = session.opening
    assert reply.kind == "edited" and reply.error is None and reply.text.startswith("好了：画了一张新图：")
    assert reply.changed.all() and same(reply.image, session.image) and reply.saved is None
    assert {"parse", "inpaint", "done"} <= {e.stage for e in events}
    (entry,) = session.log
    assert (entry.kind, entry.said, entry.version, entry.made, entry.shows) == \
        ("text", "画一张海边日落的图片", 0, True, first.uid)
    assert entry.reply == reply.text


def test_the_drawn_picture_is_where_undo_and_reset_stop(editor):
    session = Session.from_words("draw a lighthouse", editor, parse=scripted([
        EditCommand(action="generate", target="a lighthouse on a cliff", language="en")]))
    drawn = session.image
    assert session.send("undo").text == "Nothing to undo." and session.pointer == 0 and same(session.image, drawn)
    assert session.send("make the cat a dog").kind == "edited" and session.pointer == 1
    assert not same(session.image, drawn)
    session.undo()
    assert session.pointer == 0 and same(session.image, drawn)
    assert session.undo().error == "nothing_to_do" and session.pointer == 0
    session.redo()
    session.reset()
    assert session.pointer == 2 and same(session.image, drawn)  # reset: back to the drawn picture


def test_with_no_picture_yet_draw_a_cat_is_a_new_picture_of_a_cat(editor):
    session = Session.from_words("画一只猫", editor)  # the parser reads an `add` with nothing to add onto
    command = session.versions[0].steps[0].command
    assert (command.action, command.target, command.source) == ("generate", "猫", None)


def test_the_store_reloads_a_session_drawn_from_words(editor, tmp_path):
    store = SessionStore(tmp_path)
    session = Session.from_words("画一张海边日落的图片", editor, store=store)
    assert session.opening.saved is True and store.sessions() == [session.id]
    session.send("把猫换成狗")
    again = Session.restore(store, session.id, editor)
    assert [v.kind for v in again.versions] == ["original", "edit"] and again.pointer == 1
    first = again.versions[0]
    assert first.instruction == "画一张海边日落的图片" and same(first.image, session.versions[0].image)
    assert first.steps[0].command == session.versions[0].steps[0].command and first.steps[0].changed.all()
    assert first.steps[0].seed == session.versions[0].steps[0].seed
    assert [(e.kind, e.said, e.made) for e in again.log] == [("text", "画一张海边日落的图片", True),
                                                             ("text", "把猫换成狗", True)]
    assert again.log[0].shows == first.uid and again.language == "zh"
    assert again.send("撤销").version == 0 and same(again.image, first.image)


def test_edits_after_the_drawing_in_the_same_message_make_version_1(editor):
    session = Session.from_words("画一只猫，然后把猫换成狗", editor, parse=scripted([
        EditCommand(action="generate", target="猫"), EditCommand(action="replace", source="猫", target="狗")]))
    assert session.pointer == 1 and session.versions[1].base == 0 and session.versions[1].kind == "edit"
    assert len(session.log) == 1 and session.log[0].version == 1 and session.log[0].shows == session.current.uid
    assert session.opening.text.startswith("好了：画了一张新图：猫。") and "狗" in session.opening.text


@pytest.mark.parametrize("words, zh, en", [
    ("", "请说要画什么", "Say what to draw"),
    ("   ", "请说要画什么", "Say what to draw"),
    ("把猫换成狗", "还没有图片，“把猫换成狗”也没有说要画什么", "There is no picture yet, and '把猫换成狗'"),
    ("你好", "还没有图片", "There is no picture yet"),
    ("撤销", "还没有图片", "There is no picture yet"),
])
def test_words_that_ask_for_no_picture_are_refused_in_one_line_and_nothing_is_made(editor, tmp_path, words, zh, en):
    store = SessionStore(tmp_path)
    with pytest.raises(EditError) as refused:
        Session.from_words(words, editor, store=store)
    assert refused.value.message_for("zh").startswith(zh) and refused.value.message_for("en").startswith(en)
    assert "\n" not in refused.value.message_for("zh") and store.sessions() == []


def test_a_model_failure_while_drawing_is_one_sentence(editor, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(type(editor), "generate", broken)
    store = SessionStore(tmp_path)
    with pytest.raises(EditError) as failed:
        Session.from_words("画一张海边日落的图片", editor, store=store)
    assert failed.value.message_for("zh") == "编辑时出了点问题，图片没有改变。" and store.sessions() == []


def test_generate_in_an_open_session_is_a_new_version_that_undo_takes_back(editor, small_photo, tmp_path):
    from agent import parse_instruction

    def parse(text: str):  # what the parser reads "画一张海边日落的图片" as
        return [EditCommand(action="generate", target="海边日落")] if text.startswith("画") else parse_instruction(text)

    store = SessionStore(tmp_path)
    session = Session(small_photo, editor, store=store, parse=parse)
    reply = session.send("画一张海边日落的图片")
    assert reply.kind == "edited" and session.pointer == 1, reply.text
    assert session.image.size == small_photo.size and not same(session.image, small_photo)
    assert session.current.steps[0].command.action == "generate" and session.current.mask.all()
    assert Session.restore(store, session.id, editor).versions[1].steps[0].command.target == "海边日落"
    session.undo()
    assert same(session.image, small_photo)
