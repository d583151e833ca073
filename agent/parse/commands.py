"""The edit plan schema: what the instruction parser returns and the editor runs."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["replace", "remove", "add", "undo", "redo", "reset", "regenerate", "pick", "none"]
Position = Literal["left", "right", "top", "bottom", "center", "largest", "smallest"]
Language = Literal["zh", "en"]

EDIT_ACTIONS: frozenset[str] = frozenset({"replace", "remove", "add"})


class EditCommand(BaseModel):
    """One step of an instruction.

    Examples: "把猫换成狗" → action "replace", source "猫", target "狗";
    "删除左边的人" → action "remove", source "人", position "left";
    "选2号" → action "pick", index 2.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: Action
    source: Optional[str] = Field(None, description="the thing to find, in the user's language")
    target: Optional[str] = Field(None, description="what to paint; a recolour names colour and object")
    position: Optional[Position] = None
    index: Optional[int] = Field(None, ge=1, description="1-based, in reading order")
    all: bool = False
    exclude: Optional[str] = None
    language: Language = "zh"

    @property
    def is_edit(self) -> bool:
        """True for commands that change pixels from a source region (replace, remove, add)."""
        return self.action in EDIT_ACTIONS
