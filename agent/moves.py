"""Move and resize one found object: the editor's glue between a command and tools/placement.py.

    check_placement(command)                               # refusals before any model work
    outcome, moved = placement_step(...)                   # moved: bool HxW, the object at its new place
    outcome.image, outcome.step, outcome.aside             # aside: " (stopped at the edge of the picture)"

The hole is filled with SD and the fill prompt (or OpenCV with `remove_method="opencv"`), and the seam
around the pasted object is blended with a light inpaint (a feathered paste with OpenCV).
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image

from agent.edit_types import EditSettings, Progress, ProgressCallback
from agent.parse import EditCommand
from agent.session.reply import say
from agent.step import Found, StepResult, refusal
from tools.inpaint import InpaintSettings, opencv_remove
from tools.masks import box_of
from tools.models import Models
from tools.placement import MAX_SCALE, MIN_SCALE, Destination, destination, place, resized_box

SEAM_STRENGTH = 0.35  # how much of the seam ring the blend repaints


def check_placement(command: EditCommand) -> None:
    """A one-line refusal for a move with no destination or a bad shift, a resize by a factor outside
    0.1–10 (or by 1); nothing for other commands."""
    if command.action == "move":
        if command.to is None:
            raise refusal("needs_destination")
        if command.shift is not None and not (math.isfinite(command.shift) and 0.01 <= command.shift <= 1):
            raise refusal("bad_shift", shift=f"{command.shift:g}")
    if command.action == "resize":
        scale = command.scale
        if scale is None or not math.isfinite(scale) or not MIN_SCALE <= scale <= MAX_SCALE or scale == 1:
            raise refusal("bad_scale", scale="?" if scale is None else f"{scale:g}")


def where_to(command: EditCommand, box: tuple[int, int, int, int], frame: tuple[int, int]) -> Destination:
    """The object's new box for a move or resize `command` of an object at `box`."""
    if command.action == "resize":
        return resized_box(box, frame=frame, scale=float(command.scale))
    return destination(box, frame=frame, to=command.to, shift=command.shift)


def placement_step(models: Models, command: EditCommand, image: Image.Image, found: Found, *,
                   settings: EditSettings, inpaint_settings: InpaintSettings,
                   notify: ProgressCallback) -> tuple[StepResult, np.ndarray]:
    """`command` (move or resize) carried out on the object `found` in `image` (PIL RGB); and the
    object's mask (bool HxW) at its new place."""
    check_placement(command)
    language, source = command.language, command.source or say("point_region", command.language)
    box = box_of(found.mask)
    where = where_to(command, box, image.size)
    if where.box == box:  # nowhere to go: already at that side, or no room to grow or shrink
        raise refusal("already_there" if command.action == "move" else "no_room_to_resize", source=source)

    def on_step(done: int, total: int) -> None:
        notify(Progress("inpaint", done, total))

    if settings.remove_method == "opencv":
        def fill(picture, mask):
            return opencv_remove(picture, mask, settings=inpaint_settings)
        blend, inpainter_id = None, "opencv-telea"
    else:
        inpainter = models.inpainter(language)
        inpainter_id = models.model_id(models.inpainter_component(language))

        def fill(picture, mask):
            return inpainter.remove(picture, mask, source, settings=inpaint_settings, on_step=on_step,
                                    language=language)

        def blend(picture, ring):
            return inpainter.inpaint(picture, ring, source, settings=inpaint_settings, on_step=on_step,
                                     language=language, strength=SEAM_STRENGTH)
    result = place(image, found.mask, where.box, fill=fill, blend=blend, clamped=where.clamped)
    notify(Progress("done"))
    aside = say("stopped_at_edge", language) if result.clamped else ""
    step = found.step(command, result.changed, seed=inpaint_settings.seed,
                      model_ids={"sam": models.model_id("sam"), "inpainter": inpainter_id},
                      timings=dict(result.seconds))
    return StepResult(step, result.image, note=found.note, aside=aside), result.region
