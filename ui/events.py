"""What the user did on the page, as the widgets (ui/widgets.py) report it to ui/turns.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something the user did: kind is "send", "words" (a message on the first page, with no picture
    yet), "pick", "goto", "undo", "redo", "reset",
    "regenerate", "select", "clear", "upload", "sample" or "new"; value depends on the kind."""

    kind: str
    value: Any = None
