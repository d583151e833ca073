"""Restyle, adjust, move, resize and generate, read by the rules in both languages: what a user typing these
would see the editor do (the numbers are the EditCommand field descriptions')."""
from __future__ import annotations

import pytest

from agent import EditCommand, parse_instruction


def one(text: str) -> EditCommand:
    [command] = parse_instruction(text)
    return command


@pytest.mark.parametrize("text, look", [
    ("把整张图变成油画风格", "油画风格"), ("改成下雪天", "下雪天"), ("把图片变成冬天的样子", "冬天"),
    ("make it look like night", "night"), ("make it winter", "winter"),
    ("turn this into a pencil sketch", "pencil sketch"), ("turn the photo into an oil painting", "oil painting"),
])
def test_a_new_look_for_the_whole_picture_is_a_restyle_with_no_region(text, look):
    command = one(text)
    assert (command.action, command.source, command.target) == ("restyle", None, look)


def test_a_named_region_with_a_new_look_stays_a_replace():
    assert one("把天空换成晚霞") == EditCommand(action="replace", source="天空", target="晚霞", language="zh")
    assert one("make the cat look like a tiger").action == "replace"


@pytest.mark.parametrize("text, strength", [
    ("完全变成油画风格", 0.75), ("稍微改成冬天的感觉", 0.35), ("把照片变成水彩画", None),
    ("completely turn it into a watercolor", 0.75), ("slightly make it look like autumn", 0.35),
])
def test_how_strongly_to_restyle_comes_from_the_wording(text, strength):
    assert one(text).strength == strength


@pytest.mark.parametrize("text, source, kind, amount", [
    ("把照片调亮一点", None, "brightness", 0.25), ("把天空调亮一点", "天空", "brightness", 0.25),
    ("把天空调暗很多", "天空", "brightness", -1.0), ("增加对比度", None, "contrast", 0.5),
    ("背景虚化", "背景", "sharpness", -0.5), ("照片太暗了", None, "brightness", 0.5),
    ("调成暖色调", None, "warmth", 0.5), ("变成黑白照片", None, "grayscale", None),
    ("make the photo darker", None, "brightness", -0.5), ("brighten the sky a bit", "sky", "brightness", 0.25),
    ("blur the background", "background", "sharpness", -0.5), ("increase the contrast a lot", None, "contrast", 1.0),
    ("it's too dark", None, "brightness", 0.5), ("make it black and white", None, "grayscale", None),
])
def test_photo_adjustments_have_a_kind_a_signed_amount_and_a_region_only_when_one_is_named(
        text, source, kind, amount):
    command = one(text)
    assert (command.action, command.source, command.adjust, command.amount) == ("adjust", source, kind, amount)


@pytest.mark.parametrize("text, source, position, to, shift", [
    ("把右边的椅子移到左边", "椅子", "right", "left", None), ("把猫移到画面中间", "猫", None, "center", None),
    ("往右移一点", None, None, "right", 0.15), ("把狗往左边挪一点", "狗", None, "left", 0.15),
    ("move the chair on the right to the left", "chair", "right", "left", None),
    ("nudge the lamp a bit to the right", "lamp", None, "right", 0.15),
    ("center the vase", "vase", None, "center", None),
])
def test_a_move_names_which_thing_and_where_to(text, source, position, to, shift):
    command = one(text)
    assert (command.action, command.source, command.position, command.to, command.shift) == (
        "move", source, position, to, shift)


@pytest.mark.parametrize("text, source, scale", [
    ("把狗放大一点", "狗", 1.25), ("放大两倍", None, 2.0), ("缩小一点", None, 0.8), ("把狗缩小一半", "狗", 0.5),
    ("把花放大到原来的1.5倍", "花", 1.5), ("把杯子缩小30%", "杯子", 0.7),
    ("make the cup smaller", "cup", 0.67), ("make the dog twice as big", "dog", 2.0),
    ("shrink it by 30%", None, 0.7), ("make the lamp a bit bigger", "lamp", 1.25),
])
def test_a_resize_says_by_how_much(text, source, scale):
    command = one(text)
    assert (command.action, command.source, command.scale) == ("resize", source, scale)


