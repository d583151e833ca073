"""English instructions, read by the rules (a scripted fake chat model only shows when a model is asked)."""
from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent import EditCommand, parse_instruction


def en(action: str, **fields) -> EditCommand:
    return EditCommand(action=action, language="en", **fields)


@pytest.mark.parametrize("text, expected", [
    ("replace the cat with a dog", en("replace", source="cat", target="dog")),
    ("swap the vase for a teddy bear", en("replace", source="vase", target="teddy bear")),
    ("Turn the apple into an orange.", en("replace", source="apple", target="orange")),
    ("change the background to a snowy mountain", en("replace", source="background", target="snowy mountain")),
    ("convert the sofa to a bed", en("replace", source="sofa", target="bed")),
    ("make the dog a wolf", en("replace", source="dog", target="wolf")),
    ("use a candle instead of the lamp", en("replace", source="lamp", target="candle")),
    ("replace the plastic chair with a wooden one", en("replace", source="plastic chair", target="wooden chair")),
])
def test_replacing_one_thing_with_another(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, source, target", [
    ("make the car red", "car", "red car"),
    ("make the red car blue", "red car", "blue car"),
    ("paint the fence white", "fence", "white fence"),
    ("turn the sofa dark blue", "sofa", "dark blue sofa"),
    ("change the colour of the bus to green", "bus", "green bus"),
    ("change the car's color to silver", "car", "silver car"),
    ("make the cat cartoon style", "cat", "cartoon style cat"),
])
def test_a_recolour_or_restyle_names_the_object_in_the_target(text, source, target):
    assert parse_instruction(text) == [en("replace", source=source, target=target)]


@pytest.mark.parametrize("text, expected", [
    ("remove the person on the right", en("remove", source="person", position="right")),
    ("get rid of the trash can", en("remove", source="trash can")),
    ("erase the watermark from the photo", en("remove", source="watermark")),
    ("take the phone away", en("remove", source="phone")),
    ("I don't want the fence anymore", en("remove", source="fence")),
    ("delete the man on the bench", en("remove", source="man on the bench")),
])
def test_removing(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, expected", [
    ("add a bird to the sky", en("add", source="sky", target="bird")),
    ("put a hat on the man", en("add", source="man", target="hat")),
    ("place a vase next to the sofa", en("add", source="sofa", target="vase")),
    ("give the dog a red scarf", en("add", source="dog", target="red scarf")),
    ("make the man wear sunglasses", en("add", source="man", target="sunglasses")),
    ("add a man in a red shirt to the beach", en("add", source="beach", target="man in a red shirt")),
    ("add a rainbow", en("add", target="rainbow")),
])
def test_adding_puts_the_new_thing_into_the_region_named(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text, qualifiers", [
    ("remove the second cup", {"index": 2}),
    ("remove the 3rd cup", {"index": 3}),
    ("remove cup #4", {"index": 4}),
    ("remove the cup on the left", {"position": "left"}),
    ("remove the leftmost cup", {"position": "left"}),
    ("remove the cup at the top", {"position": "top"}),
    ("remove the cup in the middle", {"position": "center"}),
    ("remove the biggest cup", {"position": "largest"}),
    ("remove the smallest cup", {"position": "smallest"}),
    ("remove the second cup from the left", {"index": 2, "position": "left"}),
    ("remove every cup", {"all": True}),
    ("remove each cup", {"all": True}),
])
def test_which_one_is_read_from_ordinals_positions_and_quantifiers(text, qualifiers):
    assert parse_instruction(text) == [en("remove", source="cup", **qualifiers)]


@pytest.mark.parametrize("text", ["remove all animals except the dog", "remove all animals but the dog",
                                  "except for the dog, remove all animals"])
def test_everything_but_one_kind(text):
    assert parse_instruction(text) == [en("remove", source="animals", all=True, exclude="dog")]


