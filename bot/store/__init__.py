"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL; Alembic owns the schema.

All writes for one item happen in one transaction (`Store.begin()`), so a crash can neither
lose an alert nor record one twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Update,
    bindparam,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, IntegrityError

from bot.errors import BotError
from bot.models import HeldShift, Item, Pending, Position, Shift, Statement
from bot.store.schema import feeds, items, outbox, positions, shifts, statements, subscriptions
from bot.syndication import quote_key

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(value: str) -> str:
    """A SQLAlchemy URL, or a plain path meaning a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every datetime in this program is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    """A statement as stored: its row id, and the first sighting it re-reports (or None)."""

    statement: Statement
    id: int
    repeat_of: int | None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    shift_id: int
    destination: str
    attempts: int


class MissingDatabase(BotError):
    """A SQLite database file that a command needs, and must not create, is not there."""

    def __init__(self, path: str):
        super().__init__(f"no database at {path}")
        self.path = path


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for an in-memory database or another kind of server."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


class Store:
    def __init__(self, url: str, *, migrate: bool = True, readonly: bool = False):
        """`readonly`: SQLite opens read-only, and neither opens a SQLite file that is not
        there nor upgrades the schema (see `open_existing`)."""
        self.url = database_url(url)
        path = sqlite_file(self.url)
        if path is not None and not readonly:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A ping on checkout finds a server connection dropped while pooled; a SQLite file has
        # no server to lose: there the ping is one more query for every transaction.
        server = not self.url.startswith("sqlite")
        engine_url: str | URL = self.url
        if readonly and path is not None:
            # mode=ro: SQLite itself refuses every write, and opening never creates the file
            engine_url = URL.create("sqlite", database="file:" + quote(path),
                                    query={"mode": "ro", "uri": "true"})
        try:
            self.engine: Engine = create_engine(engine_url, future=True, pool_pre_ping=server)
        except Exception as exc:
            raise BotError(f"database {self._safe_url()}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect",
                         _sqlite_read_pragmas if readonly else _sqlite_pragmas)
        if readonly:
            self.check_schema()
        elif migrate:
            self.migrate()

    @classmethod
    def open_existing(cls, url: str, *, readonly: bool = True) -> Store:
        """A store over a database that must exist already: a SQLite path that names no file
        raises MissingDatabase instead of creating a database (and its folder) on a typo.
        `readonly` (for commands that only read) also leaves the schema as it is: an outdated
        one is an error rather than an upgrade."""
        path = sqlite_file(database_url(url))
        if path is not None and not Path(path).is_file():
            raise MissingDatabase(path)
        return cls(url, readonly=readonly)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        """The database as messages name it: a SQLite file by its path, a server without its
        password."""
        path = sqlite_file(self.url)
        if path is not None:
            return path
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(invalid URL)"

    def _alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def migrate(self) -> None:
        cfg = self._alembic_config()
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DatabaseError as exc:
            raise BotError(f"database {self._safe_url()}: {exc.orig}") from None

    def check_schema(self) -> None:
        """Refuse a database this version cannot read as it is, without writing to it: not a
        database at all, no shiftwatch schema, or a schema older than this version's."""
        try:
            with self.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
        except DatabaseError as exc:
            raise BotError(f"database {self._safe_url()}: {exc.orig}") from None
        if current is None:
            raise BotError(f"database {self._safe_url()}: no shiftwatch data in it (no schema "
                           f"version)")
        scripts = ScriptDirectory.from_config(self._alembic_config())
        heads = scripts.get_heads()
        if current not in heads and current in {s.revision for s in scripts.walk_revisions()}:
            raise BotError(f"database {self._safe_url()}: its schema ({current}) is older than "
                           f"this version's ({', '.join(heads)}); a command that writes "
                           f"(`shiftwatch run`, `poll --once`) upgrades it")

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ feeds

    def feed_state(self, conn: Connection, url: str) -> dict[str, Any] | None:
        row = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().first()
        return dict(row) if row else None

    def ensure_feed(self, conn: Connection, url: str, name: str) -> dict[str, Any]:
        state = self.feed_state(conn, url)
        if state is None:
            conn.execute(feeds.insert().values(url=url, name=name, failures=0, items_seen=0,
                                               disabled=False))
            state = self.feed_state(conn, url)
        assert state is not None
        return state

    def record_fetch(self, conn: Connection, url: str, **values: Any) -> None:
        conn.execute(_RECORD_FETCH, {"b_url": url, **values})

    def all_feeds(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(feeds).order_by(feeds.c.url)).mappings()]
        for r in rows:
            for k in ("next_check_at", "last_checked_at", "last_success_at", "disabled_at",
                      "lease_until"):
                r[k] = utc(r.get(k))
        return rows

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
        with self.engine.connect() as conn:
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
                        ) -> list[dict[str, Any]]:
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
            return [dict(r) for r in
                    conn.execute(_claim_query(force, urls is not None), params).mappings()]

    def release_feed(self, url: str, worker: str) -> None:
        """Give a feed back (only if `worker` still holds it: an expired lease may be another's)."""
        with self.begin() as conn:
            conn.execute(update(feeds).where((feeds.c.url == url) & (feeds.c.lease_owner == worker))
                         .values(lease_owner=None, lease_until=None))

    # ------------------------------------------------------------------ items and statements

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
            with self.engine.connect() as own:
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
        return int(result.inserted_primary_key[0])

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

    def item_by_guid(self, conn: Connection, guid: str, url: str = "") -> dict[str, Any] | None:
        """The item a statement or shift came from. A guid is unique within its feed only (two
        feeds may both number an item "1001"), so the item with the same article URL comes
        first, then the earliest."""
        other_url = case((items.c.url == url, 0), else_=1)
        row = conn.execute(select(items.c.id, items.c.feed_url, items.c.url, items.c.fingerprint,
                                  items.c.duplicate_of).where(items.c.guid == guid)
                           .order_by(other_url, items.c.id).limit(1)).mappings().first()
        return dict(row) if row else None

    def copies(self, conn: Connection, item_id: int) -> list[dict[str, Any]]:
        """The syndicated copies of an item: their feed's name and URL, article URL, guid."""
        q = (select(items.c.feed_url, items.c.url, items.c.guid, feeds.c.name)
             .select_from(items.outerjoin(feeds, feeds.c.url == items.c.feed_url))
             .where(items.c.duplicate_of == item_id).order_by(items.c.id))
        return [dict(r) for r in conn.execute(q).mappings()]

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
            out.append(Stored(s, int(result.inserted_primary_key[0]), repeat_of))
        return out

    def history(self, actor_id: str, topic: str | None = None, limit: int | None = 200, *,
                since: date | None = None) -> list[dict[str, Any]]:
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
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            r["published"] = utc(r["published"])
        return rows

    def history_count(self, actor_id: str, topic: str | None = None, *,
                      since: date | None = None) -> int:
        """How many statements `history` has to show, before its limit."""
        q = select(func.count()).select_from(statements).where(
            _history_filter(actor_id, topic, since))
        with self.engine.connect() as conn:
            return int(conn.scalar(q) or 0)

    # ------------------------------------------------------------------ positions and shifts

    def lock_position(self, conn: Connection, actor_id: str, topic: str) -> None:
        """Hold (actor, topic) until the transaction ends, so two workers deciding a shift from
        the same previous position take turns. SQLite's single writer already serialises them."""
        if self.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                         {"key": f"{actor_id}|{topic}"})

    def position(self, conn: Connection, actor_id: str, topic: str) -> Position | None:
        row = conn.execute(_POSITION, {"actor_id": actor_id, "topic": topic}).mappings().first()
        return _position(row) if row else None

    def save_position(self, conn: Connection, p: Position) -> None:
        values = dict(actor_name=p.actor_name, country=p.country, stance=p.stance, since=p.since,
                      evidence=p.evidence, url=p.url, item_guid=p.item_guid,
                      confidence=p.confidence)
        done = conn.execute(_UPDATE_POSITION, {"b_actor_id": p.actor_id, "b_topic": p.topic,
                                               **values})
        if done.rowcount == 0:
            conn.execute(positions.insert(), dict(actor_id=p.actor_id, topic=p.topic, **values))

    def positions(self, *, country: str | None = None, topic: str | None = None
                  ) -> list[Position]:
        """Current positions; one with an unconfirmed shift away from it carries it as `pending`."""
        q = select(positions)
        held = select(shifts).where(shifts.c.status == "unconfirmed")
        if country:
            q = q.where(positions.c.country == country)
            held = held.where(shifts.c.country == country)
        if topic:
            q = q.where(positions.c.topic == topic)
            held = held.where(shifts.c.topic == topic)
        q = q.order_by(positions.c.actor_name, positions.c.topic)
        with self.engine.connect() as conn:
            found = [_position(r) for r in conn.execute(q).mappings()]
            pending = {(r["actor_id"], r["topic"]): r
                       for r in conn.execute(held.order_by(shifts.c.id)).mappings()}
        out = []
        for p in found:
            r = pending.get((p.actor_id, p.topic))
            if r is not None and r["from_stance"] == p.stance:
                p = replace(p, pending=Pending(r["to_stance"], utc(r["published"]) or r["published"],
                                               r["evidence"], r["url"]))
            out.append(p)
        return out

    def insert_shift(self, conn: Connection, shift: Shift, now: datetime, *,
                     status: str = "confirmed") -> int | None:
        """Record a shift ("confirmed", or "unconfirmed": held for a second source); None when
        the same shift (same key) was recorded before."""
        s, p = shift.statement, shift.previous
        try:
            with conn.begin_nested():
                result = conn.execute(shifts.insert(), dict(
                    key=shift.key, actor_id=s.actor_id, actor_name=s.actor_name,
                    country=s.country, topic=s.topic, from_stance=p.stance, to_stance=s.stance,
                    magnitude=shift.magnitude, item_guid=s.item_guid, url=s.url,
                    published=s.published, evidence=s.evidence, confidence=s.confidence,
                    prev_item_guid=p.item_guid, prev_url=p.url, prev_published=p.since,
                    prev_evidence=p.evidence, created_at=now, status=status,
                    confirmed_at=now if status == "confirmed" else None))
        except IntegrityError:
            return None
        return int(result.inserted_primary_key[0])

    def unconfirmed_shift(self, conn: Connection, actor_id: str, topic: str
                          ) -> HeldShift | None:
        """The latest shift of this actor on this topic still waiting for a second source."""
        row = conn.execute(_UNCONFIRMED_SHIFT, {"actor_id": actor_id, "topic": topic}
                           ).mappings().first()
        if row is None:
            return None
        return HeldShift(id=row["id"], from_stance=row["from_stance"], to_stance=row["to_stance"],
                         published=utc(row["published"]) or row["published"],
                         evidence=row["evidence"], url=row["url"], item_guid=row["item_guid"],
                         confidence=row["confidence"])

    def confirm_shift(self, conn: Connection, shift_id: int, corroborated_by: str, now: datetime
                      ) -> bool:
        """Confirm a held shift; False when it is no longer held (another worker confirmed it)."""
        done = conn.execute(_HELD_SHIFT_UPDATE, {
            "b_id": shift_id, "status": "confirmed", "confirmed_at": now,
            "corroborated_by": corroborated_by[:2000]})
        return done.rowcount > 0

    def supersede_shift(self, conn: Connection, shift_id: int) -> None:
        """A held shift that newer words contradict: it will never alert. Its key is freed, so
        the same move can be found again later."""
        conn.execute(update(shifts).where(
            (shifts.c.id == shift_id) & (shifts.c.status == "unconfirmed")).values(
            status="superseded", key=shifts.c.key + f"#superseded-{shift_id}"))

    def shift_record(self, shift_id: int) -> dict[str, Any]:
        """A shift as its alert shows it, with `copies`: (feed name, URL) of every syndicated
        copy of its item stored so far."""
        with self.engine.connect() as conn:
            row = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().one()
            record = _shift_row(row)
            item = self.item_by_guid(conn, record["item_guid"], record["url"])
            found = self.copies(conn, item["id"]) if item else []
        seen = {record["url"]}
        copies = []
        for c in found:
            link = c["url"] or c["guid"]
            if link not in seen:
                seen.add(link)
                copies.append((c["name"] or c["feed_url"], link))
        record["copies"] = copies
        return record

    # ------------------------------------------------------------------ actors

    def provisional_actors(self) -> list[dict[str, Any]]:
        """Speakers the rules do not list, found by their office and country: per actor id, the
        name, country, number of statements, first and last seen, and the latest evidence."""
        q = (select(statements.c.actor_id, func.count().label("statements"),
                    func.min(statements.c.published).label("first_seen"),
                    func.max(statements.c.published).label("last_seen"),
                    func.max(statements.c.id).label("latest_id"))
             .where(statements.c.provisional).group_by(statements.c.actor_id))
        out = []
        with self.engine.connect() as conn:
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

    def rename_actor(self, old_id: str, new_id: str, name: str, country: str) -> dict[str, int]:
        """Move an actor's statements, positions and shifts to another id (an analyst confirmed
        a provisional actor), in one transaction. Counts of rows moved, per table."""
        with self.begin() as conn:
            taken = conn.execute(select(positions.c.topic).where(
                positions.c.actor_id == new_id).limit(1)).first()
            if taken is not None and new_id != old_id:
                raise BotError(f"actor id {new_id!r} already has positions stored; choose another"
                               " --id")
            moved = {}
            done = conn.execute(update(statements).where(statements.c.actor_id == old_id).values(
                actor_id=new_id, actor_name=name, country=country, provisional=False))
            moved["statements"] = done.rowcount
            done = conn.execute(update(positions).where(positions.c.actor_id == old_id).values(
                actor_id=new_id, actor_name=name, country=country))
            moved["positions"] = done.rowcount
            count = 0
            for sid, key in list(conn.execute(select(shifts.c.id, shifts.c.key).where(
                    shifts.c.actor_id == old_id))):
                new_key = new_id + key[len(old_id):] if key.startswith(old_id + "|") else key
                conn.execute(update(shifts).where(shifts.c.id == sid).values(
                    actor_id=new_id, actor_name=name, country=country, key=new_key))
                count += 1
            moved["shifts"] = count
            return moved

    # ------------------------------------------------------------------ outbox

    def enqueue(self, conn: Connection, shift_id: int, destination: str, now: datetime) -> None:
        try:
            with conn.begin_nested():
                conn.execute(outbox.insert(), dict(shift_id=shift_id, destination=destination,
                                                   status="pending", attempts=0,
                                                   next_attempt_at=now))
        except IntegrityError:
            pass  # already queued for that destination

    def due(self, now: datetime, limit: int = 100, prefix: str = "") -> list[OutboxRow]:
        q = select(outbox.c.id, outbox.c.shift_id, outbox.c.destination, outbox.c.attempts).where(
            (outbox.c.status == "pending") & (outbox.c.next_attempt_at <= now))
        if prefix:
            q = q.where(outbox.c.destination.startswith(prefix))
        q = q.order_by(outbox.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [OutboxRow(*r) for r in conn.execute(q)]

    def claim_due_outbox(self, worker: str, now: datetime, lease: timedelta, limit: int = 1, *,
                         prefixes: Collection[str] | None = None) -> list[OutboxRow]:
        """Lease up to `limit` due rows (for destinations named by `prefixes`, when given) to
        `worker` until now + lease, so one worker sends each. A row whose worker died before
        marking it comes back when the lease expires; `mark_sent`/`mark_failed` end the claim."""
        if prefixes is not None and not prefixes:
            return []
        cond = ((outbox.c.status == "pending") & (outbox.c.next_attempt_at <= now)
                & (outbox.c.claimed_until.is_(None) | (outbox.c.claimed_until <= now)))
        if prefixes is not None:
            cond &= or_(*((outbox.c.destination == p) | outbox.c.destination.startswith(f"{p}:")
                          for p in prefixes))
        pick = (select(outbox.c.id).where(cond).order_by(outbox.c.id).limit(limit)
                .with_for_update(skip_locked=True))
        claim = (update(outbox).where(outbox.c.id.in_(pick))
                 .values(claimed_by=worker, claimed_until=now + lease)
                 .returning(outbox.c.id, outbox.c.shift_id, outbox.c.destination, outbox.c.attempts))
        with self.begin() as conn:
            return sorted(OutboxRow(*r) for r in conn.execute(claim))

    def lease_owners(self) -> set[str]:
        """Every worker holding a feed or an outbox row, expired or not."""
        q = union(select(feeds.c.lease_owner.label("owner")).where(feeds.c.lease_owner.is_not(None)),
                  select(outbox.c.claimed_by.label("owner")).where(
                      outbox.c.claimed_by.is_not(None) & outbox.c.claimed_until.is_not(None)))
        with self.engine.connect() as conn:
            return set(conn.scalars(q))

    def release_leases(self, worker: str) -> None:
        """End every lease and claim `worker` holds: it finished its cycle, or it is dead."""
        with self.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == worker)
                         .values(lease_owner=None, lease_until=None))
            conn.execute(update(outbox).where((outbox.c.claimed_by == worker)
                                              & outbox.c.claimed_until.is_not(None))
                         .values(claimed_by=None, claimed_until=None))

    def release_feed_leases(self, worker: str) -> None:
        """Give back every feed `worker` holds (its cycle ended); its outbox claims stay."""
        with self.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == worker)
                         .values(lease_owner=None, lease_until=None))

    def mark_sent(self, row_id: int, now: datetime) -> None:
        # claimed_by stays: it says which worker delivered the row
        with self.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                status="sent", sent_at=now, attempts=outbox.c.attempts + 1, last_error=None,
                claimed_until=None))

    def mark_failed(self, row_id: int, error: str, *, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:2000],
                                  "claimed_by": None, "claimed_until": None}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        with self.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))

    def outbox_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            return {status: int(n) for status, n in rows}

    # ------------------------------------------------------------------ subscriptions

    def subscribe(self, platform: str, chat_id: str, filters: list[str], now: datetime) -> None:
        encoded = json.dumps(sorted(set(filters)))
        with self.begin() as conn:
            done = conn.execute(update(subscriptions).where(
                (subscriptions.c.platform == platform) & (subscriptions.c.chat_id == chat_id)
            ).values(filters=encoded, active=True, note=None))
            if done.rowcount == 0:
                conn.execute(subscriptions.insert().values(platform=platform, chat_id=chat_id,
                                                           filters=encoded, active=True,
                                                           created_at=now))

    def unsubscribe(self, platform: str, chat_id: str, note: str | None = None) -> bool:
        with self.begin() as conn:
            done = conn.execute(update(subscriptions).where(
                (subscriptions.c.platform == platform) & (subscriptions.c.chat_id == chat_id)
                & subscriptions.c.active).values(active=False, note=note))
            return done.rowcount > 0

    def subscriptions(self, conn: Connection | None = None, platform: str | None = None
                      ) -> list[tuple[str, str, list[str]]]:
        q = select(subscriptions.c.platform, subscriptions.c.chat_id, subscriptions.c.filters
                   ).where(subscriptions.c.active)
        if platform:
            q = q.where(subscriptions.c.platform == platform)
        if conn is None:
            with self.engine.connect() as c:
                rows = list(c.execute(q))
        else:
            rows = list(conn.execute(q))
        return [(p, c, json.loads(f) if f else []) for p, c, f in rows]


