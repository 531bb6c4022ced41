"""The feeds table: each feed's fetch state, health and lease."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Connection, RowMapping, Update, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import Tables, utc
from bot.store.schema import feeds


@dataclass(frozen=True)
class FeedRow:
    """One feed as stored: validators, health, lease."""

    url: str
    name: str = ""
    id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    items_seen: int = 0
    disabled: bool = False
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None


_TIMES = ("next_check_at", "last_checked_at", "last_success_at", "disabled_at", "lease_until")
_FIELDS = frozenset(f.name for f in dataclasses.fields(FeedRow))


def _feed_row(row: RowMapping) -> FeedRow:
    values: dict[str, Any] = {k: v for k, v in row.items() if k in _FIELDS}
    for k in _TIMES:
        values[k] = utc(values.get(k))
    values["failures"] = values.get("failures") or 0
    values["items_seen"] = values.get("items_seen") or 0
    values["disabled"] = bool(values.get("disabled"))
    return FeedRow(**values)


class FeedsTable(Tables):
    def feed_state(self, conn: Connection, url: str) -> FeedRow | None:
        row = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().first()
        return _feed_row(row) if row else None

    def ensure_feed(self, conn: Connection, url: str, name: str) -> FeedRow:
        state = self.feed_state(conn, url)
        if state is None:
            conn.execute(feeds.insert().values(url=url, name=name, failures=0, items_seen=0,
                                               disabled=False))
            state = self.feed_state(conn, url)
        assert state is not None
        return state

    def record_fetch(self, conn: Connection, url: str, **values: Any) -> None:
        conn.execute(_RECORD_FETCH, {"b_url": url, **values})

    def all_feeds(self) -> list[FeedRow]:
        with self.read() as conn:
            return [_feed_row(r) for r in
                    conn.execute(select(feeds).order_by(feeds.c.url)).mappings()]

    def disable_feed(self, conn: Connection, url: str, reason: str, now: datetime) -> None:
        """Stop polling a feed, saying why; `shiftwatch feeds enable URL` undoes it."""
        conn.execute(update(feeds).where(feeds.c.url == url).values(
            disabled=True, disabled_at=now, disabled_reason=reason[:2000], next_check_at=None))

    def enable_feed(self, url: str) -> bool:
        """Poll a disabled feed again at the next tick, its failure streak forgotten.
        False when no such feed is known."""
        with self.begin() as conn:
            done = conn.execute(update(feeds).where(feeds.c.url == url).values(
                disabled=False, disabled_at=None, disabled_reason=None, failures=0,
                next_check_at=None))
            return done.rowcount > 0

    def ensure_feeds(self, specs: Iterable[tuple[str, str]]) -> None:
        """A row for every (url, name) not yet known; workers starting together may race."""
        with self.read() as conn:
            known = set(conn.scalars(select(feeds.c.url)))
        missing = {url: name for url, name in specs if url not in known}
        if not missing:
            return
        with self.begin() as conn:
            for url, name in missing.items():
                try:
                    with conn.begin_nested():
                        conn.execute(feeds.insert().values(url=url, name=name, failures=0,
                                                           items_seen=0, disabled=False))
                except IntegrityError:
                    pass  # another worker added it first

    def claim_due_feeds(self, worker: str, now: datetime, lease: timedelta, limit: int = 1, *,
                        urls: Collection[str] | None = None, force: bool = False
                        ) -> list[FeedRow]:
        """Lease up to `limit` due feeds (of `urls`, when given) to `worker` until now + lease
        and return their rows. A feed leased to someone else waits for its lease to expire (a
        dead worker's feeds come back that way); a disabled feed is never claimed; `force`
        ignores next_check_at. On PostgreSQL concurrent claims skip each other's rows (FOR
        UPDATE SKIP LOCKED); SQLite has one writer at a time, so the UPDATE alone is atomic."""
        if urls is not None and not urls:
            return []
        params: dict[str, Any] = {"now": now, "limit": limit, "worker": worker,
                                  "until": now + lease}
        if urls is not None:
            params["urls"] = list(urls)
        with self.begin() as conn:
            return [_feed_row(r) for r in
                    conn.execute(_claim_query(force, urls is not None), params).mappings()]

    def release_feed(self, url: str, worker: str) -> None:
        """Give a feed back (only if `worker` still holds it: an expired lease may be another's)."""
        with self.begin() as conn:
            conn.execute(update(feeds).where((feeds.c.url == url) & (feeds.c.lease_owner == worker))
                         .values(lease_owner=None, lease_until=None))

    def release_feed_leases(self, worker: str) -> None:
        """Give back every feed `worker` holds (its cycle ended); its outbox claims stay."""
        with self.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == worker)
                         .values(lease_owner=None, lease_until=None))


@lru_cache(maxsize=4)
def _claim_query(force: bool, by_url: bool) -> Update:
    """`claim_due_feeds`' statement, built once per shape (a claim costs about as much as the
    304 it leads to, so building it every time counted)."""
    now: BindParameter[datetime] = bindparam("now")
    cond = ~feeds.c.disabled & (feeds.c.lease_until.is_(None) | (feeds.c.lease_until <= now))
    if not force:
        cond &= feeds.c.next_check_at.is_(None) | (feeds.c.next_check_at <= now)
    if by_url:
        cond &= feeds.c.url.in_(bindparam("urls", expanding=True))
    pick = (select(feeds.c.id).where(cond)
            .order_by(feeds.c.next_check_at.nulls_first(), feeds.c.id).limit(bindparam("limit"))
            .with_for_update(skip_locked=True))
    return (update(feeds).where(feeds.c.id.in_(pick))
            .values(lease_owner=bindparam("worker"), lease_until=bindparam("until"))
            .returning(*feeds.c))


# The queries of recording an item, built once (SQLAlchemy caches the compiled SQL, but building
# and keying a statement per call cost more than running it); "b_" parameters name the row,
# the others the columns an update sets.


_RECORD_FETCH = update(feeds).where(feeds.c.url == bindparam("b_url"))
