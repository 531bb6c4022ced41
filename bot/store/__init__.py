"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL; Alembic owns the schema.

All writes for one item happen in one transaction (`Store.begin()`), so a crash can neither
lose an alert nor record one twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.errors import BotError
from bot.models import Position, Shift, Statement
from bot.store.schema import feeds, items, outbox, positions, shifts, statements, subscriptions

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
class OutboxRow:
    id: int
    shift_id: int
    destination: str
    attempts: int


class Store:
    def __init__(self, url: str, *, migrate: bool = True):
        self.url = database_url(url)
        if self.url.startswith("sqlite:///") and not self.url.startswith("sqlite:///:memory:"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        except Exception as exc:
            raise BotError(f"database {self._safe_url()}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            self.migrate()

    def _safe_url(self) -> str:
        try:
            from sqlalchemy.engine import make_url
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(invalid URL)"

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise BotError(f"database {self._safe_url()}: {exc.orig}") from None

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
        conn.execute(update(feeds).where(feeds.c.url == url).values(**values))

    def all_feeds(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(feeds).order_by(feeds.c.url)).mappings()]

    # ------------------------------------------------------------------ items and statements

    def item_seen(self, conn: Connection, feed_url: str, guid: str, url: str) -> bool:
        """Seen in this feed, or the same guid or article URL seen in any feed."""
        q = select(items.c.id).where(
            ((items.c.feed_url == feed_url) & (items.c.guid == guid)) | (items.c.guid == guid))
        if conn.execute(q.limit(1)).first():
            return True
        if url:
            return conn.execute(select(items.c.id).where(items.c.url == url).limit(1)).first() \
                is not None
        return False

    def insert_item(self, conn: Connection, feed_url: str, guid: str, url: str, title: str,
                    published: datetime, now: datetime) -> int:
        result = conn.execute(items.insert().values(
            feed_url=feed_url, guid=guid, url=url, title=title, published=published, seen_at=now))
        return int(result.inserted_primary_key[0])

    def insert_statements(self, conn: Connection, item_id: int, found: list[Statement]) -> None:
        seen: set[tuple[str, str, str]] = set()
        for s in found:
            key = hashlib.sha256(s.evidence.encode()).hexdigest()
            if (s.actor_id, s.topic, key) in seen:
                continue
            seen.add((s.actor_id, s.topic, key))
            conn.execute(statements.insert().values(
                item_id=item_id, item_guid=s.item_guid, url=s.url, published=s.published,
                said_on=s.said_on, actor_id=s.actor_id, actor_name=s.actor_name,
                country=s.country, topic=s.topic, stance=s.stance, historical=s.historical,
                confidence=s.confidence, evidence=s.evidence, evidence_key=key,
                attribution=s.attribution, provisional=s.provisional))

    def history(self, actor_id: str, topic: str | None = None, limit: int = 200
                ) -> list[dict[str, Any]]:
        q = select(statements).where(statements.c.actor_id == actor_id)
        if topic:
            q = q.where(statements.c.topic == topic)
        q = q.order_by(statements.c.published.desc(), statements.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(q).mappings()]
        for r in rows:
            r["published"] = utc(r["published"])
        return rows

    # ------------------------------------------------------------------ positions and shifts

    def position(self, conn: Connection, actor_id: str, topic: str) -> Position | None:
        row = conn.execute(select(positions).where(
            (positions.c.actor_id == actor_id) & (positions.c.topic == topic))).mappings().first()
        return _position(row) if row else None

    def save_position(self, conn: Connection, p: Position) -> None:
        values = dict(actor_name=p.actor_name, country=p.country, stance=p.stance, since=p.since,
                      evidence=p.evidence, url=p.url, item_guid=p.item_guid,
                      confidence=p.confidence)
        done = conn.execute(update(positions).where(
            (positions.c.actor_id == p.actor_id) & (positions.c.topic == p.topic)).values(**values))
        if done.rowcount == 0:
            conn.execute(positions.insert().values(actor_id=p.actor_id, topic=p.topic, **values))

    def positions(self, *, country: str | None = None, topic: str | None = None
                  ) -> list[Position]:
        q = select(positions)
        if country:
            q = q.where(positions.c.country == country)
        if topic:
            q = q.where(positions.c.topic == topic)
        q = q.order_by(positions.c.actor_name, positions.c.topic)
        with self.engine.connect() as conn:
            return [_position(r) for r in conn.execute(q).mappings()]

    def insert_shift(self, conn: Connection, shift: Shift, now: datetime) -> int | None:
        """Record a shift; None when the same shift (same key) was recorded before."""
        s, p = shift.statement, shift.previous
        try:
            with conn.begin_nested():
                result = conn.execute(shifts.insert().values(
                    key=shift.key, actor_id=s.actor_id, actor_name=s.actor_name,
                    country=s.country, topic=s.topic, from_stance=p.stance, to_stance=s.stance,
                    magnitude=shift.magnitude, item_guid=s.item_guid, url=s.url,
                    published=s.published, evidence=s.evidence, confidence=s.confidence,
                    prev_item_guid=p.item_guid, prev_url=p.url, prev_published=p.since,
                    prev_evidence=p.evidence, created_at=now))
        except IntegrityError:
            return None
        return int(result.inserted_primary_key[0])

    def shift_record(self, shift_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().one()
        record = dict(row)
        for k in ("published", "prev_published", "created_at"):
            record[k] = utc(record[k])
        return record

    # ------------------------------------------------------------------ outbox

    def enqueue(self, conn: Connection, shift_id: int, destination: str, now: datetime) -> None:
        try:
            with conn.begin_nested():
                conn.execute(outbox.insert().values(shift_id=shift_id, destination=destination,
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

    def mark_sent(self, row_id: int, now: datetime) -> None:
        with self.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                status="sent", sent_at=now, attempts=outbox.c.attempts + 1, last_error=None))

    def mark_failed(self, row_id: int, error: str, *, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:2000]}
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


def _position(row: Any) -> Position:
    return Position(actor_id=row["actor_id"], actor_name=row["actor_name"], country=row["country"],
                    topic=row["topic"], stance=row["stance"], since=utc(row["since"]) or row["since"],
                    evidence=row["evidence"], url=row["url"], item_guid=row["item_guid"],
                    confidence=row["confidence"])


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def retry_time(now: datetime, attempts: int, retry_after: float | None) -> datetime:
    """Exponential backoff (30 s doubling, capped at one hour), never sooner than asked."""
    backoff = min(3600.0, 30.0 * (2 ** max(0, attempts)))
    return now + timedelta(seconds=max(backoff, retry_after or 0.0))
