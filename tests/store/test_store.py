"""The store contract, on every backend: items once, positions, shifts and the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.models import Item
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.store import Store

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def item(guid: str, text: str, day: int, feed: str = "feed-a", url: str = "") -> Item:
    return Item(feed, guid, url or f"https://example.org/{guid}", "", text, T0.replace(day=day))


OPEN = "Emmanuel Macron said sending Western troops to Ukraine cannot be ruled out."
CONDITIONAL = "Emmanuel Macron said France would send troops to Ukraine if the front collapsed."


def test_migrations_are_repeatable(store: Store) -> None:
    store.migrate()
    assert store.outbox_counts() == {}


def test_an_item_is_processed_once_even_from_two_feeds(store: Store, rules: RuleSet) -> None:
    pipeline = Pipeline(rules, store, clock=lambda: T0)
    first = pipeline.process(item("a1", OPEN, 1))
    again = pipeline.process(item("a1", OPEN, 1))
    elsewhere = pipeline.process(item("other-guid", OPEN, 1, feed="feed-b",
                                      url="https://example.org/a1"))
    assert first.statements and not first.duplicate
    assert again.duplicate and elsewhere.duplicate
    assert len(store.history("emmanuel-macron")) == len(first.statements)


def test_bare_guids_and_front_page_links_do_not_match_across_items(store: Store) -> None:
    with store.begin() as conn:
        store.insert_item(conn, "feed-a", "1001", "https://news.example/", "A", T0, T0)
        store.insert_item(conn, "feed-a", "https://news.example/story-7", "https://news.example/story-7",
                          "B", T0, T0)
    with store.begin() as conn:
        assert store.item_seen(conn, "feed-a", "1001", "")
        assert not store.item_seen(conn, "feed-b", "1001", "https://other.example/x")  # its own 1001
        assert not store.item_seen(conn, "feed-a", "1002", "https://news.example/")  # the front page
        assert store.item_seen(conn, "feed-b", "https://news.example/story-7", "")
        assert store.item_seen(conn, "feed-c", "c-9", "https://news.example/story-7")


def test_an_item_is_found_by_its_guid_and_article_url_when_feeds_share_bare_guids(
        store: Store) -> None:
    with store.begin() as conn:
        store.insert_item(conn, "feed-a", "1001", "https://a.example/story", "A", T0, T0)
        store.insert_item(conn, "feed-b", "1001", "https://b.example/story", "B", T0, T0)
    with store.begin() as conn:
        found = store.item_by_guid(conn, "1001", "https://b.example/story")
        assert found is not None and found.feed_url == "feed-b"
        first = store.item_by_guid(conn, "1001")
        assert first is not None and first.feed_url == "feed-a"  # no URL: the earliest


def test_live_blog_entries_sharing_one_link_are_each_kept(store: Store) -> None:
    blog = "https://news.example/live/summit"
    with store.begin() as conn:
        store.insert_item(conn, "feed-a", "entry-1", blog, "09:00", T0, T0)
    with store.begin() as conn:
        assert not store.item_seen(conn, "feed-a", "entry-2", blog)
        assert store.item_seen(conn, "feed-b", "b-1", blog)  # another feed linking the same page
    later = Item("feed-a", "entry-2", blog, "10:00", "text", T0)
    assert store.unseen("feed-a", [later]) == [later]
    assert store.unseen("feed-b", [replace(later, feed_url="feed-b")]) == []


def test_a_shift_is_queued_once_per_destination(store: Store, rules: RuleSet) -> None:
    pipeline = Pipeline(rules, store, clock=lambda: T0 + timedelta(days=10))
    pipeline.process(item("b1", OPEN, 1))
    outcome = pipeline.process(item("b2", CONDITIONAL, 5))
    assert len(outcome.shift_ids) == 1
    record = store.shift_record(outcome.shift_ids[0])
    assert (record["from_stance"], record["to_stance"]) == ("open", "conditional")
    assert record["prev_item_guid"] == "b1"
    due = store.due(T0 + timedelta(days=10))
    assert [r.destination for r in due] == ["console"]
    with store.begin() as conn:
        store.enqueue(conn, outcome.shift_ids[0], "console", T0)
    assert len(store.due(T0 + timedelta(days=10))) == 1


def test_positions_are_kept_per_country(store: Store, rules: RuleSet) -> None:
    pipeline = Pipeline(rules, store, clock=lambda: T0)
    pipeline.process(item("c1", OPEN, 1))
    [position] = store.positions(country="FR")
    assert (position.actor_name, position.stance, position.since) == (
        "Emmanuel Macron", "open", T0.replace(day=1))
    assert store.positions(country="DE") == []


def test_delivery_bookkeeping(store: Store, rules: RuleSet) -> None:
    pipeline = Pipeline(rules, store, clock=lambda: T0)
    pipeline.process(item("d1", OPEN, 1))
    shift_id = pipeline.process(item("d2", CONDITIONAL, 2)).shift_ids[0]
    [row] = store.due(T0)
    store.mark_failed(row.id, "boom", retry_at=T0 + timedelta(minutes=5))
    assert store.due(T0) == []
    assert [r.shift_id for r in store.due(T0 + timedelta(minutes=5))] == [shift_id]
    store.mark_sent(row.id, T0)
    assert store.outbox_counts() == {"sent": 1}


def test_subscriptions(store: Store) -> None:
    store.subscribe("telegram", "42", ["troops-to-ukraine"], T0)
    store.subscribe("telegram", "42", ["FR"], T0)
    assert store.subscriptions(platform="telegram") == [("telegram", "42", ["FR"])]
    assert store.unsubscribe("telegram", "42")
    assert store.subscriptions() == []