def _history_filter(actor_id: str, topic: str | None, since: date | None) -> ColumnElement[bool]:
    cond = (statements.c.actor_id == actor_id) & statements.c.repeat_of.is_(None)
    if topic:
        cond &= statements.c.topic == topic
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=UTC)
        cond &= (statements.c.said_on >= since) | (
            statements.c.said_on.is_(None) & (statements.c.published >= start))
    return cond


def _shift_row(row: Any) -> dict[str, Any]:
    record = dict(row)
    for k in ("published", "prev_published", "created_at", "confirmed_at"):
        record[k] = utc(record.get(k))
    return record


@lru_cache(maxsize=4)
def _seen_query(permalink_guid: bool, article_url: bool) -> Select:
    """`item_seen`'s query, built once per shape: building it per item cost more than running it."""
    seen = (items.c.feed_url == bindparam("feed_url")) & (items.c.guid == bindparam("guid"))
    if permalink_guid:
        seen = seen | (items.c.guid == bindparam("guid"))
    if article_url:  # across feeds only: one feed's live-blog entries may share one link
        seen = seen | ((items.c.url == bindparam("url")) & (items.c.feed_url != bindparam("feed_url")))
    return select(items.c.id).where(seen).limit(1)


@lru_cache(maxsize=4)
def _claim_query(force: bool, by_url: bool) -> Update:
    """`claim_due_feeds`' statement, built once per shape (a claim costs about as much as the
    304 it leads to, so building it every time counted)."""
    now = bindparam("now")
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
_FINGERPRINTED_AFTER = select(items.c.id).where(
    (items.c.id > bindparam("after_id")) & items.c.fingerprint.is_not(None))
