"""The Streamlit app driven headless by streamlit.testing.v1.AppTest, with the tiny preset."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from synthetic import BLUE, RED, SyntheticModels, picture

TIMEOUT = 120  # seconds per script run: the first one builds and loads the tiny models


@pytest.fixture(autouse=True)
def app_env(model_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("EDIT_EVERYTHING_PRESET", "tiny")
    monkeypatch.setenv("EDIT_EVERYTHING_DATA", str(tmp_path / "data"))


def new_app(query: dict | None = None) -> AppTest:
    app = AppTest.from_file("../ui/app.py", default_timeout=TIMEOUT)
    app.query_params.update(query or {})
    return app.run()


def state(app: AppTest):
    return app.session_state["edit_everything"]


def said(app: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every chat message on the page, markdown escapes removed."""
    return [(message.name, "".join(m.value for m in message.markdown).replace("\\", ""))
            for message in app.chat_message]


def last_reply(app: AppTest) -> str:
    return [text for role, text in said(app) if role == "assistant"][-1]


def send(app: AppTest, text: str) -> AppTest:
    return app.chat_input(key="chat").set_value(text).run()


def ok(app: AppTest) -> None:
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def same(a: Image.Image, b: Image.Image) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_sample_edit_edit_undo_redo_reset(cat_photo):
    app = new_app()
    ok(app)
    assert app.title[0].value.startswith("Edit Everything")
    app.button(key="sample-chelsea").click().run()
    ok(app)
    session = state(app).session
    assert same(session.image, cat_photo) and app.query_params["session"] == session.id

    send(app, "把猫换成狗")
    ok(app)
    assert last_reply(app) == "好了：把“猫”换成了“狗”。" and session.pointer == 1
    first = session.image
    send(app, "把沙发变成红色")
    ok(app)
    assert session.pointer == 2 and not same(session.image, first)
    assert any("第 2 版" in c.value for c in app.caption)

    app.button(key="tool-undo").click().run()
    assert session.pointer == 1 and same(session.image, first) and last_reply(app) == "已撤销，回到第 1 版。"
    app.button(key="tool-redo").click().run()
    assert session.pointer == 2 and last_reply(app) == "已重做，现在是第 2 版。"
    app.button(key="tool-reset").click().run()
    ok(app)
    assert same(session.image, cat_photo) and last_reply(app).startswith("已恢复原图")
    app.button(key="goto-1").click().run()  # the history strip
    assert session.pointer == 1 and same(session.image, first)
    assert [role for role, _ in said(app)] == ["user", "assistant"] * 6
    assert [label for label in (b.label for b in app.button) if label.startswith("第")] == \
        ["第 1 版", "第 2 版", "第 3 版"]


def test_upload_then_edit_with_progress_and_settings(cat_photo):
    app = new_app()
    app.file_uploader(key="upload").set_value(("cat.png", png(cat_photo), "image/png")).run()
    ok(app)
    session = state(app).session
    assert session is not None and same(session.image, cat_photo)
    app.sidebar.number_input(key="seed").set_value(7).run()
    send(app, "make the cat a dog")
    ok(app)
    assert session.pointer == 1 and session.current.seed == 7 and session.language == "en"
    assert last_reply(app) == "Done: replaced 'cat' with 'dog'."
    assert app.title[0].value.endswith("edit pictures by chat")  # the interface follows the chat
    events = state(app).reply.progress
    assert {"segment", "rank", "inpaint", "save"} <= {e.stage for e in events}


@pytest.mark.parametrize("data, expected", [
    (b"this is not a picture", "这张图片用不了"),
    (png(Image.new("RGB", (6000, 5000))), "这张图片用不了"),  # 30 MP: above the app's 25 MP limit
    (png(Image.new("RGB", (8, 8))), "这张图片用不了"),
    (b"\x89PNG\r\n\x1a\n" + bytes(26 * 1024 * 1024), "这张图片用不了"),  # above the app's 25 MB limit
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "这张图片用不了"),
])
def test_a_bad_upload_is_refused_in_one_sentence(data, expected):
    app = new_app()
    app.file_uploader(key="upload").set_value(("photo.png", data, "image/png")).run()
    ok(app)
    assert state(app).session is None
    assert expected in app.warning[0].value and "Traceback" not in app.warning[0].value


def test_bad_messages_change_nothing_and_user_text_is_never_markup(cat_photo):
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    session = state(app).session
    send(app, "   ")
    assert last_reply(app) == "请说一句要怎么改，比如“把猫换成狗”。" and session.pointer == 0
    send(app, "<img src=x onerror=alert(1)> **bold** [link](http://example.com) :red[x]")
    ok(app)
    raw = [m.value for message in app.chat_message for m in message.markdown]
    assert raw[-2] == r"\<img src=x onerror=alert\(1\)\> \*\*bold\*\* \[link\]\(http\://example\.com\) \:red\[x\]"
    assert raw[-1].startswith(r"I didn't understand '\<img src=x")
    assert session.pointer == 0 and same(session.image, cat_photo)


