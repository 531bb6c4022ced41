"""When to check a feed next. Pure: the clock, the headers and the random source come in.

After a success the next check is the largest of the feed's interval (plus jitter, so feeds
configured alike drift apart), the feed's own <ttl>, the server's cache lifetime
(Cache-Control max-age, Expires) and any Retry-After, capped at a ceiling: a server asking for a
week must not silence a news feed. After a failure it backs off exponentially, capped at a day,
and never retries sooner than the server's Retry-After.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.models import FeedSpec

CEILING = timedelta(hours=6)
MAX_BACKOFF = timedelta(days=1)
JITTER = 0.1          # up to 10 % added to the interval, never subtracted
MAX_FAILURES = 50     # consecutive failures before a feed is disabled

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True)
class PollPolicy:
    """The knobs of polite polling (see Settings for their environment variables)."""

    max_bytes: int = 10 * 1024 * 1024      # body cap, after decompression
    deadline: float = 30.0                 # seconds for a whole fetch, however the bytes trickle
    per_host: int = 2                      # simultaneous fetches to one host
    max_failures: int = MAX_FAILURES
    max_items: int = 1000                  # newest items read from one fetch (a 10,000-item feed)
    ceiling: timedelta = CEILING


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from `now`: delta-seconds or an HTTP-date; None when unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def cache_lifetime(headers: Mapping[str, str] | None, now: datetime) -> float:
    """Seconds the server says its answer stays fresh (Cache-Control max-age, else Expires)."""
    if not headers:
        return 0.0
    lower = {k.lower(): v for k, v in headers.items()}
    control = lower.get("cache-control", "")
    if re.search(r"no-cache|no-store", control, re.IGNORECASE):
        return 0.0
    m = _MAX_AGE.search(control)
    if m:
        return float(m.group(1))
    expires = _http_date(lower.get("expires", ""))
    if expires is None:
        return 0.0
    # Measure against the server's own clock when it sent one: clocks disagree
    served = _http_date(lower.get("date", "")) or now
    return max(0.0, (expires - served).total_seconds())


def next_check(spec: FeedSpec, now: datetime, *, rng: random.Random, ttl_minutes: int | None = None,
               headers: Mapping[str, str] | None = None, retry_after: float | None = None,
               failures: int = 0, ceiling: timedelta = CEILING) -> datetime:
    """The time to check `spec` again; `failures` counts consecutive failures including this one."""
    interval = spec.interval_seconds * (1 + rng.uniform(0, JITTER))
    if failures > 0:
        backoff = min(MAX_BACKOFF.total_seconds(), interval * 2 ** min(failures - 1, 20))
        wait = max(backoff, min(retry_after or 0.0, MAX_BACKOFF.total_seconds()))
        return now + timedelta(seconds=wait)
    wait = max(interval, (ttl_minutes or 0) * 60.0, cache_lifetime(headers, now), retry_after or 0.0)
    return now + min(timedelta(seconds=wait), max(ceiling, timedelta(seconds=spec.interval_seconds)))


def _http_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when: datetime | None = parsedate_to_datetime(value)  # None from some Python versions
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
