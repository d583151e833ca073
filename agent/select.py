"""Choosing among ranked candidates: qualifiers, reading order, and when to ask the user.

Pure functions over `tools.rank.Candidate` lists (masks all the same size), no models:

    instances = distinct(ranking.candidates, threshold=ranking.threshold)
    choice = choose(instances, position="left")             # Choice(candidate=..., ask=())
    choice = choose(instances, ask_when_unsure=True)        # Choice(ask=(c1, c2)) when close or weak

Rules, with the named thresholds below:
- "matching" candidates score at least the ranking's not-found threshold;
- candidates that mostly overlap a better one (a part of it, or the same thing again) are dropped,
  so the rest are distinct instances;
- position / index pick one instance (index counts in reading order: rows top to bottom, each row
  left to right); `all` unites every matching instance; `exclude` drops instances overlapping the
  excluded thing;
- without a qualifier, the best instance is taken unless it is weak (below threshold + WEAK_MARGIN)
  or another instance scores within CLOSE_GAP of it: then the user is asked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tools.rank import Candidate
from tools.segment import Segment

# a candidate overlapping a better one by more than this share of the smaller of the two is the same
# thing (or a part of it), not another instance
SAME_THING_OVERLAP = 0.6
# a candidate overlapping the excluded thing by more than this share of itself is dropped
EXCLUDE_OVERLAP = 0.5
# the best match is "weak" when it scores less than this above the not-found threshold
WEAK_MARGIN = 0.15
# two instances scoring within this of each other are too close to choose without asking
CLOSE_GAP = 0.05
# at most this many candidates are offered to the user
MAX_CHOICES = 4
# offered candidates score within this of the best one
OFFER_BAND = 0.25


@dataclass(frozen=True, eq=False)
class Choice:
    """The outcome of choosing: one `candidate` to edit, or candidates to `ask` the user about.

    `reason` says why: "best", "qualifier", "all", "only", "close", "weak", "out_of_range", "none".
    """

    candidate: Candidate | None = None
    ask: tuple[Candidate, ...] = ()
    reason: str = "best"


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """|a ∩ b| / min(|a|, |b|) for two bool HxW masks (0 when either is empty)."""
    smaller = min(int(a.sum()), int(b.sum()))
    return float((a & b).sum()) / smaller if smaller else 0.0


def distinct(candidates: Sequence[Candidate], *, threshold: float = 0.0) -> list[Candidate]:
    """Candidates scoring ≥ `threshold`, best first, without those that are mostly a better one."""
    kept: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: -c.score):
        if candidate.score < threshold:
            continue
        if all(overlap(candidate.mask, other.mask) <= SAME_THING_OVERLAP for other in kept):
            kept.append(candidate)
    return kept


def reading_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Rows top to bottom, each row left to right. A candidate joins a row when its vertical centre
    lies within the box of the row's first (topmost) member."""
    rows: list[list[Candidate]] = []
    for candidate in sorted(candidates, key=lambda c: (c.box[1], c.box[0])):
        centre_y = (candidate.box[1] + candidate.box[3]) / 2
        for row in rows:
            if row[0].box[1] <= centre_y < row[0].box[3]:
                row.append(candidate)
                break
        else:
            rows.append([candidate])
    return [c for row in rows for c in sorted(row, key=lambda c: (c.box[0] + c.box[2]) / 2)]


def by_position(candidates: Sequence[Candidate], position: str) -> Candidate:
    """The leftmost / rightmost / topmost / bottommost / most central / largest / smallest one."""
    if not candidates:
        raise ValueError("by_position needs at least one candidate")
    if position not in POSITION_KEYS:
        raise ValueError(f"position must be one of {sorted(POSITION_KEYS)}, got {position!r}")
    shape = candidates[0].mask.shape
    return min(candidates, key=lambda c: POSITION_KEYS[position](c, shape))


def _centre(c: Candidate) -> tuple[float, float]:
    return c.segment.centre


POSITION_KEYS = {
    "left": lambda c, shape: _centre(c)[0],
    "right": lambda c, shape: -_centre(c)[0],
    "top": lambda c, shape: _centre(c)[1],
    "bottom": lambda c, shape: -_centre(c)[1],
    "center": lambda c, shape: (_centre(c)[0] - shape[1] / 2) ** 2 + (_centre(c)[1] - shape[0] / 2) ** 2,
    "largest": lambda c, shape: -c.segment.area,
    "smallest": lambda c, shape: c.segment.area,
}


def without(candidates: Sequence[Candidate], excluded: np.ndarray | None) -> list[Candidate]:
    """`candidates` minus those overlapping `excluded` (bool HxW) by more than EXCLUDE_OVERLAP of
    themselves."""
    if excluded is None or not excluded.any():
        return list(candidates)
    return [c for c in candidates
            if (c.mask & excluded).sum() <= EXCLUDE_OVERLAP * max(1, c.segment.area)]


def united(candidates: Sequence[Candidate]) -> Candidate:
    """One candidate over the union of `candidates`' masks, scored as the weakest of them."""
    if len(candidates) == 1:
        return candidates[0]
    mask = np.logical_or.reduce([c.mask for c in candidates])
    return Candidate(Segment.from_mask(mask), score=min(c.score for c in candidates),
                     similarity=min(c.similarity for c in candidates), rank=1)


def offered(instances: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """What to show when asking: up to MAX_CHOICES instances within OFFER_BAND of the best (at least
    two when there are two), in reading order."""
    if not instances:
        return ()
    best = instances[0].score
    chosen = [c for c in instances if c.score >= best - OFFER_BAND][:MAX_CHOICES]
    if len(chosen) < 2:
        chosen = list(instances[:2])
    return tuple(reading_order(chosen))


def choose(instances: Sequence[Candidate], *, position: str | None = None, index: int | None = None,
           all: bool = False, threshold: float = 0.0, ask_when_unsure: bool = True) -> Choice:
    """Apply the qualifiers to `instances` (distinct candidates, best first) and decide.

    threshold: the ranking's not-found threshold, for the "weak" rule.
    ask_when_unsure: False takes the best instead of asking (nobody to ask, or scores that mean nothing).
    """
    if index is not None and index < 1:
        raise ValueError(f"index must be 1 or more, got {index}")
    if not instances:
        return Choice(reason="none")
    if all:
        return Choice(candidate=united(list(instances)), reason="all")
    if index is not None:
        ordered = reading_order(instances)
        if index > len(ordered):
            return Choice(ask=tuple(ordered[:MAX_CHOICES]), reason="out_of_range")
        return Choice(candidate=ordered[index - 1], reason="qualifier")
    if position is not None:
        return Choice(candidate=by_position(instances, position), reason="qualifier")
    best = instances[0]
    if len(instances) == 1 and best.score >= threshold + WEAK_MARGIN:
        return Choice(candidate=best, reason="only")
    if not ask_when_unsure:
        return Choice(candidate=best, reason="best")
    if best.score < threshold + WEAK_MARGIN:
        return Choice(ask=offered(instances), reason="weak")
    if instances[1].score >= best.score - CLOSE_GAP:
        return Choice(ask=offered(instances), reason="close")
    return Choice(candidate=best, reason="best")
