"""The Python API checks its arguments before any model work: a misuse gets one BadInputError that
names the argument and the value it got (a session turn answers with a reply instead of raising).

Every example runs on a fresh Editor over the tiny preset whose lazy models were never loaded, and
checks they are still not loaded afterwards: the refusal came before SAM, CLIP or SD were touched.
"""
import math

import numpy as np
import pytest
from PIL import Image

from agent.editor import Editor, EditSettings
from agent.session.session import Session
from tools.errors import BadInputError
from tools.regions import check_box, check_point

NAN, INF = math.nan, math.inf


@pytest.fixture
def cold_editor(tiny_models):
    """An editor whose models have not been loaded (a fresh `load_models("tiny")`)."""
    from tools.models import load_models

    return Editor(load_models("tiny"), EditSettings(steps=1))


def nothing_loaded(editor: Editor) -> bool:
    return editor.models._loaded == {}


# (name, call on (editor, photo), words the English message must contain)
EDITOR_MISUSE = [
    ("rgba-image", lambda e, p: e.edit(p.convert("RGBA"), source="cat", target="dog"), ["image", "RGBA", "convert"]),
    ("grey-image", lambda e, p: e.edit(p.convert("L"), source="cat", target="dog"), ["image", "'L'"]),
    ("numpy-image", lambda e, p: e.edit(np.asarray(p), source="cat", target="dog"), ["image", "ndarray"]),
    ("path-as-image", lambda e, p: e.edit("cat.jpg", source="cat", target="dog"), ["image", "str", "load_image"]),
    ("source-none", lambda e, p: e.edit(p, source=None, target="dog"), ["source", "None"]),
    ("source-number", lambda e, p: e.edit(p, source=123, target="dog"), ["source", "int"]),
    ("source-blank", lambda e, p: e.edit(p, source="  ", target="dog"), ["source"]),
    ("target-none", lambda e, p: e.edit(p, source="cat", target=None), ["target"]),
    ("target-list", lambda e, p: e.edit(p, source="cat", target=["dog"]), ["target", "list"]),
    ("language-fr", lambda e, p: e.edit(p, source="cat", target="dog", language="fr"), ["language", "fr"]),
    ("remove-and-add", lambda e, p: e.edit(p, source="cat", target="dog", remove=True, add=True),
     ["remove", "add"]),
    ("steps-zero", lambda e, p: e.edit(p, source="cat", target="dog", settings=EditSettings(steps=0)), ["steps"]),
    ("settings-dict", lambda e, p: e.edit(p, source="cat", target="dog", settings={"steps": 1}),
     ["settings", "dict"]),
    ("apply-explode", lambda e, p: e.apply(p, np.ones((p.height, p.width), bool), action="explode"),
     ["action", "explode"]),
    ("apply-float-mask", lambda e, p: e.apply(p, np.ones((p.height, p.width)), action="remove"),
     ["mask", "float64"]),
    ("apply-uint8-mask", lambda e, p: e.apply(p, np.full((p.height, p.width), 255, np.uint8), action="remove"),
     ["mask", "uint8", "mask > 0"]),
    ("apply-mask-wrong-size", lambda e, p: e.apply(p, np.ones((10, 10), bool), action="remove"),
     ["mask", "(10, 10)", "(106, 160)"]),
    ("apply-mask-3d", lambda e, p: e.apply(p, np.ones((p.height, p.width, 3), bool), action="remove"),
     ["mask", "HxW"]),
    ("apply-empty-mask", lambda e, p: e.apply(p, np.zeros((p.height, p.width), bool), action="remove"),
     ["mask", "no pixel"]),
    ("apply-mask-list", lambda e, p: e.apply(p, [[True]], action="remove"), ["mask", "list"]),
    ("apply-language-fr", lambda e, p: e.apply(p, np.ones((p.height, p.width), bool), action="remove",
                                               language="fr"), ["language", "fr"]),
    ("apply-rgba", lambda e, p: e.apply(p.convert("RGBA"), np.ones((p.height, p.width), bool), action="remove"),
     ["image", "RGBA"]),
    ("apply-target-missing", lambda e, p: e.apply(p, np.ones((p.height, p.width), bool), action="replace"),
     ["target"]),
    ("region-nan-point", lambda e, p: e.region(p, point=(NAN, 5)), ["point", "x", "nan"]),
    ("region-inf-point", lambda e, p: e.region(p, point=(5, INF)), ["point", "y", "inf"]),
    ("region-point-outside", lambda e, p: e.region(p, point=(9000, 5)), ["9000", "outside"]),
    ("region-point-three-numbers", lambda e, p: e.region(p, point=(1, 2, 3)), ["point", "(1, 2, 3)"]),
    ("region-point-text", lambda e, p: e.region(p, point="12"), ["point", "'12'"]),
    ("region-nan-box", lambda e, p: e.region(p, box=(NAN, 0, 50, 50)), ["box", "x0", "nan"]),
    ("region-box-backwards", lambda e, p: e.region(p, box=(50, 0, 10, 50)), ["box", "x1", "x0"]),
    ("region-box-flat", lambda e, p: e.region(p, box=(0, 20, 50, 20)), ["box", "y1", "y0"]),
    ("region-box-outside", lambda e, p: e.region(p, box=(500, 500, 600, 600)), ["box", "outside"]),
    ("region-point-and-box", lambda e, p: e.region(p, point=(1, 1), box=(0, 0, 9, 9)), ["point", "box"]),
    ("region-rgba", lambda e, p: e.region(p.convert("RGBA"), point=(5, 5)), ["image", "RGBA"]),
]


