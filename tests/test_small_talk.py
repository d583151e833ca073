"""Small talk gets what one can say, in the language it was said in; nothing changes in the picture."""
from __future__ import annotations

import numpy as np
import pytest

from agent.editor import Editor, EditSettings
from agent.parse.help import help_text
from agent.session import Session


@pytest.fixture(scope="module")
def session(tiny_models, small_photo):
    return Session(small_photo, Editor(tiny_models, EditSettings(steps=1)))


@pytest.mark.parametrize("said, language", [
    ("你好", "zh"), ("你能做什么", "zh"), ("谢谢", "zh"), ("帮助", "zh"), ("怎么用", "zh"),
    ("hello", "en"), ("help", "en"), ("what can you do?", "en"), ("thanks", "en"),
])
def test_small_talk_is_answered_with_what_one_can_say_in_its_language(session, said, language):
    before = session.image
    reply = session.send(said)
    assert reply.kind == "info" and reply.error is None and reply.language == language
    assert reply.text == help_text(language)
    assert ("把猫换成狗" in reply.text) == (language == "zh")
    assert ("replace the cat" in reply.text) == (language == "en")
    assert len(session.versions) == 1 and session.pointer == 0 and reply.changed is None
    assert np.array_equal(np.asarray(session.image), np.asarray(before))


@pytest.mark.parametrize("said, expected", [
    ("blorp zint", "I didn't understand 'blorp zint'."), ("今天天气不错", "没听懂“今天天气不错”。"),
    ("???", "I didn't understand '???'."), ("\ufffd\ufffd", "I didn't understand '\ufffd\ufffd'."),  # no word in it
])
def test_text_that_is_no_edit_and_no_small_talk_is_not_understood_in_one_line(session, said, expected):
    reply = session.send(said)
    assert reply.kind == "error" and reply.error == "bad_input" and reply.text.startswith(expected)
    assert len(reply.text.splitlines()) == 1 and ("帮助" in reply.text or "'help'" in reply.text)
    assert len(session.versions) == 1


def test_small_talk_next_to_an_edit_is_not_answered_with_the_help(session):
    reply = session.send("你好，撤销")
    assert reply.text == "没有可以撤销的了。"


@pytest.mark.parametrize("line", [":help", ":explode", ":"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_chat_help_lists_what_one_can_say_and_the_commands(session, capsys, tmp_path, line, language):
    from ui.cli_session import chat_turn

    session.language = language
    assert chat_turn(session, line, tmp_path) is None
    out = capsys.readouterr().out
    assert out.startswith(help_text(language)) and ":point X Y" in out and ":quit" in out
    assert ("命令：" in out) == (language == "zh") and ("Commands:" in out) == (language == "en")
