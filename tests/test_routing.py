"""Subscription filters: one parser for every chat, and which shifts they let through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import UsageError
from bot.models import Position, Shift, Statement
from bot.routing import destinations_for, parse_filters
from bot.rules import RuleSet

WHEN = datetime(2024, 2, 27, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "filters"), [
    ("", []),
    ("france emmanuel macron flop", ["FR", "emmanuel-macron", "flop"]),
    ("FR, Keir Starmer, flop", ["FR", "keir-starmer", "flop"]),
    ("troops-to-ukraine France, Starmer", ["troops-to-ukraine", "FR", "keir-starmer"]),
    ("United Kingdom half-flips", ["GB", "half-flip"]),
    ("magnitude > 1", ["magnitude>=2"]),
    ("France france FR", ["FR"]),
])
def test_filters_read_multi_word_names_as_typed_with_or_without_commas(
        rules: RuleSet, typed: str, filters: list[str]) -> None:
    assert parse_filters(typed, rules) == filters


def test_a_word_that_names_nothing_is_refused_with_the_nearest_name(rules: RuleSet) -> None:
    with pytest.raises(UsageError, match=r"unknown filter 'frnace'.*Did you mean France \(FR\)"):
        parse_filters("troops-to-ukraine frnace", rules)


def shift(magnitude: int) -> Shift:
    said = Statement("g2", "https://example.test/2", WHEN, "emmanuel-macron", "Emmanuel Macron",
                     "FR", "troops-to-ukraine", "supports", False, 0.9, "Yes.")
    before = Position("emmanuel-macron", "Emmanuel Macron", "FR", "troops-to-ukraine",
                      "opposes", WHEN, "No.", "https://example.test/1", "g1")
    return Shift(said, before, magnitude)


def test_a_shift_goes_to_the_console_and_the_chats_whose_filters_match() -> None:
    subscriptions = [("telegram", "1", ["FR"]), ("telegram", "2", ["DE"]),
                     ("slack", "C1", ["macron", "flop"]), ("slack", "C2", ["half-flip"]),
                     ("matrix", "!x", [])]
    platforms = ("console", "telegram", "slack")
    assert destinations_for(shift(2), subscriptions, platforms) == [
        "console", "telegram:1", "slack:C1"]
    assert destinations_for(shift(1), subscriptions, platforms) == [
        "console", "telegram:1", "slack:C2"]
    assert destinations_for(shift(1), subscriptions, ("slack",)) == ["slack:C2"]
