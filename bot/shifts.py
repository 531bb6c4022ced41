"""Statements of one item x stored positions -> new positions and shifts. Pure.

Rules (see rules/README.md):
- Only an actor's own current (non-historical) words set a position; recalled past statements
  never do, and never alert.
- When one item carries several current stances of one actor on one topic, the most specific
  wins among the statements within reach of the most confident one: a condition refines "not
  ruling it out" (`conditional` over `open`), and a clear yes or no outweighs it.
- The first position is a baseline, not a shift. An item older than the current position does
  not overwrite it. A different stance from a newer item is a shift, and becomes the position.
- A shift's magnitude is its distance on the ordered stance scale: one step is a "half flip",
  two or more a "full flop" (the fact-checkers' grades). Subscriptions filter on it.
- A shift less confident than the rules' `alerting.confirm_threshold` is held unconfirmed (the
  position keeps its stance) until a second, independent source states the same new stance.
  `settle` decides what an item's words do to a position and the shift held away from it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.models import HeldShift, Position, Shift, Statement

# Which stance an item states when it states several (most specific first).
PRECEDENCE = ("conditional", "supports", "opposes", "open")
WITHIN_REACH = 0.8


@dataclass(frozen=True)
class Decision:
    position: Position | None   # the new position to store (None: keep the stored one)
    shift: Shift | None


def item_stance(found: Iterable[Statement], labels: tuple[str, ...] = ()) -> Statement | None:
    """The one statement that stands for an item's view of one actor on one topic."""
    current = [s for s in found if not s.historical]
    if not current:
        return None
    best = max(s.confidence for s in current)
    contenders = [s for s in current if s.confidence >= WITHIN_REACH * best]
    order = [*PRECEDENCE, *(label for label in labels if label not in PRECEDENCE)]

    def rank(s: Statement) -> tuple[int, float]:
        return (order.index(s.stance) if s.stance in order else len(order), -s.confidence)

    return min(contenders, key=rank)


def by_actor_topic(found: Iterable[Statement]) -> dict[tuple[str, str], list[Statement]]:
    groups: dict[tuple[str, str], list[Statement]] = {}
    for s in found:
        groups.setdefault((s.actor_id, s.topic), []).append(s)
    return groups


def as_position(s: Statement) -> Position:
    return Position(actor_id=s.actor_id, actor_name=s.actor_name, country=s.country,
                    topic=s.topic, stance=s.stance, since=s.published, evidence=s.evidence,
                    url=s.url, item_guid=s.item_guid, confidence=s.confidence)


def decide(previous: Position | None, statement: Statement | None,
           labels: tuple[str, ...]) -> Decision:
    """What one item's statement does to the stored position."""
    if statement is None or statement.historical:
        return Decision(None, None)
    if previous is None:
        return Decision(as_position(statement), None)
    if statement.published < previous.since:
        return Decision(None, None)
    if statement.stance == previous.stance:
        return Decision(None, None)
    magnitude = magnitude_of(previous.stance, statement.stance, labels)
    return Decision(as_position(statement), Shift(statement, previous, magnitude))


class Move(enum.Enum):
    """What one item's words on one actor and topic do, once `settle` has looked."""

    NOTHING = "nothing"        # the same stance, older words, or words that settle nothing
    BASELINE = "baseline"      # the first position: stored, no shift
    RECORD = "record"          # a shift: the position moves and the shift alerts
    HOLD = "hold"              # a shift too weak to alert alone: held for a second source
    CONFIRM = "confirm"        # the held move again, strongly stated: it is confirmed
    CORROBORATE = "corroborate"  # the held move again, weakly: confirmed by an independent source only


@dataclass(frozen=True)
class Settlement:
    move: Move
    position: Position | None = None   # what the position becomes (BASELINE, RECORD, CONFIRM...)
    shift: Shift | None = None         # the move the words make (RECORD, HOLD, CONFIRM...)
    supersede: bool = False            # the held shift is contradicted: it will never alert


