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
MESSAGES: dict[str, tuple[str, str]] = {
    # key: (English, Chinese)
    "replace": ("replaced '{source}' with '{target}'", "把“{source}”换成了“{target}”"),
    "remove": ("removed '{source}'", "去掉了“{source}”"),
    "add": ("added '{target}' on the '{source}'", "在“{source}”上加了“{target}”"),
    "point_region": ("the clicked region", "点选的区域"),
    "box_region": ("the boxed region", "框选的区域"),
    "edited": ("Done: {what}.", "好了：{what}。"),
    "took_best": ("Several things could be '{source}'; I took the best match.",
                  "有几个可能是“{source}”的，选了最像的那个。"),
    "ask_close": ("I found several '{source}'. Which one? Reply 'use #N' (e.g. 'use #1').",
                  "找到了几个“{source}”，要改哪一个？请回复“选第N个”（如“选第1个”）。"),
    "ask_weak": ("I'm not sure which one is '{source}'. Is it one of these? Reply 'use #N', or click on it.",
                 "不太确定哪个是“{source}”，是下面的某一个吗？请回复“选第N个”，或者在图上点一下它。"),
    "out_of_range": ("I found {count} '{source}', so there is no #{index}. Which one? Reply 'use #N'.",
                     "只找到 {count} 个“{source}”，没有第 {index} 个。要改哪一个？请回复“选第N个”。"),
    "not_found": ("I couldn't find '{source}'. The closest matches are below: reply 'use #N', or click or "
                  "draw a box on it.", "没有找到“{source}”。下面是最接近的几个：回复“选第N个”，或者在图上点一下、框出它。"),
    "not_found_bare": ("I couldn't find '{source}'. Click or draw a box on it instead.",
                       "没有找到“{source}”。可以在图上点一下或框出它。"),
    "undo": ("Undone: back to version {version}.", "已撤销，回到第 {version} 版。"),
    "nothing_to_undo": ("Nothing to undo.", "没有可以撤销的了。"),
    "redo": ("Redone: now at version {version}.", "已重做，现在是第 {version} 版。"),
    "nothing_to_redo": ("Nothing to redo: this is the latest version.", "已经是最新的版本，没有可以重做的。"),
    "reset": ("Back to the original. The history is kept: say 'undo' to return.",
              "已恢复原图。之前的版本都还在，说“撤销”可以回去。"),
    "already_original": ("This is already the original picture.", "现在已经是原图了。"),
    "goto": ("Now at version {version}.", "现在是第 {version} 版。"),
    "no_such_version": ("There is no version {version} (versions 0 to {last}).",
                        "没有第 {version} 版（共有第 0 到第 {last} 版）。"),
    "nothing_to_regenerate": ("There is no edit to regenerate here.", "这一版没有可以重新生成的编辑。"),
    "regenerated": ("Regenerated with seed {seed}: {what}.", "换了随机种子（{seed}）重新生成：{what}。"),
    "empty": ("Say what to change, e.g. 'replace the cat with a dog'.", "请说一句要怎么改，比如“把猫换成狗”。"),
    "not_understood": ("I didn't understand '{text}'. Try 'replace the cat with a dog' or 'undo'.",
                       "没听懂“{text}”。试试“把猫换成狗”或“撤销”。"),
    "nothing_to_pick": ("There is nothing to pick from right now.", "现在没有可以选的候选。"),
    "pick_out_of_range": ("Pick a number from 1 to {count}.", "请选 1 到 {count} 之间的编号。"),
    "pick_missed": ("That point is on none of the candidates; pick a number or click inside one.",
                    "这个点不在任何候选上；请选一个编号，或者点在候选区域里面。"),
    "needs_source": ("Say what to edit, or click or draw a box on it.", "请说要改哪个东西，或者在图上点一下、框出它。"),
    "needs_target": ("Say what to turn the selected region into (e.g. 'a dog'), or 'remove it'.",
                     "请说要把选中的区域换成什么（比如“换成狗”），或者说“去掉”。"),
    "step_failed": ("Step {step} of {steps} ({what}) failed: {reason}", "第 {step} 步（共 {steps} 步，{what}）没有完成：{reason}"),
    "steps_kept": ("The step(s) before it were done and kept.", "之前的步骤已完成并保留。"),
    "unchanged": ("The picture is unchanged.", "图片没有改变。"),
    "internal": ("Something went wrong inside the editor; the picture is unchanged.",
                 "编辑时出了点问题，图片没有改变。"),
    "save_failed": ("(Saving the session failed: {reason})", "（会话保存失败：{reason}）"),
    "discarded": ("(versions {first}–{last} discarded)", "（已丢弃第 {first}–{last} 版）"),
    "discarded_one": ("(version {first} discarded)", "（已丢弃第 {first} 版）"),
    "caught_up": ("(This session was saved elsewhere meanwhile; continuing from its latest state, version "
                  "{version}.)", "（这个会话刚在别处保存了新的内容，已接着它最新的状态（第 {version} 版）继续。）"),
}


def say(key: str, language: str, **fields) -> str:
    """The message `key` in `language` ("zh" or "en"; anything else reads English), filled in."""
    english, chinese = MESSAGES[key]
    return (chinese if language == "zh" else english).format(**fields)


def describe(action: str, source: str, target: str | None, language: str) -> str:
    """"把“猫”换成了“狗”" / "replaced 'cat' with 'dog'"."""
    return say(action if action in ("replace", "remove", "add") else "replace", language,
               source=source, target=target or "")


def join(language: str, *parts: str) -> str:
    """Sentences joined the way the language joins them."""
    return ("" if language == "zh" else " ").join(p for p in parts if p)
