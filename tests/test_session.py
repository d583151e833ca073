"""A session end to end with the tiny preset: turns, history, bad input, threads."""
import threading

import numpy as np
import pytest
from conftest import changed_pixels
from PIL import Image

from agent.editor import Editor, EditSettings
from agent.session.session import Session


@pytest.fixture(scope="module")
def editor(tiny_models):
    return Editor(tiny_models, EditSettings(steps=2))


@pytest.fixture
def session(editor, cat_photo):
    return Session(cat_photo, editor)


def same(a: Image.Image, b: Image.Image) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_each_turn_works_on_the_latest_result(session, cat_photo):
    first = session.send("把猫换成狗")
    assert first.kind == "edited" and first.text == "好了：把“猫”换成了“狗”。" and first.version == 1
    second = session.send("把沙发变成红色")
    assert second.version == 2 and len(session.versions) == 3
    assert not (changed_pixels(first.image, second.image) & ~session.current.mask).any()
    version = session.current
    assert version.instruction == "把沙发变成红色" and version.commands[0].source == "沙发"
    assert version.seed == 0 and version.model_ids["inpainter"].endswith("sd_zh")
    assert {"segment", "rank", "inpaint"} <= set(version.timings)
    assert same(session.versions[0].image, cat_photo)


def test_undo_redo_and_a_new_edit_drops_the_redo_tail(session):
    one = session.send("把猫换成狗").image
    two = session.send("把背景变成蓝色").image
    undo = session.send("撤销")
    assert undo.kind == "history" and undo.version == 1 and same(session.image, one)
    assert undo.changed is not None and undo.changed.any()
    redo = session.send("重做")
    assert redo.version == 2 and same(session.image, two)
    session.undo()
    session.send("remove the cat")
    assert [v.instruction for v in session.versions] == ["", "把猫换成狗", "remove the cat"]
    nothing = session.redo()
    assert nothing.kind == "error" and nothing.text == "Nothing to redo: this is the latest version."


def test_reset_goes_back_to_the_original_and_keeps_the_history(session, cat_photo):
    edited = session.send("把猫换成狗").image
    reply = session.send("恢复原图")
    assert reply.kind == "history" and same(reply.image, cat_photo)
    assert [v.kind for v in session.versions] == ["original", "edit", "reset"]
    assert session.send("恢复原图").text == "现在已经是原图了。"
    session.undo()
    assert same(session.image, edited)


def test_regenerate_repaints_the_same_region_with_the_next_seed_as_a_new_version(session):
    first = session.send("把猫换成狗")
    mask = session.current.mask
    again = session.send("重新生成")
    assert again.kind == "edited" and "1" in again.text and again.version == 2 and len(session.versions) == 3
    assert session.current.kind == "regenerate" and session.current.seed == 1
    assert np.array_equal(session.current.steps[0].region, session.versions[1].steps[0].region)
    assert not same(first.image, again.image)
    assert not (changed_pixels(session.versions[0].image, again.image) & ~mask).any()  # from the original
    third = session.send("再来一次")  # a regenerate of a regenerate still starts from the original
    assert third.version == 3 and session.current.seed == 2 and session.current.base == 0
    assert not (changed_pixels(session.versions[0].image, third.image) & ~mask).any()
    assert session.undo().version == 2 and session.undo().version == 1
    assert same(session.image, first.image)  # the first try is still there


def test_a_turn_that_drops_later_versions_says_which(session):
    session.send("把猫换成狗")
    session.send("把背景变成蓝色")
    session.send("去掉猫")
    session.goto(1)
    reply = session.send("再来一次")
    assert reply.kind == "edited" and reply.version == 2 and len(session.versions) == 3
    assert reply.text.endswith("（已丢弃第 2–3 版）")
    session.undo()
    assert session.send("remove the cat").text.endswith("(version 2 discarded)")
    assert session.send("把沙发变成红色").version == 3 and "丢弃" not in session.log[-1].reply
    session.undo()
    assert session.send("恢复原图").text.endswith("（已丢弃第 3 版）")


def test_undecodable_bytes_from_a_terminal_become_replacement_characters(editor, small_photo, tmp_path):
    from agent.session.store import SessionStore

    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    junk = b"\xff\xfe junk".decode("utf-8", "surrogateescape")  # what Python's stdin and argv give
    reply = session.send(junk)
    assert reply.kind == "error" and reply.saved is True
    assert store.load(session.id).log[0].said == "\ufffd\ufffd junk"
    assert session.send("把猫换成狗").saved is True


def test_goto_an_earlier_version(session):
    session.send("把猫换成狗")
    session.send("把背景变成蓝色")
    reply = session.goto(0)
    assert reply.version == 0 and reply.text == "现在是第 0 版。"
    assert session.goto(7).text == "没有第 7 版（共有第 0 到第 2 版）。" and session.pointer == 0