@pytest.mark.parametrize("call, words", [c[1:] for c in EDITOR_MISUSE], ids=[c[0] for c in EDITOR_MISUSE])
def test_editor_misuse_is_refused_up_front_naming_the_argument(cold_editor, small_photo, call, words):
    with pytest.raises(BadInputError) as raised:
        call(cold_editor, small_photo)
    error = raised.value
    for word in words:
        assert word in error.message, (word, error.message)
    assert len(error.message.splitlines()) == 1 and error.message_zh != error.message
    assert nothing_loaded(cold_editor), "the refusal came after loading a model"


def test_a_remove_method_that_does_not_exist_is_refused_when_the_settings_are_made():
    with pytest.raises(BadInputError, match="remove_method.*'magic'.*sd.*opencv"):
        EditSettings(remove_method="magic")


def test_the_checks_let_a_proper_edit_through(editor, small_photo):
    result = editor.edit(small_photo, source="cat", target="dog", language=None)
    assert result.image.size == small_photo.size and result.mask.any()
    removed = editor.apply(small_photo, result.mask, action="remove", settings=EditSettings(remove_method="opencv"))
    assert removed.mask.any()


# ----------------------------------------------------------------------------------- Session
def reply_is_refusal(reply, session, *words):
    assert reply.kind == "error" and reply.error == "bad_input", reply
    assert len(reply.text.splitlines()) == 1
    for word in words:
        assert word in reply.text, (word, reply.text)
    assert len(session.versions) == 1 and session.pointer == 0
    return True