_MAX_ITEM_ID = select(func.max(items.c.id))
_SAVE_FULL_TEXT = update(items).where(items.c.id == bindparam("b_id"))
_RECORD_FETCH = update(feeds).where(feeds.c.url == bindparam("b_url"))
_FIRST_SIGHTING = (
    select(statements.c.id, statements.c.repeat_of, statements.c.said_on, statements.c.published)
    .where((statements.c.actor_id == bindparam("actor_id"))
           & (statements.c.topic == bindparam("topic"))
           & (statements.c.quote_key == bindparam("quote_key"))
           & (statements.c.item_id != bindparam("item_id")))
    .order_by(statements.c.repeat_of.is_not(None), statements.c.id).limit(1))
_POSITION = select(positions).where((positions.c.actor_id == bindparam("actor_id"))
                                    & (positions.c.topic == bindparam("topic")))
_UPDATE_POSITION = update(positions).where((positions.c.actor_id == bindparam("b_actor_id"))
                                           & (positions.c.topic == bindparam("b_topic")))
_UNCONFIRMED_SHIFT = (
    select(shifts).where((shifts.c.actor_id == bindparam("actor_id"))
                         & (shifts.c.topic == bindparam("topic"))
                         & (shifts.c.status == "unconfirmed"))
    .order_by(shifts.c.id.desc()).limit(1))
_HELD_SHIFT_UPDATE = update(shifts).where((shifts.c.id == bindparam("b_id"))
                                          & (shifts.c.status == "unconfirmed"))

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


def _position(row: Any) -> Position:
    return Position(actor_id=row["actor_id"], actor_name=row["actor_name"], country=row["country"],
                    topic=row["topic"], stance=row["stance"], since=utc(row["since"]) or row["since"],
                    evidence=row["evidence"], url=row["url"], item_guid=row["item_guid"],
                    confidence=row["confidence"])


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """A read-only connection: no journal mode to set (setting one writes), but the same wait
    for a writer and the same foreign keys."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commits,
    # which is safe here: a feed's validators are saved after its items, so they are fetched again.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def retry_time(now: datetime, attempts: int, retry_after: float | None) -> datetime:
    """Exponential backoff (30 s doubling, capped at one hour), never sooner than asked."""
    backoff = min(3600.0, 30.0 * (2 ** max(0, attempts)))
    return now + timedelta(seconds=max(backoff, retry_after or 0.0))
