"""The outbox table: alerts queued for each destination, claimed, sent, retried or dead."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, union, update
from sqlalchemy.exc import IntegrityError

from bot.store.base import Tables
from bot.store.schema import feeds, outbox


@dataclass(frozen=True)
class OutboxRow:
    id: int
    shift_id: int
    destination: str
    attempts: int


class OutboxTable(Tables):
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
        with self.read() as conn:
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
            return sorted((OutboxRow(*r) for r in conn.execute(claim)), key=lambda row: row.id)

    def lease_owners(self) -> set[str]:
        """Every worker holding a feed or an outbox row, expired or not."""
        q = union(select(feeds.c.lease_owner.label("owner")).where(feeds.c.lease_owner.is_not(None)),
                  select(outbox.c.claimed_by.label("owner")).where(
                      outbox.c.claimed_by.is_not(None) & outbox.c.claimed_until.is_not(None)))
        with self.read() as conn:
            return set(conn.scalars(q))

    def release_leases(self, worker: str) -> None:
        """End every lease and claim `worker` holds: it finished its cycle, or it is dead."""
        with self.begin() as conn:
            conn.execute(update(feeds).where(feeds.c.lease_owner == worker)
                         .values(lease_owner=None, lease_until=None))
            conn.execute(update(outbox).where((outbox.c.claimed_by == worker)
                                              & outbox.c.claimed_until.is_not(None))
                         .values(claimed_by=None, claimed_until=None))

    def release_outbox_claims(self, worker: str) -> None:
        """Give back the rows `worker` claimed and did not mark (a delivery cut short)."""
        with self.begin() as conn:
            conn.execute(update(outbox).where((outbox.c.claimed_by == worker)
                                              & outbox.c.claimed_until.is_not(None))
                         .values(claimed_by=None, claimed_until=None))

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
        with self.read() as conn:
            rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            return {status: int(n) for status, n in rows}


def retry_time(now: datetime, attempts: int, retry_after: float | None) -> datetime:
    """Exponential backoff (30 s doubling, capped at one hour), never sooner than asked."""
    backoff = min(3600.0, 30.0 * (2 ** max(0, attempts)))
    return now + timedelta(seconds=max(backoff, retry_after or 0.0))
