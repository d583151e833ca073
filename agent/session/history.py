"""A session's history: the versions, the pointer to the current one, and the edit waiting for a pick.

    history = History([Version(0, "original", photo)])
    history.commit(kind="edit", image=dog, instruction="把猫换成狗", steps=steps)  # → version 1, current
    history.can_undo, history.can_redo, history.can_reset, history.can_regenerate   # what a button may do
    history.undo(); history.redo(); history.goto(0); history.reset()
    saved = history.snapshot(); ...; history.restore(saved)  # a failed turn leaves no trace

Every rule of moving through the history lives here: a new version after an undo or a goto drops the
versions after the pointer; undo/redo/goto forget a pending pick; reset is a new version holding the
original picture. A move that cannot be made raises the user-facing refusal (a NothingToDoError for
"nothing to undo" and the like, a BadInputError for a version that does not exist).
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from agent.parse import EditCommand
from agent.session.version import Step, Version, VersionKind
from agent.step import refusal
from tools.rank import Candidate


@dataclass(frozen=True, eq=False)
class Pending:
    """An edit waiting for the user to pick: `candidates` (masks at image size) are numbered 1..N;
    `rest` are the commands of the same message still to run after it; `version` is the version it
    was asked on (a pick is only taken while that version is current)."""

    command: EditCommand
    rest: tuple[EditCommand, ...]
    instruction: str
    candidates: tuple[Candidate, ...]
    reason: str
    version: int


@dataclass(frozen=True, eq=False)
class HistoryState:
    """What `History.snapshot` keeps and `History.restore` puts back."""

    versions: tuple[Version, ...]
    pointer: int
    pending: Pending | None = None


class History:
    """The versions (numbered 0..N, 0 = the original), the pointer and the pending pick."""

    def __init__(self, versions: list[Version] | tuple[Version, ...], pointer: int = 0,
                 pending: Pending | None = None):
        if not versions or not 0 <= pointer < len(versions):
            raise ValueError(f"pointer {pointer} is not a version of a history of {len(versions)}")
        self._versions, self._pointer, self.pending = list(versions), pointer, pending

    # ---------------------------------------------------------------------------- reading it
    @property
    def versions(self) -> tuple[Version, ...]:
        return tuple(self._versions)

    @property
    def pointer(self) -> int:
        """The number of the current version."""
        return self._pointer

    @property
    def current(self) -> Version:
        return self._versions[self._pointer]

    @property
    def original(self) -> Version:
        return self._versions[0]

    def __len__(self) -> int:
        return len(self._versions)

    def __getitem__(self, number: int) -> Version:
        return self._versions[number]

    @property
    def can_undo(self) -> bool:
        return self._pointer > 0

    @property
    def can_redo(self) -> bool:
        return self._pointer < len(self._versions) - 1

    @property
    def can_reset(self) -> bool:
        """False when the current picture is already the original (the upload, or a reset)."""
        return self.current.kind not in ("original", "reset")

    @property
    def can_regenerate(self) -> bool:
        """True when the current version was made by edits (which can be tried again)."""
        return self.current.is_edit

    def pending_here(self) -> Pending | None:
        """The pending pick, if it was asked on the current version."""
        pending = self.pending
        return pending if pending is not None and pending.version == self._pointer else None

    # ---------------------------------------------------------------------------- moving it
    def commit(self, *, kind: VersionKind, image: Image.Image, instruction: str = "",
               steps: tuple[Step, ...] = (), parent: int | None = None) -> range:
        """A new version after the current one becomes current; returns the numbers of the versions
        it dropped (those after the pointer, left by an undo or a goto; an empty range: none)."""
        number = self._pointer + 1
        dropped = range(number, len(self._versions))
        version = Version(number, kind, image, instruction, tuple(steps), parent=parent)
        self._versions = self._versions[:number] + [version]
        self._pointer, self.pending = number, None
        return dropped

    def undo(self) -> Version:
        if not self.can_undo:
            raise refusal("nothing_to_undo")
        return self._move(self._pointer - 1)

    def redo(self) -> Version:
        if not self.can_redo:
            raise refusal("nothing_to_redo")
        return self._move(self._pointer + 1)

    def goto(self, number: int) -> Version:
        """Make version `number` current (a new edit then drops the versions after it)."""
        if not 0 <= number < len(self._versions):
            raise refusal("no_such_version", version=number, last=len(self._versions) - 1)
        return self._move(number)

    def reset(self, instruction: str = "reset") -> range:
        """A new version holding the original picture; returns the versions dropped (see `commit`)."""
        if not self.can_reset:
            raise refusal("already_original")
        return self.commit(kind="reset", image=self.original.image, instruction=instruction)

    def ask(self, pending: Pending) -> None:
        """Remember an edit waiting for a pick on the current version."""
        self.pending = pending

    def _move(self, number: int) -> Version:
        self._pointer, self.pending = number, None
        return self.current

    # -------------------------------------------------------------------------- rolling back
    def snapshot(self) -> HistoryState:
        return HistoryState(tuple(self._versions), self._pointer, self.pending)

    def restore(self, state: HistoryState) -> None:
        """Put the history back as `snapshot` saw it (a failed turn; another writer's saved state)."""
        self._versions, self._pointer, self.pending = list(state.versions), state.pointer, state.pending
