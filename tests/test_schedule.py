"""When a feed is checked next: interval, ttl, cache headers, Retry-After, backoff, ceiling."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import FeedSpec
from bot.schedule import cache_lifetime, next_check, parse_retry_after

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
SPEC = FeedSpec(url="https://news.example.org/rss", name="Example", interval_seconds=600)


class NoJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


class MaxJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def wait(**kwargs: object) -> float:
    rng = kwargs.pop("rng", NoJitter())
    return (next_check(SPEC, NOW, rng=rng, **kwargs) - NOW).total_seconds()  # type: ignore[arg-type]


def test_plain_success_waits_the_interval() -> None:
    assert wait() == 600


def test_jitter_only_lengthens_the_interval_by_at_most_a_tenth() -> None:
    assert wait(rng=MaxJitter()) == pytest.approx(660)
    spread = {wait(rng=random.Random(seed)) for seed in range(20)}
    assert all(600 <= s <= 660 for s in spread) and len(spread) > 1


def test_feed_ttl_lengthens_the_wait() -> None:
    assert wait(ttl_minutes=60) == 3600


def test_cache_control_max_age_lengthens_the_wait() -> None:
    assert wait(headers={"Cache-Control": "public, max-age=1800"}) == 1800


def test_no_cache_means_no_server_lifetime() -> None:
    assert wait(headers={"cache-control": "no-cache, max-age=1800"}) == 600


def test_expires_is_measured_against_the_servers_date() -> None:
    headers = {"Date": "Sat, 01 Mar 2025 10:00:00 GMT", "Expires": "Sat, 01 Mar 2025 11:00:00 GMT"}
    assert cache_lifetime(headers, NOW) == 3600
    assert wait(headers=headers) == 3600


def test_unparseable_expires_is_ignored() -> None:
    assert wait(headers={"expires": "0"}) == 600


def test_retry_after_on_success_counts_too() -> None:
    assert wait(retry_after=1200.0) == 1200


def test_everything_is_capped_at_the_ceiling() -> None:
    assert wait(headers={"cache-control": "max-age=604800"}) == 6 * 3600
    assert wait(ttl_minutes=100000, ceiling=timedelta(hours=2)) == 2 * 3600


def test_an_interval_longer_than_the_ceiling_is_respected() -> None:
    daily = FeedSpec(url=SPEC.url, name="daily", interval_seconds=86400)
    assert next_check(daily, NOW, rng=NoJitter()) - NOW == timedelta(days=1)


def test_failures_back_off_exponentially_up_to_a_day() -> None:
    assert [wait(failures=n) for n in (1, 2, 3, 4)] == [600, 1200, 2400, 4800]
    assert wait(failures=30) == 86400
    assert wait(failures=1000) == 86400


def test_failure_waits_at_least_retry_after_but_not_beyond_a_day() -> None:
    assert wait(failures=1, retry_after=7200.0) == 7200
    assert wait(failures=1, retry_after=10 * 86400.0) == 86400


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0),
    ("Sat, 01 Mar 2025 12:05:00 GMT", 300.0),
    ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),   # in the past: now
    ("soon", None),
    ("", None),
    (None, None),
    ("-5", None),
])
def test_retry_after_seconds_or_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