SESSION_MISUSE = [
    ("send-a-number", lambda s: s.send(123), ["text", "int"]),
    ("send-bytes", lambda s: s.send("把猫换成狗".encode()), ["text", "bytes"]),
    ("send-nan-box", lambda s: s.send("去掉", box=(NAN, 0, 50, 50)), ["x0", "nan"]),
    ("send-backwards-box", lambda s: s.send("去掉", box=(50, 50, 10, 10)), ["x1", "x0"]),
    ("send-box-outside", lambda s: s.send("去掉", box=(-90, -90, -10, -10)), ["(-90, -90, -10, -10)"]),
    ("send-inf-point", lambda s: s.send("换成狗", point=(INF, 3)), ["x", "inf"]),
    ("send-short-box", lambda s: s.send("去掉", box=(1, 2, 3)), ["(x0, y0, x1, y1)", "(1, 2, 3)"]),
    ("goto-text", lambda s: s.goto("1"), ["version", "'1'"]),
    ("goto-fraction", lambda s: s.goto(1.5), ["version", "1.5"]),
    ("goto-bool", lambda s: s.goto(True), ["version", "True"]),
    ("pick-text", lambda s: s.pick("2"), ["number", "'2'"]),
    ("pick-nan-point", lambda s: s.pick(point=(NAN, 4)), ["x", "nan"]),
]


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("call, words", [c[1:] for c in SESSION_MISUSE], ids=[c[0] for c in SESSION_MISUSE])
def test_session_misuse_gets_a_one_line_reply_in_the_users_language(cold_editor, small_photo, call, words,
                                                                    language):
    session = Session(small_photo, cold_editor, language=language)
    reply = call(session)
    assert reply_is_refusal(reply, session, *words)
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in reply.text)
    assert reply.language == language and chinese == (language == "zh")
    assert nothing_loaded(cold_editor)


def test_goto_says_the_version_must_be_a_whole_number(cold_editor, small_photo):
    assert Session(small_photo, cold_editor, language="en").goto("1").text == \
        "version must be a whole number, got '1'."
    assert Session(small_photo, cold_editor).goto("1").text == "version 必须是整数，收到 '1'。"
    assert Session(small_photo, cold_editor).goto(7).text == "没有第 7 版（共有第 0 到第 0 版）。"


def test_a_region_outside_the_picture_is_refused_by_session_region(cold_editor, small_photo):
    session = Session(small_photo, cold_editor)
    with pytest.raises(BadInputError, match="x0 must be a finite number, got nan"):
        session.region(box=(NAN, 0, 50, 50))
    assert nothing_loaded(cold_editor)


def test_a_session_takes_any_pil_image_and_keeps_its_transparency(cold_editor, small_photo):
    rgba = small_photo.convert("RGBA")
    rgba.putalpha(Image.new("L", small_photo.size, 128))
    session = Session(rgba, cold_editor)
    assert session.image.mode == "RGB" and session.alpha is not None
    assert session.alpha.getextrema() == (128, 128)
    grey = Session(small_photo.convert("L"), cold_editor)
    assert grey.image.mode == "RGB" and grey.alpha is None


@pytest.mark.parametrize("image, words", [
    (None, ["image", "NoneType"]), ("cat.jpg", ["image", "str", "load_image"]),
    (np.zeros((64, 64, 3), np.uint8), ["image", "ndarray", "Image.fromarray"]),
    (Image.new("RGB", (4, 4)), ["4x4", "16"]),
], ids=["none", "path", "numpy", "too-small"])
def test_a_session_refuses_what_is_not_a_picture_naming_it(cold_editor, image, words):
    with pytest.raises(BadInputError) as raised:
        Session(image, cold_editor)
    for word in words:
        assert word in raised.value.message, raised.value.message


# ------------------------------------------------------------------------- the shared checker
def test_the_shared_checker_clips_a_box_that_pokes_out_and_refuses_the_rest():
    assert check_box((-10, -10, 50, 40), size=(100, 80)) == (0.0, 0.0, 50.0, 40.0)
    assert check_point((99.5, 0), size=(100, 80)) == (99.5, 0.0)
    for box, word in [((0, 0, NAN, 5), "x1"), ((0, 0, 5, -INF), "y1"), ((9, 0, 9, 5), "x1 (9)"),
                      ((100, 0, 120, 5), "outside"), ((0, 0, 5), "4 numbers"), ((0, 0, 5, True), "y1")]:
        with pytest.raises(BadInputError, match=word.replace("(", r"\(").replace(")", r"\)")):
            check_box(box, size=(100, 80))
    with pytest.raises(BadInputError, match="outside"):
        check_point((100, 5), size=(100, 80))


def test_the_segmenter_itself_refuses_a_nan_box(tiny_models, small_photo):
    with pytest.raises(BadInputError, match="nan"):
        tiny_models.segmenter().segment_box(small_photo, (NAN, 0, 50, 50))