@pytest.mark.parametrize("text, description, aspect", [
    ("画一张海边日落的图片", "海边日落", None), ("生成一幅山水画", "山水画", None),
    ("画一张横版的草原日出", "草原日出", "landscape"), ("生成一张竖版的猫咪海报", "猫咪", "portrait"),
    ("draw a picture of a lighthouse on a cliff", "lighthouse on a cliff", None),
    ("create a wide image of a desert road", "desert road", "landscape"),
])
def test_a_picture_from_words_is_a_generate_with_its_description_and_shape(text, description, aspect):
    command = one(text)
    assert (command.action, command.source, command.target, command.aspect) == (
        "generate", None, description, aspect)


@pytest.mark.parametrize("text, thing", [("画一只猫", "猫"), ("draw a cat", "cat")])
def test_drawing_one_thing_stays_an_add_the_session_may_turn_into_a_picture(text, thing):
    assert one(text) == EditCommand(action="add", target=thing, language="zh" if text[0] == "画" else "en")


@pytest.mark.parametrize("text, first, second", [
    ("把狗移到左边，再放大一点", ("move", "狗"), ("resize", "狗")),
    ("把狗移到左边再放大一点", ("move", "狗"), ("resize", "狗")),
    ("move the dog to the left, then make it bigger", ("move", "dog"), ("resize", "dog")),
    ("replace the cup with a vase, then make it smaller", ("replace", "cup"), ("resize", "vase")),
    ("把杯子换成花瓶，再把它缩小一点", ("replace", "杯子"), ("resize", "花瓶")),
])
def test_a_later_step_that_names_nothing_acts_on_what_the_step_before_named(text, first, second):
    a, b = parse_instruction(text)
    assert ((a.action, a.source), (b.action, b.source)) == (first, second)


def test_whole_picture_words_are_never_a_region_to_find():
    for text in ("把整张图调亮", "把照片变成黑白的", "让画面更清晰", "make the image brighter",
                 "make everything warmer", "make it brighter"):
        assert one(text).source is None, text


@pytest.mark.parametrize("text, fields", [
    ("把猫移动一下", {"action": "move", "source": "猫", "to": None}),
    ("move the cat somewhere", {"action": "move", "source": "cat", "to": None}),
    ("把狗放大100倍", {"action": "resize", "source": "狗", "scale": 100.0}),
    ("缩小0倍", {"action": "resize", "scale": 0.0}),
    ("scale it by 0", {"action": "resize", "scale": 0.0}),
    ("画一张", {"action": "generate", "target": None}),
    ("generate a picture", {"action": "generate", "target": None}),
])
def test_bad_requests_are_read_faithfully_for_the_editor_to_refuse_in_one_line(text, fields):
    command = one(text)
    assert {key: getattr(command, key) for key in fields} == fields


@pytest.mark.parametrize("text, expected", [
    ("照片有点暗", [("adjust", None, "brightness", 0.5)]),
    ("照片偏黄", [("adjust", None, "warmth", -0.5)]),
    ("太亮了，调暗一点", [("adjust", None, "brightness", -0.25)]),
    ("狗太小了，放大一点", [("resize", "狗", None, 1.25)]),
    ("it's too dark, brighten it a bit", [("adjust", None, "brightness", 0.25)]),
    ("the dog is too small", [("resize", "dog", None, 1.5)]),
])
def test_a_complaint_asks_for_the_opposite_and_is_one_step_with_the_fix_that_follows(text, expected):
    got = [(c.action, c.source, c.adjust, c.amount if c.action == "adjust" else c.scale)
           for c in parse_instruction(text)]
    assert got == expected


def test_two_things_moved_in_one_sentence_are_two_moves():
    first, second = parse_instruction("move the cat to the left and the dog to the right")
    assert (first.source, first.to, second.source, second.to) == ("cat", "left", "dog", "right")


def test_two_changes_of_one_thing_in_one_sentence_are_two_steps_on_it():
    resize, adjust = parse_instruction("make the moon bigger and brighter")
    assert (resize.action, resize.source, adjust.action, adjust.source, adjust.adjust) == (
        "resize", "moon", "adjust", "moon", "brightness")
