"""The help text (prompts/help.yaml) promises what one can say: every example it shows must be read by
the parser as the step it advertises, in both languages."""
from __future__ import annotations

import re

import pytest

from agent import parse_instruction
from agent.parse.help import help_text

QUOTED = {"zh": re.compile(r"“([^”]+)”"), "en": re.compile(r"\"([^\"]+)\"|'([^']+)'")}
ACTION_OF_LINE = {"替换": "replace", "删除": "remove", "添加": "add", "Replace": "replace", "Remove": "remove",
                  "Add": "add"}
WHICH_ONE = {"指定哪一个", "Say which one"}
CONTROL = {"undo", "redo", "reset", "regenerate", "pick"}
REMOVE = {"zh": "去掉", "en": "remove "}
THEN = {"zh": "，然后", "en": " then "}


def examples(text: str, language: str) -> list[str]:
    return ["".join(groups) for groups in QUOTED[language].findall(text)]


def help_lines(language: str) -> dict[str, list[str]]:
    """{"替换": ["把猫换成狗", ...], ...}: the examples of each "· label: ..." line of the help text."""
    lines = {}
    for line in help_text(language).splitlines():
        label = re.match(r"·\s*([^：:]+)[：:]", line)
        if label:
            lines[label.group(1).strip()] = examples(line, language)
    return lines


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_edit_example_in_the_help_is_read_as_the_edit_it_shows(language):
    lines = help_lines(language)
    shown = [label for label in lines if label in ACTION_OF_LINE]
    assert len(shown) == 3, lines  # replace, remove and add are each shown
    for label in shown:
        for example in lines[label]:
            commands = parse_instruction(example)
            assert [c.action for c in commands] == [ACTION_OF_LINE[label]], example
            assert commands[0].language == language and (commands[0].source or commands[0].target), example


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_help_ways_of_saying_which_one_pick_an_instance(language):
    (label,) = WHICH_ONE & set(help_lines(language))
    for phrase in help_lines(language)[label]:
        (command,) = parse_instruction(REMOVE[language] + phrase)
        assert command.action == "remove" and (command.position or command.index or command.all), phrase


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_help_history_words_are_commands_and_then_joins_steps(language):
    lines = help_lines(language)
    other = [label for label in lines if label not in ACTION_OF_LINE and label not in WHICH_ONE]
    assert len(other) == 1, lines
    for word in lines[other[0]]:
        assert [c.action for c in parse_instruction(word)] in ([a] for a in CONTROL), word
    replace, remove = (next(lines[label][0] for label in lines if ACTION_OF_LINE.get(label) == action)
                       for action in ("replace", "remove"))
    assert [c.action for c in parse_instruction(replace + THEN[language] + remove)] == ["replace", "remove"]