@pytest.mark.parametrize("call, expected", [
    (lambda s: s.send(""), "请说一句要怎么改，比如“把猫换成狗”。"),
    (lambda s: s.send("   "), "请说一句要怎么改，比如“把猫换成狗”。"),
    (lambda s: s.send("撤销"), "没有可以撤销的了。"),
    (lambda s: s.send("重做"), "已经是最新的版本，没有可以重做的。"),
    (lambda s: s.send("选第二个"), "现在没有可以选的候选。"),
    (lambda s: s.send("重新生成"), "这一版没有可以重新生成的编辑。"),
    (lambda s: s.send("换成狗", point=(9000, 5)), "点 (9000, 5) 在图片（451×300）之外。"),
    (lambda s: s.send("undo"), "Nothing to undo."),
    (lambda s: s.send("x" * 3000), None),
])
def test_bad_input_gets_a_short_reply_and_changes_nothing(session, call, expected):
    reply = call(session)
    no_op = expected in ("没有可以撤销的了。", "已经是最新的版本，没有可以重做的。", "现在没有可以选的候选。",
                         "这一版没有可以重新生成的编辑。", "Nothing to undo.")
    assert reply.kind == "error" and reply.error == ("nothing_to_do" if no_op else "bad_input")
    assert expected is None or reply.text == expected
    assert "Traceback" not in reply.text and len(session.versions) == 1 and session.pointer == 0


def test_a_model_error_mid_turn_is_one_sentence_and_the_session_is_unchanged(editor, cat_photo, monkeypatch):
    session = Session(cat_photo, editor)
    session.send("把猫换成狗")

    def broken(*args, **kwargs):
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(Editor, "apply", broken)
    reply = session.send("把背景变成蓝色")
    assert reply.kind == "error" and reply.error == "internal"
    assert reply.text == "编辑时出了点问题，图片没有改变。" and "CUDA" not in reply.text
    assert len(session.versions) == 2 and session.pointer == 1


def test_a_failing_step_keeps_the_steps_before_it(editor, cat_photo, monkeypatch):
    session = Session(cat_photo, editor)
    real_apply = Editor.apply

    def fails_on_the_second_step(self, image, mask, **kwargs):
        if kwargs.get("target") == "蓝色的背景":
            from tools.errors import ModelUnavailableError
            raise ModelUnavailableError("The inpainter is unavailable.", zh="重绘模型不可用。")
        return real_apply(self, image, mask, **kwargs)

    monkeypatch.setattr(Editor, "apply", fails_on_the_second_step)
    reply = session.send("把猫换成狗，然后把背景变成蓝色，然后去掉狗")
    assert reply.kind == "partial" and reply.version == 1
    assert "第 2 步（共 3 步" in reply.text and "重绘模型不可用" in reply.text and "已完成并保留" in reply.text
    assert [c.source for c in session.current.commands] == ["猫"]


def test_progress_comes_from_every_stage_and_each_diffusion_step(session):
    events = []
    reply = session.send("把猫换成狗", on_progress=events.append)
    stages = [e.stage for e in events]
    assert stages[:3] == ["parse", "segment", "rank"] and "select" in stages and stages[-1] == "done"
    done, total = [(e.done, e.total) for e in events if e.stage == "inpaint"][-1]
    assert done == total >= 2
    assert list(reply.progress) == events


def test_progress_says_which_edit_of_a_compound_message_is_running(session):
    events = []
    session.send("把猫换成狗，然后把背景变成蓝色", on_progress=events.append)
    inpainting = [(e.command, e.commands) for e in events if e.stage == "inpaint"]
    assert inpainting[0] == (1, 2) and inpainting[-1] == (2, 2)


def test_a_point_or_a_box_replaces_the_source(session):
    clicked = session.send("换成狗", point=(220, 140))
    assert clicked.kind == "edited" and session.current.steps[0].prompt == "point"
    assert clicked.text == "好了：把“点选的区域”换成了“狗”。"
    boxed = session.send("去掉", box=(100, 50, 300, 250))
    assert boxed.kind == "edited" and session.current.commands[0].action == "remove"
    assert session.current.steps[0].prompt == "box"
    assert session.send("", point=(10, 10)).text == "请说要把选中的区域换成什么（比如“换成狗”），或者说“去掉”。"


def test_alpha_of_the_upload_is_kept_for_export(editor, cat_photo, tmp_path):
    import zipfile

    from tools.images import load_image

    rgba = cat_photo.convert("RGBA")
    rgba.putalpha(Image.new("L", cat_photo.size, 180))
    rgba.save(tmp_path / "cat.png")
    session = Session(load_image(tmp_path / "cat.png"), editor)
    session.send("把猫换成狗")
    with zipfile.ZipFile(session.export(tmp_path / "out.zip")) as archive:
        names = set(archive.namelist())
        final = Image.open(archive.open("final.png"))
        assert final.mode == "RGBA" and np.asarray(final)[..., 3].max() == 180
    assert {"versions/v000.png", "versions/v001.png", "conversation.txt", "manifest.json"} <= names


def test_two_sessions_in_parallel_threads_never_mix_images(editor, cat_photo):
    flipped = cat_photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    sessions = [Session(cat_photo, editor), Session(flipped, editor)]
    replies: dict[int, list] = {0: [], 1: []}

    def talk(number):
        for text in ("把猫换成狗", "把背景变成蓝色", "撤销"):
            replies[number].append(sessions[number].send(text))

    threads = [threading.Thread(target=talk, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number, original in enumerate((cat_photo, flipped)):
        assert [r.kind for r in replies[number]] == ["edited", "edited", "history"]
        first = replies[number][0]
        unchanged = ~first.changed
        assert np.array_equal(np.asarray(first.image)[unchanged], np.asarray(original)[unchanged])
        assert same(sessions[number].image, first.image)
    assert not same(replies[0][0].image, replies[1][0].image)
