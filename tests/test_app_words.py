"""The app's first page from words: "画一张…" with no photo starts a conversation on a drawn picture."""
from __future__ import annotations

import pytest
from test_app import last_reply, new_app, ok, said, send, state


@pytest.fixture(autouse=True)
def app_env(model_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("EDIT_EVERYTHING_PRESET", "tiny")
    monkeypatch.setenv("EDIT_EVERYTHING_DATA", str(tmp_path / "data"))


def test_the_first_page_draws_a_picture_from_words_and_the_chat_goes_on():
    app = new_app()
    ok(app)
    assert app.chat_input(key="chat").placeholder.startswith("还没有图片：说说要画什么")
    assert app.button(key="sample-chelsea") is not None  # samples and upload stay
    send(app, "画一张海边日落的图片")
    ok(app)
    session = state(app).session
    assert session is not None and app.query_params["session"] == session.id
    assert session.versions[0].steps[0].command.action == "generate" and session.pointer == 0
    assert said(app)[:2] == [("user", "画一张海边日落的图片"), ("assistant", session.log[0].reply)]
    assert last_reply(app).startswith("好了：画了一张新图：")
    assert {"inpaint", "save"} <= {e.stage for e in state(app).reply.progress}  # shown as for other turns
    assert any("第 0 版" in c.value for c in app.caption)

    send(app, "把猫换成狗")  # then on like an upload
    ok(app)
    assert session.pointer == 1 and last_reply(app) == "好了：把“猫”换成了“狗”。"
    app.button(key="tool-undo").click().run()
    assert session.pointer == 0 and last_reply(app) == "已撤销，回到第 0 版。"

    again = new_app({"session": session.id})  # a refresh brings the drawn picture back
    ok(again)
    assert state(again).session.versions[0].instruction == "画一张海边日落的图片" and said(again) == said(app)


@pytest.mark.parametrize("words, expected", [
    ("把猫换成狗", "还没有图片，“把猫换成狗”也没有说要画什么"),
    ("   ", "请说要画什么"),
    ("replace the cat with a dog", "There is no picture yet"),
])
def test_words_that_ask_for_no_picture_get_one_line_and_nothing_starts(words, expected):
    app = new_app()
    send(app, words)
    ok(app)
    assert state(app).session is None and "session" not in app.query_params
    (warning,) = app.warning
    assert warning.value.replace("\\", "").startswith(expected) and "Traceback" not in warning.value
    app.button(key="sample-chelsea").click().run()  # the page still works
    ok(app)
    assert state(app).session is not None
