"""The Streamlit app against a server (EDIT_EVERYTHING_SERVER): a real local Ray Serve of the tiny
preset, started once for this module; the page is driven headless by streamlit.testing.v1.AppTest.

The two tests of the first page from words need `HttpSession.from_words` (POST /v1/sessions with JSON
{"text"}), which comes with the server's sessions from words."""
from __future__ import annotations

import io
import threading
import time
import zipfile

import httpx
import pytest
from PIL import Image
from served import diffusing, free_port, serving
from streamlit.testing.v1 import AppTest
from test_app import last_reply, new_app, ok, png, said, same, send, state


@pytest.fixture(scope="module")
def server(tiny_models, tmp_path_factory):
    """The served API's address; the sessions it saves are in its own folder."""
    with serving(tmp_path_factory.mktemp("served-sessions")) as url:
        yield url


@pytest.fixture(autouse=True)
def app_env(server, tmp_path, monkeypatch):
    monkeypatch.setenv("EDIT_EVERYTHING_SERVER", server)
    monkeypatch.setenv("EDIT_EVERYTHING_DATA", str(tmp_path / "local"))  # nothing may land here
    monkeypatch.delenv("EDIT_EVERYTHING_PRESET", raising=False)


def upload(app: AppTest, photo: Image.Image, *, steps: int = 1) -> None:
    app.sidebar.number_input(key="steps-tiny").set_value(steps).run()
    app.file_uploader(key="upload").set_value(("cat.png", png(photo), "image/png")).run()
    ok(app)


def test_an_upload_an_edit_and_undo_run_on_the_server_with_the_embedded_reply(server, tiny_models, small_photo,
                                                                                tmp_path):
    from agent.editor import Editor, EditSettings
    from agent.session import Session

    app = new_app()
    ok(app)
    preset = app.sidebar.selectbox(key="preset-fixed")
    assert preset.value == "tiny" and preset.disabled  # the server's preset, shown, not switchable
    assert not [toggle for toggle in app.sidebar.toggle if toggle.key == "llm"]
    assert any(server in caption.value for caption in app.sidebar.caption)
    upload(app, small_photo, steps=1)
    session = state(app).session
    assert app.query_params["session"] == session.id and same(session.image, small_photo)
    assert httpx.get(f"{server}/v1/sessions/{session.id}").json()["version"] == 0

    send(app, "把猫换成狗")
    ok(app)
    embedded = Session(small_photo, Editor(tiny_models, EditSettings(steps=1, seed=0)))
    reply = embedded.send("把猫换成狗")
    assert last_reply(app) == reply.text == "好了：把“猫”换成了“狗”。"
    assert session.pointer == 1 and same(session.image, embedded.image)  # the sidebar's steps reached it
    assert any("第 1 版" in caption.value for caption in app.caption)
    assert not app.toggle(key="show_mask").disabled  # the edited region can be shown
    assert {"segment", "inpaint"} <= {event.stage for event in state(app).reply.progress}

    app.button(key="tool-undo").click().run()
    ok(app)
    assert last_reply(app) == "已撤销，回到第 0 版。" and session.pointer == 0 and same(session.image, small_photo)
    assert app.button(key="tool-undo").disabled and not app.button(key="tool-redo").disabled
    assert [b.label for b in app.button if b.key and b.key.startswith("goto-")] == ["原图", "第 1 版"]
    assert [role for role, _ in said(app)] == ["user", "assistant"] * 2
    from ui.widgets import export_bytes

    assert any(name.endswith(".png") for name in zipfile.ZipFile(io.BytesIO(export_bytes(session))).namelist())
    assert not (tmp_path / "local").exists()  # the session lives on the server only


def test_a_click_selects_the_servers_mask_and_the_edit_uses_it(small_photo):
    app = new_app()
    upload(app, small_photo)
    app.radio(key="shape").set_value("point")
    app.number_input(key="coord-x0").set_value(80)
    app.number_input(key="coord-y0").set_value(50)
    app.button(key="select-region").click().run()
    ok(app)
    selection = state(app).selection
    assert selection.mask.dtype == bool and selection.mask.shape == (106, 160) and selection.mask.any()
    assert "已选中点 (80, 50)" in app.info[0].value
    send(app, "换成狗")
    ok(app)
    assert last_reply(app) == "好了：把“点选的区域”换成了“狗”。" and state(app).selection is None
    assert state(app).session.pointer == 1


