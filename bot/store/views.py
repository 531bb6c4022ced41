"""Reads for the pictures, exports and digests: plain rows (frozen dataclasses) out of the
tables, through SQLAlchemy Core on the store's engine. Nothing here writes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from bot.store import Store
from bot.store.schema import feeds, shifts, statements


@dataclass(frozen=True)
class StatementRow:
    """One statement as first reported (a re-reported quote is not repeated). `day` is the day
    the words were said: `said_on` for a recalled statement, else the day of publication."""

    id: int
    actor_id: str
    actor_name: str
    country: str
    topic: str
    stance: str
    day: date
    published: datetime
    historical: bool
    provisional: bool
    confidence: float
    evidence: str
    url: str
    item_guid: str
    attribution: str


@dataclass(frozen=True)
class ShiftRow:
    id: int
    actor_id: str
    actor_name: str
    country: str
    topic: str
    from_stance: str
    to_stance: str
    magnitude: int
    published: datetime
    evidence: str
    url: str
    item_guid: str
    confidence: float
    status: str                  # confirmed, unconfirmed (one source so far), superseded
    prev_published: datetime
    prev_evidence: str
    prev_url: str


@dataclass(frozen=True)
class PositionRow:
    actor_id: str
    actor_name: str
    country: str
    topic: str
    stance: str
    since: datetime
    evidence: str
    url: str
    confidence: float
    pending_stance: str | None = None     # an unconfirmed shift away from `stance`
    pending_since: datetime | None = None


@dataclass(frozen=True)
class FeedRow:
    url: str
    name: str
    failures: int
    disabled: bool
    last_error: str | None
    last_success_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True)
class NewActorRow:
    """A provisional speaker (not in actors.yaml) first heard in a period."""

    actor_id: str
    name: str
    country: str
    first_seen: datetime
    statements: int
    evidence: str
    url: str


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every datetime here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _said_from(day: date) -> ColumnElement[bool]:
    return (statements.c.said_on >= day) | (
        statements.c.said_on.is_(None) & (statements.c.published >= _midnight(day)))


def _said_before(day: date) -> ColumnElement[bool]:
    return (statements.c.said_on < day) | (
        statements.c.said_on.is_(None) & (statements.c.published < _midnight(day)))


def read_statements(store: Store, *, actor_ids: Collection[str] | None = None,
                    country: str | None = None, topic: str | None = None,
                    since: date | None = None, until: date | None = None) -> list[StatementRow]:
    """Statements said on or after `since` and before `until`, oldest first by the day said."""
    if actor_ids is not None and not actor_ids:
        return []
    cond: ColumnElement[bool] = statements.c.repeat_of.is_(None)
    if actor_ids is not None:
        cond &= statements.c.actor_id.in_(sorted(actor_ids))
    if country:
        cond &= statements.c.country == country
    if topic:
        cond &= statements.c.topic == topic
    if since is not None:
        cond &= _said_from(since)
    if until is not None:
        cond &= _said_before(until)
    with store.engine.connect() as conn:
        rows = list(conn.execute(select(statements).where(cond)).mappings())
    out = [_statement(r) for r in rows]
    return sorted(out, key=lambda s: (s.day, s.published, s.id))


def _statement(r: Any) -> StatementRow:
    published = as_utc(r["published"])
    return StatementRow(
        id=r["id"], actor_id=r["actor_id"], actor_name=r["actor_name"], country=r["country"],
        topic=r["topic"], stance=r["stance"], day=r["said_on"] or published.date(),
        published=published, historical=bool(r["historical"]), provisional=bool(r["provisional"]),
        confidence=float(r["confidence"]), evidence=r["evidence"],
        url=r["url"] or r["item_guid"], item_guid=r["item_guid"], attribution=r["attribution"] or "")


def read_shifts(store: Store, *, actor_ids: Collection[str] | None = None,
                country: str | None = None, topic: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                statuses: Collection[str] = ("confirmed", "unconfirmed")) -> list[ShiftRow]:
    """Shifts published in [since, until), oldest first."""
    if actor_ids is not None and not actor_ids:
        return []
    cond: ColumnElement[bool] = shifts.c.status.in_(sorted(statuses))
    if actor_ids is not None:
        cond &= shifts.c.actor_id.in_(sorted(actor_ids))
    if country:
        cond &= shifts.c.country == country
    if topic:
        cond &= shifts.c.topic == topic
    if since is not None:
        cond &= shifts.c.published >= since
    if until is not None:
        cond &= shifts.c.published < until
    q = select(shifts).where(cond).order_by(shifts.c.published, shifts.c.id)
    with store.engine.connect() as conn:
        return [ShiftRow(
            id=r["id"], actor_id=r["actor_id"], actor_name=r["actor_name"], country=r["country"],
            topic=r["topic"], from_stance=r["from_stance"], to_stance=r["to_stance"],
            magnitude=int(r["magnitude"]), published=as_utc(r["published"]),
            evidence=r["evidence"], url=r["url"] or r["item_guid"], item_guid=r["item_guid"],
            confidence=float(r["confidence"]), status=r["status"],
            prev_published=as_utc(r["prev_published"]), prev_evidence=r["prev_evidence"],
            prev_url=r["prev_url"]) for r in conn.execute(q).mappings()]


def read_positions(store: Store, *, country: str | None = None, topic: str | None = None,
                   since: date | None = None) -> list[PositionRow]:
    """Current positions (held since `since` or later, when given), by country, topic and
    actor; one with an unconfirmed shift away from it carries that shift's stance. The store's
    own `positions` reads them; this flattens them into rows for exports and the matrix."""
    start = _midnight(since) if since is not None else None
    found = [p for p in store.positions(country=country, topic=topic)
             if start is None or p.since >= start]
    found.sort(key=lambda p: (p.country, p.topic, p.actor_name, p.actor_id))
    return [PositionRow(
        actor_id=p.actor_id, actor_name=p.actor_name, country=p.country, topic=p.topic,
        stance=p.stance, since=p.since, evidence=p.evidence, url=p.url or p.item_guid,
        confidence=p.confidence, pending_stance=p.pending.stance if p.pending else None,
        pending_since=p.pending.since if p.pending else None) for p in found]


def read_feeds(store: Store) -> list[FeedRow]:
    with store.engine.connect() as conn:
        return [FeedRow(url=r["url"], name=r["name"] or r["url"], failures=int(r["failures"] or 0),
                        disabled=bool(r["disabled"]), last_error=r["last_error"],
                        last_success_at=as_utc(r["last_success_at"]) if r["last_success_at"]
                        else None, disabled_reason=r["disabled_reason"])
                for r in conn.execute(select(feeds).order_by(feeds.c.url)).mappings()]


def read_new_provisional_actors(store: Store, since: datetime, until: datetime
                                ) -> list[NewActorRow]:
    """Provisional speakers whose first statement was published in [since, until)."""
    first = (select(statements.c.actor_id, func.min(statements.c.published).label("first_seen"),
                    func.count().label("n"), func.max(statements.c.id).label("latest_id"))
             .where(statements.c.provisional).group_by(statements.c.actor_id).subquery())
    q = (select(first.c.first_seen, first.c.n, statements)
         .select_from(first.join(statements, statements.c.id == first.c.latest_id))
         .where((first.c.first_seen >= since) & (first.c.first_seen < until))
         .order_by(first.c.first_seen, first.c.actor_id))
    with store.engine.connect() as conn:
        return [NewActorRow(actor_id=r["actor_id"], name=r["actor_name"], country=r["country"],
                            first_seen=as_utc(r["first_seen"]), statements=int(r["n"]),
                            evidence=r["evidence"], url=r["url"] or r["item_guid"])
                for r in conn.execute(q).mappings()]
