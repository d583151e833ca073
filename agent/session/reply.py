"""What a turn returns to any front end: text in the user's language, images, candidates, progress.

    reply = session.send("把猫换成狗")
    reply.kind          # "edited", "asked", "not_found", "history", "partial", "error", "info"
    reply.text          # "好了：把“猫”换成了“狗”。"
    reply.image         # the current picture (PIL RGB) after the turn
    reply.candidates    # numbered CandidateView thumbnails when the turn asks the user to pick
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Sequence

import numpy as np
from PIL import Image, ImageDraw

import prompts
from tools.masks import overlay, resize_mask
from tools.rank import Candidate
from tools.segment import Segment

ReplyKind = Literal["edited", "asked", "not_found", "history", "partial", "error", "info"]

# distinct outline colours for numbered candidates (colour-blind friendly order)
CANDIDATE_COLOURS = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (204, 121, 167), (240, 228, 66),
                     (213, 94, 0)]
THUMBNAIL_SIDE = 160


@dataclass(frozen=True)
class TurnProgress:
    """A progress event of a turn: `stage` is "parse", "segment", "rank", "select", "inpaint", "done"
    or "save"; `done`/`total` count diffusion steps during "inpaint"; `step` of `steps` is the
    command being run (1-based)."""

    stage: str
    done: int = 0
    total: int = 0
    step: int = 1
    steps: int = 1


@dataclass(frozen=True, eq=False)
class CandidateView:
    """A numbered candidate to show: `number` is what the user says ("选第2个"); `box` is
    (x0, y0, x1, y1) in image pixels; `mask` bool HxW at image size; `thumbnail` an RGB crop
    around it with the region outlined."""

    number: int
    box: tuple[int, int, int, int]
    score: float
    mask: np.ndarray
    thumbnail: Image.Image


@dataclass(frozen=True, eq=False)
class Reply:
    """One turn's answer.

    kind: "edited" (the picture changed), "asked" (pick a candidate), "not_found" (with the closest
        candidates, if any), "history" (undo/redo/reset/goto moved the pointer), "partial" (some
        steps of a message done, a later one failed), "error" (nothing changed), "info".
    text: for the user, in `language` ("zh" or "en").
    image: the current picture after the turn (PIL RGB); `changed`: bool HxW, pixels that differ
        from the picture before the turn (None when nothing changed).
    candidates / overview: when asking, the numbered choices and the picture with every choice
        outlined and numbered.
    version: the session's pointer after the turn; `versions`: how many there are.
    error: the `EditError.kind` of a failure ("bad_input", "not_found", ...), else None.
    saved: False when the session could not be saved (the text says so), None without a store.
    """

    kind: ReplyKind
    text: str
    language: str
    image: Image.Image | None = None
    changed: np.ndarray | None = None
    candidates: tuple[CandidateView, ...] = ()
    overview: Image.Image | None = None
    progress: tuple[TurnProgress, ...] = ()
    version: int = 0
    versions: int = 1
    error: str | None = None
    saved: bool | None = None

    @property
    def images(self) -> list[Image.Image]:
        """The pictures to show: the current one and, when asking, the numbered overview."""
        return [image for image in (self.image, self.overview) if image is not None]

    @property
    def waiting(self) -> bool:
        """True when the session waits for the user to pick one of `candidates`."""
        return bool(self.candidates)


def candidate_views(image: Image.Image, candidates: Sequence[Candidate]) -> tuple[CandidateView, ...]:
    """Numbered views (1, 2, ...) of `candidates` over `image` (PIL RGB); a mask found on a smaller
    working copy is scaled to the image first, so every box and mask is in the image's own pixels."""
    views = []
    for number, candidate in enumerate(candidates, start=1):
        colour = CANDIDATE_COLOURS[(number - 1) % len(CANDIDATE_COLOURS)]
        if candidate.mask.shape != (image.height, image.width):
            candidate = replace(candidate, segment=Segment.from_mask(resize_mask(candidate.mask, image.size)))
        views.append(CandidateView(number=number, box=tuple(int(v) for v in candidate.box),
                                   score=float(candidate.score), mask=candidate.mask,
                                   thumbnail=thumbnail(image, candidate.mask, candidate.box, colour)))
    return tuple(views)


def thumbnail(image: Image.Image, mask: np.ndarray, box, colour) -> Image.Image:
    """The region's box plus a margin, the region outlined in `colour`, at most THUMBNAIL_SIDE px."""
    x0, y0, x1, y1 = box
    pad = max(4, int(0.15 * max(x1 - x0, y1 - y0)))
    crop = (max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad))
    picture = overlay(image, mask, colour, alpha=0.25).crop(crop)
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return picture


def overview(image: Image.Image, views: Sequence[CandidateView]) -> Image.Image:
    """`image` with every candidate tinted, outlined and labelled with its number."""
    picture = image
    for view in views:
        picture = overlay(picture, view.mask, CANDIDATE_COLOURS[(view.number - 1) % len(CANDIDATE_COLOURS)],
                          alpha=0.3)
    draw = ImageDraw.Draw(picture)
    side = max(12, min(image.size) // 20)
    for view in views:
        colour = CANDIDATE_COLOURS[(view.number - 1) % len(CANDIDATE_COLOURS)]
        x, y = view.box[0], view.box[1]
        draw.rectangle((x, y, x + side, y + side), fill=colour)
        draw.text((x + side // 4, y + side // 8), str(view.number), fill=(0, 0, 0))
    return picture


# --------------------------------------------------------------------------------------- texts
def say(key: str, language: str, **fields) -> str:
    """The reply text `key` (prompts/replies.yaml) in `language` ("zh" or "en"; anything else reads
    English), filled in."""
    return prompts.text("replies", key, language, **fields)


def describe(action: str, source: str, target: str | None, language: str, command=None) -> str:
    """"把“猫”换成了“狗”" / "replaced 'cat' with 'dog'"; with the `command` (an EditCommand) the
    new actions too: "已把整张图改成了“油画风格”", "moved 'cat' to the left", "made 'dog' bigger (×1.25)"."""
    if command is not None and action in ("restyle", "adjust", "move", "resize", "generate"):
        return describe_new(command, source, language)
    return say(action if action in ("replace", "remove", "add") else "replace", language,
               source=source, target=target or "")


def describe_new(command, source: str, language: str) -> str:
    """The words for a restyle, adjust, move, resize or generate `command` (EditCommand) on `source`."""
    action = command.action
    if action in ("restyle", "generate"):
        return say(action, language, target=command.target or "")
    if action == "adjust":
        where = say("named_region", language, source=source) if source else say("whole_picture", language)
        way = "down" if (command.amount or 0.5) < 0 else "up"
        return say(f"adjust_{command.adjust}_{way}", language, where=where)
    if action == "resize":
        scale = command.scale or 1.0
        return say("resize_up" if scale > 1 else "resize_down", language, source=source, scale=f"{scale:g}")
    to = command.to or "center"
    if command.shift is not None:
        return say("move_by", language, source=source, way=say(f"way_{to}", language))
    return say("move", language, source=source, place=say(f"place_{to}", language))


def join(language: str, *parts: str) -> str:
    """Sentences joined the way the language joins them."""
    return ("" if language == "zh" else " ").join(p for p in parts if p)