def test_a_refresh_reopens_the_servers_conversation_and_an_unknown_id_starts_fresh(small_photo):
    app = new_app()
    upload(app, small_photo)
    send(app, "make the cat a dog")
    again = new_app({"session": app.query_params["session"]})  # a refresh: a new script run
    ok(again)
    restored = state(again).session
    assert restored is not state(app).session and restored.pointer == 1 and said(again) == said(app)
    assert again.title[0].value.endswith("edit pictures by chat")  # the conversation's language
    again.button(key="tool-undo").click().run()
    assert last_reply(again) == "Undone: back to version 0."

    unknown = new_app({"session": "A" * 32})
    ok(unknown)
    assert state(unknown).session is None and "无法打开之前的会话" in unknown.warning[0].value
    tricky = new_app({"session": "../../etc"})
    assert state(tricky).session is None and "不是有效的会话编号" in tricky.warning[0].value


def test_a_server_out_of_reach_is_one_line_and_nothing_is_lost(small_photo, monkeypatch):
    app = new_app()
    upload(app, small_photo)
    session = state(app).session
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    session.url, session.client.base_url = gone, gone  # the server went away mid-conversation
    send(app, "把猫换成狗")
    ok(app)
    assert app.warning[0].value.replace("\\", "") == f"无法连接服务器 {gone}。"
    assert session.pointer == 0 and same(session.image, small_photo)
    assert [b.label for b in app.button if b.key and b.key.startswith("goto-")] == ["原图"]

    monkeypatch.setenv("EDIT_EVERYTHING_SERVER", gone)  # an app started against a server that is not there
    down = new_app()
    ok(down)
    assert [w.value.replace("\\", "") for w in down.warning] == [f"无法连接服务器 {gone}。"]
    assert "Traceback" not in str(down)



def test_a_turn_the_server_refuses_is_one_line_on_the_page(server, small_photo):
    """Another client's turn still runs on this session: the server answers 429 busy, the page says so."""
    app = new_app()
    upload(app, small_photo, steps=12)
    session = state(app).session
    other: dict = {}
    worker = threading.Thread(target=lambda: other.update(answer=httpx.post(
        f"{server}/v1/sessions/{session.id}/messages", json={"text": "把猫换成狗"}, timeout=300)))
    worker.start()
    with httpx.Client(base_url=server, timeout=60) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not diffusing(client, session.id):
            time.sleep(0.05)
    send(app, "把沙发变成红色")
    worker.join()
    ok(app)
    assert [w.value.replace("\\", "") for w in app.warning] == \
        ["这个会话还在处理上一条消息；请等它完成后再发送。"]
    assert other["answer"].status_code == 200
    assert not any("把沙发变成红色" in text for _, text in said(app))  # the refused words made no turn


def test_words_on_the_first_page_draw_the_first_picture_on_the_server(server):
    app = new_app()
    app.sidebar.number_input(key="steps-tiny").set_value(1).run()
    send(app, "画一张海边日落的图片")
    ok(app)
    session = state(app).session
    assert session is not None and app.query_params["session"] == session.id
    assert said(app)[:2] == [("user", "画一张海边日落的图片"), ("assistant", session.log[0].reply)]
    assert last_reply(app).startswith("好了：画了一张新图：") and session.pointer == 0
    shown = httpx.get(f"{server}/v1/sessions/{session.id}").json()
    assert shown["versions"][0]["instruction"] == "画一张海边日落的图片"
    send(app, "把图片调亮一点")  # then on like an upload
    ok(app)
    assert session.pointer == 1 and [b.label for b in app.button if b.key and b.key.startswith("goto-")] == \
        ["原图", "第 1 版"]


def test_words_that_ask_for_no_picture_get_the_servers_one_line_and_nothing_starts():
    app = new_app()
    send(app, "把猫换成狗")
    ok(app)
    assert state(app).session is None and "session" not in app.query_params
    (warning,) = app.warning
    assert warning.value.replace("\\", "").startswith("还没有图片，“把猫换成狗”也没有说要画什么")
    assert "Traceback" not in warning.value