@pytest.mark.parametrize("text, action, fields", [
    ("undo", "undo", {}), ("undo that", "undo", {}), ("go back one step", "undo", {}), ("ctrl+z", "undo", {}),
    ("redo", "redo", {}), ("step forward", "redo", {}),
    ("start over", "reset", {}), ("restore the original image", "reset", {}), ("reset everything", "reset", {}),
    ("try again", "regenerate", {}), ("give me another version", "regenerate", {}), ("reroll", "regenerate", {}),
    ("use #3", "pick", {"index": 3}), ("the second one", "pick", {"index": 2}),
    ("I'll go with number 4", "pick", {"index": 4}), ("pick the left one", "pick", {"position": "left"}),
])
def test_history_and_choosing_commands(text, action, fields):
    assert parse_instruction(text) == [en(action, **fields)]


def test_a_message_with_several_steps_gives_one_command_per_step_in_order():
    assert parse_instruction("replace the dog with a fox and then remove the ball") == [
        en("replace", source="dog", target="fox"), en("remove", source="ball")]
    assert parse_instruction("make the car green, remove the tree; then undo") == [
        en("replace", source="car", target="green car"), en("remove", source="tree"), en("undo")]
    assert parse_instruction("replace the cat with a dog then make it brown") == [
        en("replace", source="cat", target="dog"), en("replace", source="dog", target="brown dog")]
    assert parse_instruction("remove the cup and the plate") == [en("remove", source="cup"),
                                                                 en("remove", source="plate")]


def test_and_inside_a_name_does_not_split_the_step():
    assert parse_instruction("replace the salt and pepper with a candle") == [
        en("replace", source="salt and pepper", target="candle")]


@pytest.mark.parametrize("text", [
    "Could you please replace the cat with a dog?", "can u swap the cat for a dog pls",
    "hey, would you mind replacing the cat with a dog", "I'd like you to replace the cat with a dog, thanks",
    "REPLACE THE CAT WITH A DOG!!!", "replace the cat with a dog 🐕",
])
def test_polite_wrappers_case_and_emoji_do_not_matter(text):
    assert parse_instruction(text) == [en("replace", source="cat", target="dog")]


@pytest.mark.parametrize("text, expected", [
    ("repalce teh cat wiht a dog", en("replace", source="cat", target="dog")),
    ("remvoe the lamp", en("remove", source="lamp")),
    ("chnage the sky to a sunset", en("replace", source="sky", target="sunset")),
    ("ad a hat to the dog", en("add", source="dog", target="hat")),
    ("make the lake frozen", en("replace", source="lake", target="frozen lake")),  # "lake" is not "make"
    ("remove the plane", en("remove", source="plane")),  # nor is "plane" "place"
])
def test_small_typos_in_verbs_are_tolerated_but_objects_are_left_alone(text, expected):
    assert parse_instruction(text) == [expected]


@pytest.mark.parametrize("text", ["hello!", "hi there", "thanks", "what can you do?", "how do I use this?"])
def test_small_talk_and_questions_ask_for_nothing_and_no_model_is_consulted(text):
    model = FakeListChatModel(responses=['{"commands": [{"action": "undo"}]}'])  # would answer "undo"
    assert parse_instruction(text) == [en("none")]
    assert parse_instruction(text, llm=model) == [en("none")]


def test_gibberish_is_none_by_the_rules_and_left_to_the_model_when_there_is_one():
    assert parse_instruction("blorp the flibbertigibbet") == [en("none")]
    model = FakeListChatModel(responses=['{"commands": [{"action": "undo"}]}'])
    assert parse_instruction("blorp the flibbertigibbet", llm=model) == [en("undo")]


def test_a_bare_remove_and_a_target_only_replace_leave_the_region_to_a_click():
    assert [(c.action, c.source) for c in parse_instruction("remove")] == [("remove", None)]
    (command,) = parse_instruction("replace with a dog")
    assert (command.action, command.source, command.target) == ("replace", None, "dog")


def test_recolouring_it_paints_the_colour_not_the_pronoun():
    (command,) = parse_instruction("change it to blue")
    assert command.target == "blue"
    _, second = parse_instruction("replace the cat with a dog and then make it white")
    assert (second.source, second.target) == ("dog", "white dog")


def test_picking_all_candidates_in_english():
    for text in ("pick all", "use all of them", "use both"):
        (command,) = parse_instruction(text)
        assert command.action == "pick" and command.all, text


def test_a_zero_pick_number_is_no_number():
    assert parse_instruction("use #0")[0].index is None
    assert parse_instruction("remove the 0th cup")[0].index is None
