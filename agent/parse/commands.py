"""The edit plan schema: what the instruction parser returns and the editor runs."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["replace", "remove", "add", "restyle", "adjust", "move", "resize", "generate",
                 "undo", "redo", "reset", "regenerate", "pick", "none"]
Position = Literal["left", "right", "top", "bottom", "center", "largest", "smallest"]
Direction = Literal["left", "right", "top", "bottom", "center"]
AdjustKind = Literal["brightness", "contrast", "saturation", "warmth", "sharpness", "grayscale"]
Aspect = Literal["square", "landscape", "portrait"]
Language = Literal["zh", "en"]

EDIT_ACTIONS: frozenset[str] = frozenset({"replace", "remove", "add", "restyle", "adjust", "move", "resize",
                                          "generate"})
REGION_ACTIONS: frozenset[str] = frozenset({"replace", "remove", "add", "move", "resize"})  # need a source
WHOLE_PICTURE_ACTIONS: frozenset[str] = frozenset({"restyle", "generate"})  # never a source


class EditCommand(BaseModel):
    """One step of an instruction.

    Examples: "把猫换成狗" → action "replace", source "猫", target "狗";
    "删除左边的人" → action "remove", source "人", position "left";
    "选2号" → action "pick", index 2;
    "把整张图变成油画风格" → "restyle", target "油画风格" (source None: the whole picture);
    "把天空调亮一点" → "adjust", source "天空", adjust "brightness", amount +0.5;
    "把右边的椅子移到左边" → "move", source "椅子", position "right", to "left";
    "往右移一点" → "move", to "right", shift 0.15;  "把狗放大一点" → "resize", source "狗", scale 1.25;
    "画一张海边日落的图片" → "generate", target "海边日落"; "横版" adds aspect "landscape".
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Action
    source: Optional[str] = Field(None, description="the thing to find, in the user's language")
    target: Optional[str] = Field(None, description="what to paint; a recolour names colour and object")
    position: Optional[Position] = None
    index: Optional[int] = Field(None, ge=1, description="1-based, in reading order")
    all: bool = False
    exclude: Optional[str] = None
    to: Optional[Direction] = Field(None, description="move: where the object goes")
    shift: Optional[float] = Field(None, description="move: by this fraction of the picture (0.15 for "
                                   "'一点/a bit') instead of all the way to `to`")
    adjust: Optional[AdjustKind] = Field(None, description="adjust: which photo adjustment")
    amount: Optional[float] = Field(None, description="adjust: signed, + more / - less; 'a bit' ±0.25, "
                                    "plain ±0.5, 'a lot' ±1.0 (grayscale ignores it)")
    scale: Optional[float] = Field(None, description="resize: > 1 bigger, < 1 smaller ('放大一点' 1.25, "
                                   "'放大两倍' 2, '缩小一点' 0.8)")
    strength: Optional[float] = Field(None, description="restyle: how much to repaint, 0–1 (default ≈ 0.55, "
                                      "'completely' ≈ 0.75, 'slightly' ≈ 0.35)")
    aspect: Optional[Aspect] = Field(None, description="generate: the picture's shape (default square)")
    language: Language = "zh"

    @property
    def is_edit(self) -> bool:
        """True for commands that change pixels (everything but undo/redo/reset/regenerate/pick/none)."""
        return self.action in EDIT_ACTIONS

    @property
    def needs_region(self) -> bool:
        """True when the command acts on one found region (replace, remove, add, move, resize; an adjust
        with a source)."""
        return self.action in REGION_ACTIONS or (self.action == "adjust" and bool(self.source))
