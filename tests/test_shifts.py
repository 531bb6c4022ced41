"""Positions and shifts: baselines, changes, history and out-of-order items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import HeldShift, Statement
from bot.shifts import (
    Move,
    as_position,
    decide,
    item_stance,
    magnitude_accepts,
    magnitude_filter,
    magnitude_of,
    magnitude_steps,
    magnitude_words,
    needs_confirmation,
    settle,
)

LABELS = ("opposes", "open", "conditional", "supports")


def statement(stance: str, day: int, *, historical: bool = False, confidence: float = 0.9,
              guid: str = "g") -> Statement:
    return Statement(item_guid=guid, url="", published=datetime(2024, 3, day, tzinfo=UTC),
                     actor_id="a", actor_name="A", country="FR", topic="t", stance=stance,
                     historical=historical, confidence=confidence, evidence=f"{stance} {day}")


def test_first_statement_is_a_baseline_not_a_shift() -> None:
    d = decide(None, statement("open", 1), LABELS)
    assert d.position is not None and d.position.stance == "open"
    assert d.shift is None


def test_a_different_stance_later_is_a_shift_and_becomes_the_position() -> None:
    d = decide(as_position(statement("open", 1)), statement("conditional", 5), LABELS)
    assert d.shift is not None
    assert (d.shift.from_stance, d.shift.to_stance, d.shift.magnitude) == ("open", "conditional", 1)
    assert d.position is not None and d.position.stance == "conditional"


def test_the_same_stance_again_changes_nothing() -> None:
    d = decide(as_position(statement("open", 1)), statement("open", 5), LABELS)
    assert d == decide(as_position(statement("open", 1)), statement("open", 6), LABELS)
    assert d.shift is None and d.position is None


def test_historical_statements_never_shift() -> None:
    d = decide(as_position(statement("open", 1)), statement("opposes", 5, historical=True), LABELS)
    assert d.shift is None and d.position is None


def test_an_older_item_does_not_overwrite_a_newer_position() -> None:
    d = decide(as_position(statement("open", 10)), statement("opposes", 2), LABELS)
    assert d.shift is None and d.position is None


def test_magnitude_counts_steps_on_the_scale() -> None:
    assert magnitude_of("opposes", "open", LABELS) == 1
    assert magnitude_of("opposes", "supports", LABELS) == 3


def test_an_item_with_open_and_conditional_states_conditional() -> None:
    chosen = item_stance([statement("open", 1, confidence=0.95),
                          statement("conditional", 1, confidence=0.9)], LABELS)
    assert chosen is not None and chosen.stance == "conditional"


def test_a_much_more_confident_statement_outweighs_precedence() -> None:
    chosen = item_stance([statement("opposes", 1, confidence=0.95),
                          statement("conditional", 1, confidence=0.5)], LABELS)
    assert chosen is not None and chosen.stance == "opposes"


def test_an_item_with_only_historical_statements_states_nothing() -> None:
    assert item_stance([statement("open", 1, historical=True)], LABELS) is None


def test_magnitude_is_named_as_fact_checkers_grade_it() -> None:
    assert (magnitude_words(1), magnitude_steps(1)) == ("half flip", "one step")
    assert (magnitude_words(2), magnitude_steps(2)) == ("full flop", "two steps")
    assert magnitude_words(3) == "full flop"


@pytest.mark.parametrize(("typed", "canonical"), [
    ("flop", "flop"), ("FULL-FLOP", "flop"), ("half-flip", "half-flip"),
    ("magnitude>=2", "magnitude>=2"), ("magnitude >= 3", "magnitude>=3"), ("magnitude>1", "magnitude>=2"),
    ("magnitude:2", "magnitude>=2"), ("magnitude=1", "magnitude=1"), ("magnitude==2", "magnitude=2"),
    ("france", None), ("magnitude<2", None),
])
def test_magnitude_filters_have_one_spelling_each(typed: str, canonical: str | None) -> None:
    assert magnitude_filter(typed) == canonical


def test_magnitude_filters_accept_what_they_say() -> None:
    assert [m for m in (1, 2, 3) if magnitude_accepts("flop", m)] == [2, 3]
    assert [m for m in (1, 2, 3) if magnitude_accepts("half-flip", m)] == [1]
    assert [m for m in (1, 2, 3) if magnitude_accepts("magnitude>=3", m)] == [3]
    assert [m for m in (1, 2, 3) if magnitude_accepts("magnitude=2", m)] == [2]


def test_a_shift_weaker_than_the_threshold_needs_confirmation() -> None:
    weak = decide(as_position(statement("open", 1)), statement("conditional", 5, confidence=0.5),
                  LABELS).shift
    strong = decide(as_position(statement("open", 1)), statement("conditional", 5), LABELS).shift
    assert weak is not None and strong is not None
    assert needs_confirmation(weak, 0.6) and not needs_confirmation(strong, 0.6)
    assert not needs_confirmation(weak, 0.0)  # a threshold of 0 alerts on everything


# ---------------------------------------------------------------------- settle: held and confirmed

THRESHOLD = 0.7
STRONG, WEAK = 0.9, 0.5


def held(from_stance: str, to_stance: str, day: int) -> HeldShift:
    return HeldShift(id=7, from_stance=from_stance, to_stance=to_stance,
                     published=datetime(2024, 3, day, tzinfo=UTC), evidence=f"{to_stance} {day}",
                     url=f"https://example.test/{day}", item_guid=f"held-{day}", confidence=WEAK)


# (position before: stance and day, or None; held shift: (from, to, day) or None; the item's
#  words: stance, day, confidence) -> (move, stance the position takes or None, superseded)
SETTLE_CASES = [
    # no held shift
    ("first words: a baseline", None, None, ("open", 2, STRONG), (Move.BASELINE, "open", False)),
    ("the same stance again", ("open", 1), None, ("open", 2, STRONG), (Move.NOTHING, None, False)),
    ("older words", ("open", 5), None, ("supports", 2, STRONG), (Move.NOTHING, None, False)),
    ("a confident change", ("open", 1), None, ("supports", 2, STRONG),
     (Move.RECORD, "supports", False)),
    ("a weak change is held", ("open", 1), None, ("supports", 2, WEAK), (Move.HOLD, None, False)),
    # a held shift open -> supports, said on day 3
    ("the held move again, weakly", ("open", 1), ("open", "supports", 3), ("supports", 4, WEAK),
     (Move.CORROBORATE, "supports", False)),
    ("the held move again, strongly", ("open", 1), ("open", "supports", 3),
     ("supports", 4, STRONG), (Move.CONFIRM, "supports", False)),
    ("newer words go back: the held move is superseded", ("open", 1), ("open", "supports", 3),
     ("open", 4, STRONG), (Move.NOTHING, None, True)),
    ("newer words, another move: superseded, and held in turn", ("open", 1),
     ("open", "supports", 3), ("opposes", 4, WEAK), (Move.HOLD, None, True)),
    ("newer words, another confident move: superseded, and recorded", ("open", 1),
     ("open", "supports", 3), ("opposes", 4, STRONG), (Move.RECORD, "opposes", True)),
    ("older words, another move: neither confirm nor undo", ("open", 1),
     ("open", "supports", 3), ("opposes", 2, STRONG), (Move.NOTHING, None, False)),
    ("the position moved since: the held move no longer applies", ("conditional", 1),
     ("open", "supports", 3), ("supports", 4, STRONG), (Move.RECORD, "supports", True)),
    ("no position any more", None, ("open", "supports", 3), ("supports", 4, STRONG),
     (Move.BASELINE, "supports", True)),
]


@pytest.mark.parametrize(("before", "waiting", "words", "expected"),
                         [case[1:] for case in SETTLE_CASES], ids=[case[0] for case in SETTLE_CASES])
def test_settle_decides_baselines_shifts_held_and_confirmed_moves(
        before: tuple[str, int] | None, waiting: tuple[str, str, int] | None,
        words: tuple[str, int, float], expected: tuple[Move, str | None, bool]) -> None:
    previous = as_position(statement(before[0], before[1])) if before else None
    stance, day, confidence = words
    verdict = settle(previous, held(*waiting) if waiting else None,
                     statement(stance, day, confidence=confidence), LABELS, THRESHOLD)
    position = verdict.position.stance if verdict.position else None
    assert (verdict.move, position, verdict.supersede) == expected


def test_a_confirmed_move_dates_from_the_held_words_with_the_higher_confidence() -> None:
    verdict = settle(as_position(statement("open", 1)), held("open", "supports", 3),
                     statement("supports", 9, confidence=0.6), LABELS, THRESHOLD)
    assert verdict.move is Move.CORROBORATE and verdict.position is not None
    assert verdict.position.since == datetime(2024, 3, 3, tzinfo=UTC)
    assert (verdict.position.item_guid, verdict.position.confidence) == ("held-3", 0.6)
    assert verdict.shift is not None and verdict.shift.to_stance == "supports"
