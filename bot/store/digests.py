"""Digest subscriptions: which chat gets a daily or weekly digest, and when it last got one.

The table joins the shared `metadata` (migration 0003 creates it; migrations/env.py imports
this module so that the schema check sees it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, String, Table, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import Store
from bot.store.schema import metadata

FREQUENCIES = ("daily", "weekly")

digest_subscriptions = Table(
    "digest_subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("chat_id", String(200), nullable=False),
    Column("frequency", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the end of the period the last digest covered: the next one starts there
    Column("last_sent_at", DateTime(timezone=True)),
    UniqueConstraint("platform", "chat_id", name="uq_digest_subscriptions_chat"),
)


@dataclass(frozen=True)
class DigestSubscription:
    platform: str
    chat_id: str
    frequency: str
    created_at: datetime
    last_sent_at: datetime | None = None


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def set_digest(store: Store, platform: str, chat_id: str, frequency: str | None,
               now: datetime) -> bool:
    """Subscribe a chat to a digest (`frequency` daily or weekly), or stop it (None). The first
    digest covers the period from now. False when there was nothing to stop."""
    key = (digest_subscriptions.c.platform == platform) & (digest_subscriptions.c.chat_id == chat_id)
    with store.engine.begin() as conn:
        if frequency is None:
            return conn.execute(delete(digest_subscriptions).where(key)).rowcount > 0
        if frequency not in FREQUENCIES:
            raise ValueError(f"frequency {frequency!r} is not one of {FREQUENCIES}")
        done = conn.execute(update(digest_subscriptions).where(key).values(frequency=frequency))
        if done.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(digest_subscriptions.insert().values(
                        platform=platform, chat_id=chat_id, frequency=frequency, created_at=now,
                        last_sent_at=now))
            except IntegrityError:  # the same chat asked twice at once
                conn.execute(update(digest_subscriptions).where(key).values(frequency=frequency))
        return True


def digest_subscriptions_of(store: Store, platform: str | None = None) -> list[DigestSubscription]:
    q = select(digest_subscriptions).order_by(digest_subscriptions.c.id)
    if platform:
        q = q.where(digest_subscriptions.c.platform == platform)
    with store.engine.connect() as conn:
        return [DigestSubscription(r["platform"], r["chat_id"], r["frequency"],
                                   _utc(r["created_at"]) or r["created_at"], _utc(r["last_sent_at"]))
                for r in conn.execute(q).mappings()]


def mark_digest_sent(store: Store, platform: str, chat_id: str, period_end: datetime) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(digest_subscriptions).where(
            (digest_subscriptions.c.platform == platform)
            & (digest_subscriptions.c.chat_id == chat_id)).values(last_sent_at=period_end))
