"""Picking among candidates, on synthetic pictures whose segments and scores mean something."""
import numpy as np
import pytest

from agent.editor import Editor, EditSettings
from agent.select import CLOSE_GAP, WEAK_MARGIN, choose, distinct, reading_order
from agent.session.session import Session
from tools.rank import Candidate
from tools.segment import Segment

from synthetic import BLUE, RED, SyntheticModels, picture

YELLOW = (220, 220, 30)
LEFT, RIGHT, TOP = (20, 40, 70, 90), (150, 50, 210, 110), (100, 10, 130, 40)


@pytest.fixture(scope="module")
def models(tiny_models):
    return SyntheticModels.over(tiny_models)


@pytest.fixture
def two_red(models):
    """Two red squares (left and right) and a blue one at the top."""
    return Session(picture((LEFT, RED), (RIGHT, RED), (TOP, BLUE)), Editor(models, EditSettings(steps=2)))


def region_of(box, shape=(160, 240)):
    mask = np.zeros(shape, dtype=bool)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = True
    return mask


def test_two_equally_good_matches_ask_and_a_number_picks_one(two_red):
    asked = two_red.send("把红色方块换成狗")
    assert asked.kind == "asked" and asked.version == 0 and asked.changed is None
    assert asked.text.startswith("找到了几个“红色方块”，要改哪一个？")
    assert [c.box for c in asked.candidates] == [LEFT, RIGHT]  # numbered in reading order
    assert asked.overview.size == asked.image.size and asked.candidates[0].thumbnail.width <= 160
    picked = two_red.send("选第二个")
    assert picked.kind == "edited" and picked.version == 1
    assert np.array_equal(two_red.current.steps[0].region, region_of(RIGHT))
    assert not (picked.changed & region_of(LEFT)).any()


def test_english_pick_then_the_next_turn_sees_only_one_red_square(two_red):
    two_red.send("replace the red square with a dog")
    picked = two_red.send("use #1")
    assert picked.kind == "edited" and picked.text == "Done: replaced 'red square' with 'dog'."
    assert np.array_equal(two_red.current.steps[0].region, region_of(LEFT))
    reply = two_red.send("remove the red square")  # the left one is a dog now: no question
    assert reply.kind == "edited" and np.array_equal(two_red.current.steps[0].region, region_of(RIGHT))


def test_a_click_picks_the_candidate_under_it(two_red):
    two_red.send("把红色方块换成狗")
    reply = two_red.pick(point=(180, 80))
    assert reply.kind == "edited" and np.array_equal(two_red.current.steps[0].region, region_of(RIGHT))


def test_a_pick_out_of_range_keeps_the_question_open(two_red):
    two_red.send("把红色方块换成狗")
    wrong = two_red.send("选第5个")
    assert wrong.kind == "error" and wrong.text == "请选 1 到 2 之间的编号。" and two_red.pending is not None
    assert two_red.send("选左边那个").kind == "edited"
    assert np.array_equal(two_red.current.steps[0].region, region_of(LEFT))


@pytest.mark.parametrize("text, box", [
    ("把左边的红色方块换成狗", LEFT),
    ("把右边的红色方块换成狗", RIGHT),
    ("把第二个红色方块换成狗", RIGHT),
])
def test_qualifiers_choose_without_asking(two_red, text, box):
    reply = two_red.send(text)
    assert reply.kind == "edited"
    assert np.array_equal(two_red.current.steps[0].region, region_of(box))


def test_an_index_beyond_the_instances_asks_instead_of_guessing(two_red):
    reply = two_red.send("把第三个红色方块换成狗")
    assert reply.kind == "asked" and reply.text.startswith("只找到 2 个“红色方块”，没有第 3 个。")


def test_all_edits_the_union_of_every_match_once(two_red):
    reply = two_red.send("把所有红色方块去掉")
    assert reply.kind == "edited" and len(two_red.versions) == 2
    assert np.array_equal(two_red.current.steps[0].region, region_of(LEFT) | region_of(RIGHT))
    assert not (reply.changed & region_of(TOP)).any()