def settle(previous: Position | None, held: HeldShift | None, chosen: Statement,
           labels: tuple[str, ...], threshold: float) -> Settlement:
    """What an item's chosen statement does to the stored position and the shift held away
    from it (if any). Pure: the caller stores what it says, and for CORROBORATE first checks
    that the item is an independent source."""
    decision = decide(previous, chosen, labels)
    supersede = held is not None and (
        previous is None or held.from_stance != previous.stance
        or (chosen.stance != held.to_stance and chosen.published >= held.published))
    if supersede:
        held = None  # newer words say otherwise
    shift = decision.shift
    if shift is None:
        if decision.position is not None:
            return Settlement(Move.BASELINE, decision.position, supersede=supersede)
        return Settlement(Move.NOTHING, supersede=supersede)
    weak = needs_confirmation(shift, threshold)
    if held is None:
        if weak:  # the position keeps its stance until a second source confirms the move
            return Settlement(Move.HOLD, None, shift, supersede)
        return Settlement(Move.RECORD, decision.position, shift, supersede)
    if chosen.stance != held.to_stance:
        # older words with yet another stance: they neither confirm nor undo the move
        return Settlement(Move.NOTHING)
    confirmed = Position(
        actor_id=chosen.actor_id, actor_name=chosen.actor_name, country=chosen.country,
        topic=chosen.topic, stance=held.to_stance, since=held.published, evidence=held.evidence,
        url=held.url, item_guid=held.item_guid, confidence=max(held.confidence, chosen.confidence))
    return Settlement(Move.CORROBORATE if weak else Move.CONFIRM, confirmed, shift)


def magnitude_of(a: str, b: str, labels: tuple[str, ...]) -> int:
    """Steps between two stances on the ordered scale (1 = a half flip, 2+ = a full flop)."""
    if a in labels and b in labels:
        return abs(labels.index(a) - labels.index(b))
    return 1


def magnitude_words(magnitude: int) -> str:
    """How fact-checkers grade a change: one step is a "half flip", more a "full flop"."""
    return "half flip" if magnitude <= 1 else "full flop"


def magnitude_steps(magnitude: int) -> str:
    return {1: "one step", 2: "two steps", 3: "three steps"}.get(magnitude, f"{magnitude} steps")


def needs_confirmation(shift: Shift, threshold: float) -> bool:
    """A shift whose evidence is weaker than the threshold waits for a second source."""
    return shift.statement.confidence < threshold


# Subscription filters on magnitude. `flop` (also `full-flop`) = two steps or more; `half-flip`
# = exactly one step; `magnitude>=N`, `magnitude>N`, `magnitude=N`; `magnitude:N` means >= N.
_MAGNITUDE = re.compile(r"^magnitude\s*(>=|=>|>|==|=|:)\s*(\d+)$")
_NAMED = {"flop": "magnitude>=2", "full-flop": "magnitude>=2", "flops": "magnitude>=2",
          "full-flops": "magnitude>=2", "half-flip": "magnitude=1", "half-flips": "magnitude=1"}


def magnitude_filter(word: str) -> str | None:
    """The canonical form of a magnitude filter ("flop" stays "flop"), or None if it is none."""
    w = word.strip().lower()
    if w in ("flop", "half-flip"):
        return w
    if w in _NAMED:
        return "flop" if _NAMED[w] == "magnitude>=2" else "half-flip"
    m = _MAGNITUDE.match(w)
    if not m:
        return None
    op, n = m.group(1), int(m.group(2))
    if op == ">":
        op, n = ">=", n + 1
    elif op in ("=>", ":"):
        op = ">="
    elif op == "==":
        op = "="
    return f"magnitude{op}{n}"


def magnitude_accepts(canonical: str, magnitude: int) -> bool:
    """Whether a shift of `magnitude` passes one canonical magnitude filter."""
    rule = _NAMED.get(canonical, canonical)
    m = _MAGNITUDE.match(rule)
    if not m:
        return True
    n = int(m.group(2))
    return magnitude >= n if m.group(1) == ">=" else magnitude == n
