"""What a message asks for: the commands to run (with the click or box standing in for the first
edit's region), or a pick among the candidates of a pending question.

    plan = read_message(turn, "把猫换成狗", point=None, box=None, parse=parse, pending=False)
    plan → Plan(commands=(EditCommand(replace 猫 → 狗),), prompt=None)
    read_message(turn, "选第二个", ...) → PickRequest(number=2)
    region = pick_region(PickRequest(number=2), candidates, editor=editor, image=image)  # bool HxW
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from agent.editor import Editor
from agent.parse import EditCommand, help_text, is_small_talk
from agent.select import by_position, united
from agent.session.turn import Turn
from agent.step import refusal
from tools.errors import BadInputError
from tools.language import detect_language
from tools.rank import Candidate
from tools.regions import RegionPrompt

REMOVE_WORDS = {"去掉", "删除", "删掉", "移除", "擦掉", "抹掉", "去除", "remove", "delete", "erase"}
FILLERS = ("它", "这个", "那个", "吧", "掉", "it", "this", "that", "please")


@dataclass(frozen=True)
class PickRequest:
    """A choice among pending candidates: by `number` (1-based), a click `point` (x, y), a
    `position` word ("left", ...), or `all` of them."""

    number: int | None = None
    point: tuple[float, float] | None = None
    position: str | None = None
    all: bool = False


@dataclass(frozen=True)
class Plan:
    """Commands to run in order; `prompt`, a click or a box, stands in for the first edit's region
    (None: found from its words)."""

    commands: tuple[EditCommand, ...]
    prompt: RegionPrompt | None = None


@dataclass(frozen=True)
class Answer:
    """A message that asks for no edit but gets an answer (small talk: what one can say)."""

    text: str


def read_message(turn: Turn, text: str, *, point, box, parse: Callable[[str], Sequence[EditCommand]],
                 pending: bool) -> Plan | PickRequest | Answer:
    """The plan for a message (`text` already cleaned); sets `turn.language` to the text's.
    Raises a refusal for a message that asks for nothing this session can do."""
    text = text.strip()
    region_given = point is not None or box is not None
    if point is not None and box is not None:
        raise BadInputError("Give a point or a box, not both.", zh="请只给一个点或一个框，不要同时给。")
    if not text:
        if point is not None and pending:
            return PickRequest(point=point)
        raise refusal("needs_target" if region_given else "empty")
    turn.notify("parse")
    turn.language = detect_language(text)  # a refusal of the text itself answers in its language
    commands = list(parse(text))
    turn.language = commands[0].language if commands else detect_language(text)
    if commands and commands[0].action == "pick":
        first = commands[0]
        return PickRequest(number=first.index, position=first.position, all=first.all)
    if (not commands or all(c.action == "none" for c in commands)) and not (region_given and is_bare_remove(text)):
        if not region_given and is_small_talk(text):  # "你好", "help": what one can say
            return Answer(help_text(turn.language))
        raise refusal("needs_target" if region_given else "not_understood", text=text[:40])
    if region_given and not any(c.is_edit for c in commands):
        if not is_bare_remove(text):
            raise refusal("needs_target")
        commands = [EditCommand(action="remove", language=turn.language)]
    prompt = (RegionPrompt("point", point) if point is not None
              else RegionPrompt("box", box) if box is not None else None)
    return Plan(tuple(commands), prompt)


def pick_region(request: PickRequest, candidates: Sequence[Candidate], *, editor: Editor,
                image: Image.Image) -> np.ndarray:
    """The region (bool HxW) the user picked; a click outside every candidate is SAM's region there.
    Raises a refusal for a number or position with no candidate."""
    if request.number is not None:
        if not 1 <= request.number <= len(candidates):
            raise refusal("pick_out_of_range", count=len(candidates))
        return candidates[request.number - 1].mask
    if request.point is not None:
        x, y = int(request.point[0]), int(request.point[1])
        inside = [c for c in candidates if 0 <= y < c.mask.shape[0] and 0 <= x < c.mask.shape[1] and c.mask[y, x]]
        return (min(inside, key=lambda c: c.segment.area).mask if inside
                else editor.region(image, point=request.point))
    if request.all and candidates:
        return united(list(candidates)).mask
    if request.position is not None and candidates:
        return by_position(candidates, request.position).mask
    raise refusal("pick_out_of_range", count=len(candidates))


def is_bare_remove(text: str) -> bool:
    """"去掉" / "删除这个" / "remove it": a removal that names nothing (the region is clicked)."""
    words = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ").strip()
    for filler in FILLERS:
        if words.endswith(filler) and words[:-len(filler)].strip() in REMOVE_WORDS:
            return True
    return words in REMOVE_WORDS