def test_exclude_drops_the_instance_matching_the_excluded_word(models):
    # yellow also scores as "red" for the colour scorer; excluding yellow leaves the two red squares
    session = Session(picture((LEFT, RED), (RIGHT, RED), (TOP, YELLOW)), Editor(models, EditSettings(steps=2)))
    session.send("把所有红色方块去掉")
    assert session.current.steps[0].region[20, 110]  # without exclude the yellow one is in
    session.undo()
    reply = session.send("把除了黄色的以外的红色方块都去掉")
    assert reply.kind == "edited"
    assert np.array_equal(session.current.steps[0].region, region_of(LEFT) | region_of(RIGHT))


def test_not_found_says_so_offers_candidates_and_edits_nothing(two_red):
    reply = two_red.send("把绿色方块去掉")
    assert reply.kind == "not_found" and reply.error == "not_found" and reply.version == 0
    assert reply.text.startswith("没有找到“绿色方块”。") and "点一下" in reply.text
    assert 1 <= len(reply.candidates) <= 3 and len(two_red.versions) == 1
    assert two_red.send("选第1个").kind == "edited"


def test_a_point_on_a_not_found_turn_uses_the_clicked_object(two_red):
    two_red.send("把绿色方块去掉")
    reply = two_red.send("", point=(115, 25))
    assert reply.kind == "edited" and np.array_equal(two_red.current.steps[0].region, region_of(TOP))


def test_a_script_takes_the_best_match_and_says_so(models):
    session = Session(picture((LEFT, RED), (RIGHT, RED)), Editor(models, EditSettings(steps=2)), interactive=False)
    reply = session.send("把红色方块换成狗")
    assert reply.kind == "edited" and reply.text.startswith("有几个可能是“红色方块”的，选了最像的那个。")
    missing = session.send("把绿色方块去掉")
    assert missing.error == "not_found" and missing.text.startswith("没有找到“绿色方块”") and len(session.versions) == 2


def test_a_compound_message_waits_at_the_ambiguous_step_then_continues(two_red):
    asked = two_red.send("把蓝色方块去掉，然后把红色方块换成狗")
    assert asked.kind == "asked" and asked.version == 1  # the blue step is done and kept
    assert asked.text.startswith("好了：去掉了“蓝色方块”。")
    done = two_red.send("选第1个")
    assert done.kind == "edited" and done.version == 2
    assert np.array_equal(two_red.current.steps[0].region, region_of(LEFT))


# ------------------------------------------------------------------------- the rules themselves
def candidate(box, score, shape=(160, 240)):
    return Candidate(Segment.from_mask(region_of(box, shape)), score=score)


def test_close_scores_ask_a_clear_winner_does_not_and_a_weak_one_asks():
    a, b = candidate(LEFT, 0.95), candidate(RIGHT, 0.95 - CLOSE_GAP / 2)
    assert choose([a, b], threshold=0.5).reason == "close"
    assert choose([a, candidate(RIGHT, 0.95 - 2 * CLOSE_GAP)], threshold=0.5).candidate is a
    weak = candidate(LEFT, 0.5 + WEAK_MARGIN / 2)
    assert choose([weak], threshold=0.5).reason == "weak"
    assert choose([a, b], threshold=0.5, ask_when_unsure=False).candidate is a


def test_parts_of_a_better_candidate_are_not_other_instances():
    whole, part = candidate((20, 40, 70, 90), 0.9), candidate((20, 40, 40, 60), 0.88)
    other = candidate(RIGHT, 0.8)
    assert distinct([part, whole, other]) == [whole, other]


def test_reading_order_is_rows_then_left_to_right():
    bottom_left, top_right = candidate((10, 100, 40, 130), 0.9), candidate((150, 10, 190, 50), 0.9)
    top_left = candidate((20, 20, 60, 60), 0.9)
    assert reading_order([bottom_left, top_right, top_left]) == [top_left, top_right, bottom_left]
