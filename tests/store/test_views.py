"""The views' reads, on every backend: statements by the day said, shifts by status, positions
with their unconfirmed move, new provisional actors, feeds; digest subscriptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.store import Store
from bot.store.digests import digest_subscriptions_of, mark_digest_sent, set_digest
from bot.store.views import (
    read_feeds,
    read_new_provisional_actors,
    read_positions,
    read_shifts,
    read_statements,
)
from tests.viewrows import add_feed, add_position, add_shift, add_statement, at

T, N = "troops-to-ukraine", "ukraine-nato-membership"
NOW = datetime(2025, 3, 12, 8, tzinfo=UTC)


def test_statements_by_the_day_said_with_filters(store: Store) -> None:
    add_statement(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "open", date(2024, 2, 26), "a")
    add_statement(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "opposes", date(2024, 3, 1),
                  "b", recalled_on=date(2023, 6, 12))
    add_statement(store, "emmanuel-macron", "Emmanuel Macron", "FR", N, "supports", date(2024, 7, 10), "c")
    add_statement(store, "keir-starmer", "Keir Starmer", "GB", T, "supports", date(2025, 3, 2), "d")
    every = read_statements(store)
    assert [s.evidence for s in every] == ["b", "a", "c", "d"]
    assert every[0].historical and every[0].day == date(2023, 6, 12)
    assert [s.evidence for s in read_statements(store, country="FR", topic=T)] == ["b", "a"]
    assert [s.evidence for s in read_statements(store, since=date(2024, 1, 1),
                                                until=date(2025, 1, 1))] == ["a", "c"]
    assert [s.evidence for s in read_statements(store, actor_ids=["keir-starmer"])] == ["d"]
    assert read_statements(store, actor_ids=[]) == []


def test_shifts_by_status_and_period(store: Store) -> None:
    add_shift(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "open", "conditional",
              date(2024, 5, 2), date(2024, 3, 14), "x")
    add_shift(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional", "supports",
              date(2025, 3, 11), date(2024, 5, 2), "y", status="unconfirmed")
    add_shift(store, "keir-starmer", "Keir Starmer", "GB", T, "open", "opposes",
              date(2025, 1, 1), date(2024, 12, 1), "z", status="superseded")
    assert [(s.evidence, s.status) for s in read_shifts(store)] == [("x", "confirmed"),
                                                                    ("y", "unconfirmed")]
    assert [s.evidence for s in read_shifts(store, since=at(date(2025, 1, 1)))] == ["y"]
    assert [s.evidence for s in read_shifts(store, until=at(date(2025, 1, 1)))] == ["x"]
    assert read_shifts(store, country="GB") == []


def test_positions_carry_their_unconfirmed_move(store: Store) -> None:
    add_position(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional", date(2024, 5, 2))
    add_position(store, "keir-starmer", "Keir Starmer", "GB", T, "supports", date(2025, 3, 2))
    add_shift(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional", "supports",
              date(2025, 3, 11), date(2024, 5, 2), "y", status="unconfirmed")
    found = read_positions(store)
    assert [(p.country, p.pending_stance) for p in found] == [("FR", "supports"), ("GB", None)]
    assert [p.actor_id for p in read_positions(store, since=date(2025, 1, 1))] == ["keir-starmer"]


def test_new_provisional_actors_are_those_first_heard_in_the_period(store: Store) -> None:
    for day in (date(2025, 3, 11), date(2025, 3, 11) - timedelta(days=20)):
        add_statement(store, "provisional:old", "Old One", "SE", T, "open", day, f"o{day}",
                      provisional=True)
    add_statement(store, "provisional:ulf", "Ulf K", "SE", T, "open", date(2025, 3, 11), "u1",
                  provisional=True)
    add_statement(store, "provisional:ulf", "Ulf K", "SE", T, "open", date(2025, 3, 11), "u2",
                  provisional=True, guid="second")
    found = read_new_provisional_actors(store, NOW - timedelta(days=7), NOW)
    assert [(a.actor_id, a.statements) for a in found] == [("provisional:ulf", 2)]


def test_feeds(store: Store) -> None:
    add_feed(store, "https://b.example/rss", "B", failures=2, error="HTTP 503")
    add_feed(store, "https://a.example/rss", "A")
    assert [(f.name, f.failures) for f in read_feeds(store)] == [("A", 0), ("B", 2)]


def test_digest_subscriptions(store: Store) -> None:
    assert set_digest(store, "telegram", "42", "daily", NOW)
    assert set_digest(store, "telegram", "42", "weekly", NOW + timedelta(hours=1))
    assert set_digest(store, "slack", "C1", "daily", NOW)
    [tg] = digest_subscriptions_of(store, "telegram")
    assert (tg.frequency, tg.last_sent_at) == ("weekly", NOW)
    mark_digest_sent(store, "telegram", "42", NOW + timedelta(days=7))
    [tg] = digest_subscriptions_of(store, "telegram")
    assert tg.last_sent_at == NOW + timedelta(days=7)
    assert set_digest(store, "telegram", "42", None, NOW)
    assert not set_digest(store, "telegram", "42", None, NOW)
    assert [s.chat_id for s in digest_subscriptions_of(store)] == ["C1"]
