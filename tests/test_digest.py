"""Digests: what a period holds, which chats are due one, and how it reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest import build_digest, digest_slack, digest_telegram_html, digest_text, due_digests
from bot.store.digests import DigestSubscription
from bot.store.views import FeedRow, NewActorRow
from scripts.make_example_pictures import shifts

NOW = datetime(2025, 3, 12, 8, tzinfo=UTC)


def sub(frequency: str, last: datetime | None, created: datetime = NOW - timedelta(days=30)
        ) -> DigestSubscription:
    return DigestSubscription("telegram", "42", frequency, created, last)


@pytest.mark.parametrize(("subscription", "due"), [
    (sub("daily", NOW - timedelta(hours=23)), False),
    (sub("daily", NOW - timedelta(hours=24)), True),
    (sub("weekly", NOW - timedelta(days=6)), False),
    (sub("weekly", NOW - timedelta(days=8)), True),
    (sub("daily", None, created=NOW - timedelta(hours=2)), False),
    (sub("daily", None, created=NOW - timedelta(days=2)), True),
    (sub("hourly", NOW - timedelta(days=9)), False),
])
def test_due_digests(subscription: DigestSubscription, due: bool) -> None:
    found = due_digests(NOW, [subscription])
    assert bool(found) is due
    if due:
        assert found[0].start == (subscription.last_sent_at or subscription.created_at)
        assert found[0].end == NOW


FEEDS = [FeedRow("https://a.example/rss", "A", 0, False, None, None, None),
         FeedRow("https://b.example/rss", "B news", 3, False, "HTTP 503\nmore", None, None),
         FeedRow("https://c.example/rss", "C", 0, True, None, None, "gone for good")]
ACTOR = NewActorRow("provisional:ulf-kristersson", "Ulf Kristersson", "SE",
                    datetime(2025, 3, 11, tzinfo=UTC), 2, "words", "https://news.example.org/9")


def test_a_period_keeps_its_own_shifts_and_new_actors_and_every_failing_feed() -> None:
    d = build_digest(datetime(2025, 2, 1, tzinfo=UTC), NOW, shifts(),
                     [ACTOR, replace(ACTOR, actor_id="x", first_seen=datetime(2024, 1, 1, tzinfo=UTC))],
                     FEEDS)
    assert [s.published.date().isoformat() for s in d.shifts] == ["2025-02-16", "2025-03-02",
                                                                  "2025-03-11"]
    assert [a.actor_id for a in d.new_actors] == ["provisional:ulf-kristersson"]
    assert [f.name for f in d.failing_feeds] == ["B news", "C"]
    text = digest_text(d)
    assert "Shifts: 3" in text and "(unconfirmed)" in text
    assert "B news: 3 failures in a row: HTTP 503" in text and "C: disabled (gone for good)" in text
    assert "Ulf Kristersson (SE)" in digest_telegram_html(d)
    assert "*Feeds failing* (2)" in digest_slack(d)


def test_an_empty_period_says_so() -> None:
    d = build_digest(NOW - timedelta(days=1), NOW, [], [], FEEDS[:1])
    assert d.empty
    assert digest_text(d).endswith("no shifts, no new actors, every feed working.")


def test_feed_and_actor_text_is_escaped_for_each_chat() -> None:
    hostile = FeedRow("u", "<b>A&B</b> <!channel>", 1, False, "x", None, None)
    d = build_digest(NOW - timedelta(days=1), NOW, [], [], [hostile])
    assert "&lt;b&gt;A&amp;B&lt;/b&gt;" in digest_telegram_html(d)
    assert "<!channel>" not in digest_slack(d)
