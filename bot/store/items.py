"""The items and statements tables: what was read, what was said in it, and by whom."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, CursorResult, Select, bindparam, case, func, select, update

from bot.models import Item, Statement
from bot.store.base import Tables, utc
from bot.store.schema import feeds, items, statements
from bot.syndication import quote_key


@dataclass(frozen=True)
class ItemRef:
    """Where a stored item came from, and its story's fingerprint."""

    id: int
    feed_url: str
    url: str
    fingerprint: bytes | None
    duplicate_of: int | None


@dataclass(frozen=True)
class Copy:
    """A syndicated copy of an item: its feed (name, URL), its article URL and guid."""

    feed_url: str
    url: str
    guid: str
    name: str | None


@dataclass(frozen=True)
class Stored:
    """A statement as stored: its row id, and the first sighting it re-reports (or None)."""

    statement: Statement
    id: int
    repeat_of: int | None


class ItemsTable(Tables):
    def item_seen(self, conn: Connection, feed_url: str, guid: str, url: str) -> bool:
        """Seen in this feed; or, from any feed, the same permalink guid or the same article URL.
        A bare guid ("12345") is only unique within its feed, and a link to a site's home page
        names no article, so neither is matched across items."""
        query = _seen_query(is_article_url(guid), is_article_url(url))
        return conn.execute(query, {"feed_url": feed_url, "guid": guid, "url": url}).first() \
            is not None

    def unseen(self, feed_url: str, fetched: list[Item], conn: Connection | None = None
               ) -> list[Item]:
        """The items of one fetch not seen before (as `item_seen` decides), in a few queries
        rather than one per item: a changed feed mostly repeats what it carried last time.
        In `conn`'s transaction when given, else on a connection of its own."""
        if conn is None:
            with self.read() as own:
                return self.unseen(feed_url, fetched, own)
        guids, urls = {i.guid for i in fetched}, {i.url for i in fetched if is_article_url(i.url)}
        permalinks = {g for g in guids if is_article_url(g)}
        seen_guids: set[str] = set()
        seen_urls: set[str] = set()
        for chunk in _chunks(sorted(guids)):
            seen_guids.update(conn.execute(_SEEN_GUIDS_IN_FEED,
                                           {"feed_url": feed_url, "values": chunk}).scalars())
        for chunk in _chunks(sorted(permalinks - seen_guids)):
            seen_guids.update(conn.execute(_SEEN_GUIDS, {"values": chunk}).scalars())
        for chunk in _chunks(sorted(urls)):
            seen_urls.update(conn.execute(_SEEN_URLS_ELSEWHERE,
                                          {"feed_url": feed_url, "values": chunk}).scalars())
        return [i for i in fetched if i.guid not in seen_guids and i.url not in seen_urls]

    def insert_plain_items(self, conn: Connection, batch: list[Item], now: datetime) -> None:
        """Record items that carry no statement, with their cached article text, in one
        multi-row insert."""
        if batch:
            conn.execute(items.insert(), [dict(
                feed_url=i.feed_url, guid=i.guid, url=i.url, title=i.title, published=i.published,
                seen_at=now, full_text=i.full_text, full_text_error=i.full_text_error)
                for i in batch])

    def insert_item(self, conn: Connection, feed_url: str, guid: str, url: str, title: str,
                    published: datetime, now: datetime, *, fingerprint: bytes | None = None,
                    duplicate_of: int | None = None) -> int:
        # parameters, not .values(): one cached statement instead of a new one per item
        result = conn.execute(items.insert(), dict(
            feed_url=feed_url, guid=guid, url=url, title=title, published=published, seen_at=now,
            fingerprint=fingerprint, duplicate_of=duplicate_of))
        return _new_id(result)

    def fingerprints(self, conn: Connection, *, published_from: datetime | None = None,
                     after_id: int | None = None, ids: Collection[int] | None = None
                     ) -> list[tuple[int, datetime, bytes, int | None]]:
        """(id, published, fingerprint, duplicate_of) of fingerprinted items, by id."""
        q = select(items.c.id, items.c.published, items.c.fingerprint, items.c.duplicate_of
                   ).where(items.c.fingerprint.is_not(None))
        if published_from is not None:
            q = q.where(items.c.published >= published_from)
        if after_id is not None:
            q = q.where(items.c.id > after_id)
        if ids is not None:
            q = q.where(items.c.id.in_(list(ids)))
        return [(i, utc(p) or p, bytes(f), d) for i, p, f, d in conn.execute(q.order_by(items.c.id))]

    def fingerprinted_ids_after(self, conn: Connection, after_id: int) -> list[int]:
        return list(conn.scalars(_FINGERPRINTED_AFTER, {"after_id": after_id}))

    def max_item_id(self, conn: Connection) -> int:
        return conn.scalar(_MAX_ITEM_ID) or 0

    def item_by_guid(self, conn: Connection, guid: str, url: str = "") -> ItemRef | None:
        """The item a statement or shift came from. A guid is unique within its feed only (two
        feeds may both number an item "1001"), so the item with the same article URL comes
        first, then the earliest."""
        other_url = case((items.c.url == url, 0), else_=1)
        row = conn.execute(select(items.c.id, items.c.feed_url, items.c.url, items.c.fingerprint,
                                  items.c.duplicate_of).where(items.c.guid == guid)
                           .order_by(other_url, items.c.id).limit(1)).first()
        if row is None:
            return None
        return ItemRef(row.id, row.feed_url, row.url, bytes(row.fingerprint)
                       if row.fingerprint is not None else None, row.duplicate_of)

    def copies(self, conn: Connection, item_id: int) -> list[Copy]:
        """The syndicated copies of an item: their feed's name and URL, article URL, guid."""
        q = (select(items.c.feed_url, items.c.url, items.c.guid, feeds.c.name)
             .select_from(items.outerjoin(feeds, feeds.c.url == items.c.feed_url))
             .where(items.c.duplicate_of == item_id).order_by(items.c.id))
        return [Copy(r.feed_url, r.url, r.guid, r.name) for r in conn.execute(q)]

    def save_full_text(self, conn: Connection, item_id: int, full_text: str | None,
                       error: str | None) -> None:
        """Cache the article text extraction ran on (or why there is none) with its item."""
        if full_text is None and error is None:
            return
        conn.execute(_SAVE_FULL_TEXT, {"b_id": item_id, "full_text": full_text,
                                       "full_text_error": error})

    def insert_statements(self, conn: Connection, item_id: int, found: list[Statement]
                          ) -> list[Stored]:
        """Store an item's statements. A quote this speaker was already seen saying on this topic
        in an earlier item (same normalised words) is a re-report: stored with `repeat_of` the
        first sighting and dated to it (`said_on`)."""
        out: list[Stored] = []
        seen: set[tuple[str, str, str]] = set()
        for s in found:
            key = hashlib.sha256(s.evidence.encode()).hexdigest()
            if (s.actor_id, s.topic, key) in seen:
                continue
            seen.add((s.actor_id, s.topic, key))
            qkey = quote_key(s.evidence)
            first = conn.execute(_FIRST_SIGHTING, {
                "actor_id": s.actor_id, "topic": s.topic, "quote_key": qkey, "item_id": item_id,
            }).first()
            repeat_of = None
            if first is not None:
                repeat_of = first.repeat_of or first.id
                day = first.said_on or (utc(first.published) or first.published).date()
                if s.said_on is None or day < s.said_on:
                    s = replace(s, said_on=day)
            result = conn.execute(statements.insert(), dict(
                item_id=item_id, item_guid=s.item_guid, url=s.url, published=s.published,
                said_on=s.said_on, actor_id=s.actor_id, actor_name=s.actor_name,
                country=s.country, topic=s.topic, stance=s.stance, historical=s.historical,
                confidence=s.confidence, evidence=s.evidence, evidence_key=key,
                attribution=s.attribution, provisional=s.provisional, quote_key=qkey,
                repeat_of=repeat_of))
            out.append(Stored(s, _new_id(result), repeat_of))
        return out

    def history(self, actor_id: str, topic: str | None = None, limit: int | None = 200, *,
                since: date | None = None) -> list[Statement]:
        """An actor's statements (on `topic`, said on or after `since`, when given), newest
        first by the day they were said: a recalled statement by its `said_on`, the others by
        publication. A re-reported quote appears once, at its first sighting."""
        # A day sorts as its midnight among the publication times, in SQLite's text and
        # PostgreSQL's timestamps alike.
        said = func.coalesce(statements.c.said_on, statements.c.published)
        q = (select(statements).where(_history_filter(actor_id, topic, since))
             .order_by(said.desc(), statements.c.published.desc(), statements.c.id.desc()))
        if limit is not None:
            q = q.limit(limit)
        with self.read() as conn:
            return [Statement(
                item_guid=r["item_guid"], url=r["url"], published=utc(r["published"]) or r["published"],
                actor_id=r["actor_id"], actor_name=r["actor_name"], country=r["country"],
                topic=r["topic"], stance=r["stance"], historical=bool(r["historical"]),
                confidence=r["confidence"], evidence=r["evidence"], said_on=r["said_on"],
                attribution=r["attribution"] or "", provisional=bool(r["provisional"]))
                for r in conn.execute(q).mappings()]

    def history_count(self, actor_id: str, topic: str | None = None, *,
                      since: date | None = None) -> int:
        """How many statements `history` has to show, before its limit."""
        q = select(func.count()).select_from(statements).where(
            _history_filter(actor_id, topic, since))
        with self.read() as conn:
            return int(conn.scalar(q) or 0)

    def provisional_actors(self) -> list[dict[str, Any]]:
        """Speakers the rules do not list, found by their office and country: per actor id, the
        name, country, number of statements, first and last seen, and the latest evidence."""
        q = (select(statements.c.actor_id, func.count().label("statements"),
                    func.min(statements.c.published).label("first_seen"),
                    func.max(statements.c.published).label("last_seen"),
                    func.max(statements.c.id).label("latest_id"))
             .where(statements.c.provisional).group_by(statements.c.actor_id))
        out = []
        with self.read() as conn:
            for r in conn.execute(q).mappings():
                latest = conn.execute(select(statements).where(
                    statements.c.id == r["latest_id"])).mappings().one()
                out.append({"actor_id": r["actor_id"], "name": latest["actor_name"],
                            "country": latest["country"], "statements": int(r["statements"]),
                            "first_seen": utc(r["first_seen"]), "last_seen": utc(r["last_seen"]),
                            "attribution": latest["attribution"], "topic": latest["topic"],
                            "stance": latest["stance"], "evidence": latest["evidence"],
                            "url": latest["url"] or latest["item_guid"]})
        return sorted(out, key=lambda a: (-a["statements"], a["name"]))


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _history_filter(actor_id: str, topic: str | None, since: date | None) -> ColumnElement[bool]:
    cond = (statements.c.actor_id == actor_id) & statements.c.repeat_of.is_(None)
    if topic:
        cond &= statements.c.topic == topic
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=UTC)
        cond &= (statements.c.said_on >= since) | (
            statements.c.said_on.is_(None) & (statements.c.published >= start))
    return cond


