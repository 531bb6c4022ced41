"""Positions and shifts: baselines, changes, history and out-of-order items."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.models import Statement
from bot.shifts import (
    as_position,
    decide,
    item_stance,
    magnitude_accepts,
    magnitude_filter,
    magnitude_of,
    magnitude_steps,
    magnitude_words,
    needs_confirmation,
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
