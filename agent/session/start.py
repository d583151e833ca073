"""A session that starts from words instead of a photo: version 0 is a picture drawn from a description.

    command = drawing_command("画一张海边日落的图片", parse=parse_instruction)   # generate, target "海边日落"
    version, rest = first_version(turn, "画一张海边日落的图片", editor=editor, parse=parse_instruction)
    version.kind == "original"; version.instruction == "画一张海边日落的图片"
    version.steps[0].command.action == "generate"      # how the session started (saved with it)

With no picture yet, "画一只猫" (an `add` that names nothing to add onto) means a new picture of a cat.
A message that asks for no picture (empty, "把猫换成狗", "你好") is refused in one line (both languages)
and nothing is made. `Session.from_words` (agent/session/session.py) is the public entry point.
"""
from __future__ import annotations

import logging
from typing import Callable, Sequence

import numpy as np

from agent.editor import Editor
from agent.parse import EditCommand
from agent.session.reply import say
from agent.session.turn import Turn
from agent.session.version import Step, Version
from tools.errors import BadInputError, EditError

logger = logging.getLogger("edit-everything.session")
Parse = Callable[[str], Sequence[EditCommand]]


def not_a_picture(text: str) -> BadInputError:
    """The refusal for words that ask for no new picture when there is none yet."""
    shown = " ".join(text.split())
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    if not shown:
        return BadInputError("Say what to draw, e.g. 'draw a sunset over the sea', or upload a photo.",
                             zh="请说要画什么，比如“画一张海边日落的图片”，或者上传一张照片。")
    return BadInputError(f"There is no picture yet, and '{shown}' does not say what to draw: try 'draw a sunset "
                         f"over the sea', or upload a photo.",
                         zh=f"还没有图片，“{shown}”也没有说要画什么：试试“画一张海边日落的图片”，或者上传一张照片。")


def drawing_command(text: str, *, parse: Parse) -> tuple[EditCommand, tuple[EditCommand, ...]]:
    """(the `generate` command `text` asks for, the commands after it) when there is no picture yet.
    A `generate`, or an `add` with a target and no source ("画一只猫"), draws; anything else (and an
    empty description) raises a BadInputError naming what to say."""
    words = text.strip()
    if not words:
        raise not_a_picture("")
    commands = list(parse(words))
    first = commands[0] if commands else None
    if first is None or not ((first.action == "generate") or (first.action == "add" and not first.source)):
        raise not_a_picture(words)
    description = " ".join((first.target or "").split())
    if not description:
        raise not_a_picture("")
    command = EditCommand(action="generate", target=description, aspect=first.aspect, language=first.language)
    return command, tuple(commands[1:])


def first_version(turn: Turn, text: str, *, editor: Editor, parse: Parse) -> tuple[Version, tuple[EditCommand, ...]]:
    """Version 0 of a session drawn from `text` (its one step: the generate command, the whole picture
    its region), and the message's commands still to run on it. Sets `turn.language` to the words'.
    Raises EditError (one line, both languages) when nothing can be drawn; nothing is made then."""
    turn.notify("parse")
    command, rest = drawing_command(text, parse=parse)
    turn.language = command.language
    try:
        drawn = editor.generate(command.target, language=command.language, aspect=command.aspect,
                                on_progress=turn.notify)
    except EditError:
        raise
    except Exception as error:  # a bug or a model failure: the log gets the traceback, the user a sentence
        logger.exception("drawing failed: %r", text)
        raise BadInputError(say("internal", "en"), zh=say("internal", "zh")) from error
    image = drawn.image.convert("RGB")
    whole = np.ones((image.height, image.width), dtype=bool)
    step = Step(command, whole, whole, "text", seed=int(drawn.seed), model_ids=dict(drawn.model_ids),
                timings=dict(drawn.timings))
    return Version(0, "original", image, instruction=text.strip(), steps=(step,)), rest


def opening_answer(command: EditCommand, language: str) -> str:
    """"好了：画了一张新图：海边日落。" / "Done: drew a new picture: a sunset over the sea."."""
    return say("edited", language, what=say("generate", language, target=command.target))
