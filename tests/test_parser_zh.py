"""Chinese instructions, read by the rules (a scripted fake chat model only shows when a model is asked)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent import EditCommand, parse_instruction
from agent.parse.text import clean_text
from tools.errors import BadInputError
from tools.language import detect_language


def zh(action: str, **fields) -> EditCommand:
    return EditCommand(action=action, language="zh", **fields)


@pytest.mark.parametrize("text, expected", [
    ("把猫换成狗", zh("replace", source="猫", target="狗")),
    ("将椅子替换为一张沙发", zh("replace", source="椅子", target="沙发")),
    ("用一只猫替换那条狗", zh("replace", source="狗", target="猫")),
    ("天空换成满天繁星", zh("replace", source="天空", target="满天繁星")),
    ("把背景改成雪山", zh("replace", source="背景", target="雪山")),
    ("把那只黑色的猫改成白色的猫", zh("replace", source="黑色的猫", target="白色的猫")),
])
def test_replacing_one_thing_with_another(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, source, target", [
    ("把沙发变成红色", "沙发", "红色的沙发"),
    ("把墙刷成浅绿色", "墙", "浅绿色的墙"),
    ("把苹果变红", "苹果", "红色的苹果"),
    ("把裙子的颜色改为紫色", "裙子", "紫色的裙子"),
    ("把那只黑色的猫变成白色", "黑色的猫", "白色的猫"),
    ("把猫变成卡通风格", "猫", "卡通风格的猫"),
    ("把天空变成日落的样子", "天空", "日落"),
])
def test_a_recolour_or_restyle_names_the_object_in_the_target(text, source, target):
    assert parse_instruction(text) == [zh("replace", source=source, target=target)]


@pytest.mark.parametrize("text, expected", [
    ("帮我把图里的汽车去掉", zh("remove", source="汽车")),
    ("删除左边的人", zh("remove", source="人", position="left")),
    ("擦掉图片上的水印", zh("remove", source="水印")),
    ("那棵树不要了", zh("remove", source="树")),
    ("把猫P掉", zh("remove", source="猫")),
    ("把加菲猫去掉", zh("remove", source="加菲猫")),  # 加 inside a word is not "add"
    ("把墙上的画去掉", zh("remove", source="墙上的画")),  # 画 after 的 is a noun, not "draw"
])
def test_removing(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, expected", [
    ("在桌子上加一个苹果", zh("add", source="桌子", target="苹果")),
    ("给狗戴上一顶帽子", zh("add", source="狗", target="帽子")),
    ("往杯子里加点冰块", zh("add", source="杯子", target="冰块")),
    ("把帽子戴在狗头上", zh("add", source="狗头", target="帽子")),
    ("加一只鸟在天上", zh("add", source="天空", target="鸟")),
    ("在墙上挂一幅画", zh("add", source="墙", target="画")),
    ("加一个月亮", zh("add", target="月亮")),  # no region: the editor chooses where
])
def test_adding_puts_the_new_thing_into_the_region_named(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, qualifiers", [
    ("把第三个瓶子换成花瓶", {"index": 3}),
    ("把第十二个瓶子换成花瓶", {"index": 12}),
    ("把2号瓶子换成花瓶", {"index": 2}),
    ("把最大的那个瓶子换成花瓶", {"position": "largest"}),
    ("把瓶子中最小的那个换成花瓶", {"position": "smallest"}),
    ("把画面右边的瓶子换成花瓶", {"position": "right"}),
    ("把最上面的瓶子换成花瓶", {"position": "top"}),
    ("把中间那个瓶子换成花瓶", {"position": "center"}),
    ("把左边第二个瓶子换成花瓶", {"position": "left", "index": 2}),
    ("把所有的瓶子都换成花瓶", {"all": True}),
    ("把每个瓶子换成花瓶", {"all": True}),
    ("把这些瓶子换成花瓶", {"all": True}),
])
def test_which_one_is_read_from_ordinals_positions_and_quantifiers(text, qualifiers):
    assert parse_instruction(text) == [zh("replace", source="瓶子", target="花瓶", **qualifiers)]


@pytest.mark.parametrize("text", ["把第0个瓶子换成花瓶", "把第零个瓶子换成花瓶"])
def test_an_ordinal_that_names_no_instance_leaves_the_thing_itself(text):
    """There is no 0th bottle: the command is about the bottle (several bottles get numbered candidates)."""
    assert parse_instruction(text) == [zh("replace", source="瓶子", target="花瓶")]


def test_a_relation_to_another_object_stays_in_the_source():
    [command] = parse_instruction("将桌子上的杯子替换为一束花")
    assert (command.source, command.target, command.position) == ("桌子上的杯子", "花", None)


@pytest.mark.parametrize("text", ["除了狗以外，把动物都去掉", "把动物都去掉，除了狗", "把动物都删掉，只保留狗",
                                  "除了狗之外的动物都删除"])
def test_everything_but_one_kind(text):
    assert parse_instruction(text) == [zh("remove", source="动物", all=True, exclude="狗")]


@pytest.mark.parametrize("text, action, fields", [
    ("撤销", "undo", {}), ("回到上一步", "undo", {}), ("撤回刚才的操作", "undo", {}),
    ("重做", "redo", {}), ("取消撤销", "redo", {}),
    ("还原成原图", "reset", {}), ("重新开始", "reset", {}), ("从头再来", "reset", {}),
    ("再来一次", "regenerate", {}), ("重新生成一下", "regenerate", {}), ("换一张", "regenerate", {}),
    ("选2号", "pick", {"index": 2}), ("选第二个", "pick", {"index": 2}), ("就用第三个吧", "pick", {"index": 3}),
    ("要左边那个", "pick", {"position": "left"}),
])
def test_history_and_choosing_commands(text, action, fields):
    assert parse_instruction(text) == [zh(action, **fields)]


def test_a_message_with_several_steps_gives_one_command_per_step_in_order():
    assert parse_instruction("把猫换成老虎，然后把沙发变成蓝色。接着删除左边的人") == [
        zh("replace", source="猫", target="老虎"),
        zh("replace", source="沙发", target="蓝色的沙发"),
        zh("remove", source="人", position="left"),
    ]
    assert parse_instruction("把猫换成狗再把它变成白色") == [
        zh("replace", source="猫", target="狗"), zh("replace", source="狗", target="白色的狗")]
    assert parse_instruction("把猫和狗都去掉") == [zh("remove", source="猫"), zh("remove", source="狗")]


def undo_model() -> FakeListChatModel:
    """A chat model that answers "undo" to anything: it shows whether the rules asked it."""
    return FakeListChatModel(responses=['{"commands": [{"action": "undo"}]}'])


def test_small_talk_next_to_an_edit_is_dropped_and_alone_it_asks_for_nothing_without_a_model():
    assert parse_instruction("你好，把猫去掉，谢谢") == [zh("remove", source="猫")]
    assert parse_instruction("你好，你能做什么？") == [zh("none")]
    assert parse_instruction("你好，你能做什么？", llm=undo_model()) == [zh("none")]  # the rules are sure


def test_gibberish_is_none_by_the_rules_and_left_to_the_model_when_there_is_one():
    assert parse_instruction("咕噜咕噜哇啦哇啦") == [zh("none")]
    assert parse_instruction("咕噜咕噜哇啦哇啦", llm=undo_model()) == [zh("undo")]


@pytest.mark.parametrize("text", [
    "把 cat 换成 dog", "把　ｃａｔ　换成　ｄｏｇ！！", "把cat换成dog😊😊", "  把  cat   换成 dog \n",
    "把\x00 cat\u200b 换成 dog\x07",
])
def test_mixed_languages_full_width_emoji_spaces_and_control_characters(text):
    assert parse_instruction(text) == [zh("replace", source="cat", target="dog")]


def test_english_inside_a_chinese_message_loses_its_articles():
    assert parse_instruction("把 the red car 换成 bike") == [zh("replace", source="red car", target="bike")]
    assert parse_instruction("replace 猫 with 狗") == [zh("replace", source="猫", target="狗")]


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "。。。"])
def test_empty_input_is_none(text):
    [command] = parse_instruction(text)
    assert command.action == "none"


def test_too_long_input_is_refused_with_a_clear_error():
    parse_instruction("把猫换成狗" * 400)  # 2,000 characters: fine
    with pytest.raises(BadInputError) as error:
        parse_instruction("把猫换成狗" * 400 + "。")
    assert "2,000" in error.value.message and "2000" in error.value.message_zh


def test_text_is_only_matched_never_run():
    [command] = parse_instruction("把 __import__('os').system('rm -rf /') 去掉")
    assert command.action == "remove" and "system" in command.source


def test_language_detection_and_cleaning():
    assert detect_language("把 cat 换成 dog") == "zh"
    assert detect_language("replace the cat") == "en"
    assert clean_text("把　猫\r\n换成 狗😊") == "把猫;换成狗"


def test_importing_the_parser_is_light():
    code = ("import sys; from agent import parse_instruction; "
            "print(sorted(m for m in ('jieba', 'torch', 'langchain_core') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"



@pytest.mark.parametrize("text", ["咕噜，" * 666, "再" * 2000, "请" * 1000 + "把猫去掉" + "吧" * 999])
def test_long_unreadable_messages_do_not_hang_the_parser(text):
    """A guard against runaway matching (minutes on such text), not a speed target: the word
    segmenter is loaded first, and the bound is generous for a busy 2-core machine."""
    parse_instruction("把猫换成狗")
    started = time.perf_counter()
    parse_instruction(text[:2000])
    assert time.perf_counter() - started < 20


def test_a_bare_removal_names_nothing_so_a_click_or_pick_gives_the_region():
    assert [(c.action, c.source) for c in parse_instruction("去掉")] == [("remove", None)]
    assert [(c.action, c.source) for c in parse_instruction("删掉吧")] == [("remove", None)]


def test_picking_all_candidates():
    for text in ("选全部", "都选", "都要"):
        (command,) = parse_instruction(text)
        assert command.action == "pick" and command.all and command.index is None, text


def test_it_after_an_add_is_the_added_thing_and_a_recolour_names_it():
    first, second = parse_instruction("在桌子上加一个苹果，然后把它变成绿色")
    assert (second.source, second.target) == ("苹果", "绿色的苹果")


def test_a_pick_number_zero_or_ordinal_zero_never_crashes():
    assert parse_instruction("选第0个")[0].index is None
    assert parse_instruction("删除第0个杯子")[0].index is None