def test_a_model_error_mid_turn_is_one_sentence_and_nothing_changes(cat_photo, monkeypatch):
    from agent.editor import Editor

    app = new_app()
    app.button(key="sample-chelsea").click().run()

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(Editor, "apply", broken)
    send(app, "把猫换成狗")
    ok(app)
    session = state(app).session
    assert last_reply(app) == "编辑时出了点问题，图片没有改变。"
    assert session.pointer == 0 and same(session.image, cat_photo)
    assert not any("out of memory" in text for _, text in said(app))


def test_point_guided_edit_and_a_click_outside(cat_photo):
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    session = state(app).session

    def choose(x, y):
        app.radio(key="shape").set_value("point")
        app.number_input(key="coord-x0").set_value(x)
        app.number_input(key="coord-y0").set_value(y)
        return app.button(key="select-region").click().run()

    choose(900, 40)
    ok(app)
    assert "点在图片外面了" in app.warning[0].value and state(app).selection is None
    choose(220, 150)
    ok(app)
    selection = state(app).selection
    assert selection.kind == "point" and selection.value == (220, 150) and selection.mask.shape == (300, 451)
    assert "已选中点 (220, 150)" in app.info[0].value
    send(app, "换成狗")
    ok(app)
    assert session.pointer == 1 and session.current.steps[0].prompt == "point"
    assert last_reply(app) == "好了：把“点选的区域”换成了“狗”。" and state(app).selection is None


def test_box_guided_removal(cat_photo):
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    app.radio(key="shape").set_value("box")
    for name, value in zip(("x0", "y0", "x1", "y1"), (100, 50, 300, 250)):
        app.number_input(key=f"coord-{name}").set_value(value)
    app.button(key="select-region").click().run()
    assert state(app).selection.kind == "box"
    send(app, "去掉")
    ok(app)
    session = state(app).session
    assert session.pointer == 1 and session.current.steps[0].prompt == "box"
    assert session.current.steps[0].command.action == "remove"


@pytest.fixture
def synthetic(tiny_models, monkeypatch):
    """Models whose scores mean something (coloured blobs, a colour scorer), in place of the tiny ones."""
    import ui.models

    models = SyntheticModels.over(tiny_models)
    monkeypatch.setattr(ui.models, "shared_models", lambda preset: models)
    return picture(((20, 30, 80, 90), RED), ((140, 40, 200, 100), RED), ((100, 110, 130, 150), BLUE))


def start_with(app: AppTest, image: Image.Image) -> None:
    app.file_uploader(key="upload").set_value(("blocks.png", png(image), "image/png")).run()


def test_candidates_are_numbered_and_a_click_picks_one(synthetic):
    app = new_app()
    start_with(app, synthetic)
    session = state(app).session
    send(app, "把红色方块换成狗")
    ok(app)
    assert "要改哪一个" in last_reply(app) and session.pending is not None and session.pointer == 0
    assert [b.label for b in app.button if b.key and b.key.startswith("pick-")] == ["选 1", "选 2"]
    app.button(key="pick-2").click().run()
    ok(app)
    assert session.pointer == 1 and session.pending is None and last_reply(app).startswith("好了")
    changed = session.current.mask
    assert changed[70, 170] and not changed[60, 50]  # the second (right) red block, not the first


def test_typing_the_pick_works_too(synthetic):
    app = new_app()
    start_with(app, synthetic)
    send(app, "把红色方块换成狗")
    send(app, "选第一个")
    ok(app)
    session = state(app).session
    assert session.pointer == 1 and session.current.mask[60, 50] and not session.current.mask[70, 170]


def test_not_found_says_so_and_changes_nothing(synthetic):
    app = new_app()
    start_with(app, synthetic)
    session = state(app).session
    send(app, "去掉绿色方块")
    ok(app)
    assert last_reply(app).startswith("没有找到“绿色方块”") and session.pointer == 0
    assert same(session.image, synthetic)


def test_a_new_browser_session_with_the_id_restores_the_conversation(cat_photo):
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    send(app, "把猫换成狗")
    send(app, "撤销")
    session_id = app.query_params["session"]
    edited = state(app).session.versions[1].image

    again = new_app({"session": session_id})  # a refresh, or a server restart: a new script run
    ok(again)
    restored = state(again).session
    assert restored is not state(app).session and restored.id == session_id
    assert restored.pointer == 0 and same(restored.versions[1].image, edited)
    assert said(again) == said(app)
    again.button(key="tool-redo").click().run()
    assert restored.pointer == 1 and last_reply(again) == "已重做，现在是第 1 版。"