@lru_cache(maxsize=4)
def _seen_query(permalink_guid: bool, article_url: bool) -> Select[tuple[int]]:
    """`item_seen`'s query, built once per shape: building it per item cost more than running it."""
    seen = (items.c.feed_url == bindparam("feed_url")) & (items.c.guid == bindparam("guid"))
    if permalink_guid:
        seen = seen | (items.c.guid == bindparam("guid"))
    if article_url:  # across feeds only: one feed's live-blog entries may share one link
        seen = seen | ((items.c.url == bindparam("url")) & (items.c.feed_url != bindparam("feed_url")))
    return select(items.c.id).where(seen).limit(1)


_FINGERPRINTED_AFTER = select(items.c.id).where(
    (items.c.id > bindparam("after_id")) & items.c.fingerprint.is_not(None))
_MAX_ITEM_ID = select(func.max(items.c.id))
_SAVE_FULL_TEXT = update(items).where(items.c.id == bindparam("b_id"))
_FIRST_SIGHTING = (
    select(statements.c.id, statements.c.repeat_of, statements.c.said_on, statements.c.published)
    .where((statements.c.actor_id == bindparam("actor_id"))
           & (statements.c.topic == bindparam("topic"))
           & (statements.c.quote_key == bindparam("quote_key"))
           & (statements.c.item_id != bindparam("item_id")))
    .order_by(statements.c.repeat_of.is_not(None), statements.c.id).limit(1))

# `unseen`'s queries, built once: building an IN of 50 values coerced each value and cost ten
# times the query.
_SEEN_GUIDS_IN_FEED = select(items.c.guid).where(
    (items.c.feed_url == bindparam("feed_url"))
    & items.c.guid.in_(bindparam("values", expanding=True)))
_SEEN_GUIDS = select(items.c.guid).where(items.c.guid.in_(bindparam("values", expanding=True)))
_SEEN_URLS_ELSEWHERE = select(items.c.url).where(
    items.c.url.in_(bindparam("values", expanding=True))
    & (items.c.feed_url != bindparam("feed_url")))


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# scheme, host, then a path with something besides slashes (urlparse per item was costly)
_ARTICLE_URL = re.compile(r"https?://[^/?#\s]+/+[^/?#\s]", re.IGNORECASE)


def is_article_url(value: str) -> bool:
    """An http(s) URL with a path: a page of its own, not a site's front page."""
    return _ARTICLE_URL.match(value) is not None