def test_a_restored_conversation_keeps_the_language_the_user_wrote_in():
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    send(app, "make the cat a dog")
    app.button(key="tool-undo").click().run()
    again = new_app({"session": app.query_params["session"]})
    assert state(again).session.language == "en" and again.title[0].value.endswith("edit pictures by chat")
    again.button(key="tool-redo").click().run()
    assert last_reply(again) == "Redone: now at version 1."


def test_two_browser_sessions_never_share_pictures_or_history(cat_photo):
    first, second = new_app(), new_app()
    first.button(key="sample-chelsea").click().run()
    second.button(key="sample-coffee").click().run()
    send(first, "把猫换成狗")
    one, two = state(first).session, state(second).session
    assert one.id != two.id and one.pointer == 1 and two.pointer == 0 and len(said(second)) == 1
    assert not same(two.image.resize(one.image.size), one.image)


def test_an_unknown_session_id_starts_fresh_with_a_message():
    app = new_app({"session": "A" * 22})
    ok(app)
    assert state(app).session is None and "无法打开之前的会话" in app.warning[0].value
    app = new_app({"session": "../../etc"})
    assert state(app).session is None and "不是有效的会话编号" in app.warning[0].value


def test_the_preset_comes_from_argv_then_the_environment(monkeypatch):
    from ui.state import startup_preset

    assert startup_preset(["--preset", "tiny"]) == "tiny"
    monkeypatch.setenv("EDIT_EVERYTHING_PRESET", "en")
    assert startup_preset([]) == "en"
    monkeypatch.delenv("EDIT_EVERYTHING_PRESET")
    assert startup_preset([]) == "auto" and startup_preset(["--preset", "nonsense"]) == "auto"


def test_downloads_and_the_llm_switch_without_a_configured_model(cat_photo, monkeypatch):
    import zipfile

    from ui.widgets import export_bytes

    monkeypatch.delenv("EDIT_LLM_PROVIDER", raising=False)
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    send(app, "把猫换成狗")
    assert {b.label for b in app.get("download_button")} == {"下载当前图片", "导出整个会话（zip）"}
    with zipfile.ZipFile(io.BytesIO(export_bytes(state(app).session))) as archive:
        assert {"final.png", "conversation.txt", "versions/v000.png", "versions/v001.png"} <= set(archive.namelist())
    app.sidebar.toggle(key="llm").set_value(True).run()
    ok(app)
    assert any("没有配置大模型" in c.value for c in app.sidebar.caption)
    send(app, "撤销")
    assert last_reply(app) == "已撤销，回到第 0 版。"


def test_a_preset_whose_models_are_missing_answers_in_one_sentence(cat_photo, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "no-models"))
    monkeypatch.setenv("EDIT_EVERYTHING_SAM", str(tmp_path / "missing-sam.pth"))
    app = new_app()
    app.button(key="sample-chelsea").click().run()
    app.sidebar.selectbox(key="preset").set_value("en").run()
    ok(app)
    send(app, "replace the cat with a dog")  # a model path is checked when a turn first needs it
    ok(app)
    answer = said(app)[-1]
    assert answer[0] == "assistant" and "EDIT_EVERYTHING_SAM" in answer[1] and "missing-sam.pth" in answer[1]
    assert "Traceback" not in answer[1] and state(app).session.pointer == 0
    app.sidebar.selectbox(key="preset").set_value("tiny").run()
    send(app, "把猫换成狗")
    ok(app)
    assert state(app).session.pointer == 1 and not same(state(app).session.image, cat_photo)


def test_new_conversation_leaves_the_old_one_on_disk():
    app = new_app()
    app.button(key="sample-coffee").click().run()
    old = app.query_params["session"]
    app.sidebar.button(key="new_session").click().run()
    ok(app)
    assert state(app).session is None and "session" not in app.query_params
    assert state(new_app({"session": old})).session.id == old


def test_generation_is_serialised_and_a_waiting_session_is_told():
    import threading

    from ui.models import generation

    waited, inside, order = [], threading.Event(), []

    def first():
        with generation():
            inside.set()
            order.append("first starts")
            threading.Event().wait(0.3)
            order.append("first ends")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    with generation(on_wait=lambda: waited.append(True)):
        order.append("second")
    thread.join()
    assert waited == [True] and order == ["first starts", "first ends", "second"]


def test_progress_reported_from_another_thread_reaches_the_page():
    """A session following a server's event stream reports progress from its own thread: it still shows."""
    def script():
        import threading

        import streamlit as st

        from agent.edit_types import Progress
        from ui.turns import from_any_thread

        shown = st.empty()
        report = from_any_thread(lambda event: shown.markdown(f"step {event.done}/{event.total}"))
        worker = threading.Thread(target=report, args=(Progress("inpaint", 1, 2),))
        worker.start()
        worker.join()

    app = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    ok(app)
    assert [m.value for m in app.markdown] == ["step 1/2"]
