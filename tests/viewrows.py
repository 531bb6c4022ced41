"""Rows for the views' tests, written straight into the tables (SQLAlchemy Core): statements,
shifts, positions and feeds with chosen dates, without running extraction."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from bot.store import Store
from bot.store.schema import feeds, items, positions, shifts, statements


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def add_statement(store: Store, actor_id: str, name: str, country: str, topic: str, stance: str,
                  day: date, evidence: str, *, recalled_on: date | None = None,
                  provisional: bool = False, guid: str | None = None) -> str:
    guid = guid or f"item-{actor_id}-{topic}-{day.isoformat()}-{stance}"
    with store.begin() as conn:
        item_id = conn.execute(items.insert().values(
            feed_url="https://news.example.org/feed.xml", guid=guid,
            url=f"https://news.example.org/{guid}", title="t", published=at(day),
            seen_at=at(day))).inserted_primary_key[0]
        conn.execute(statements.insert().values(
            item_id=item_id, item_guid=guid, url=f"https://news.example.org/{guid}",
            published=at(day), said_on=recalled_on, actor_id=actor_id, actor_name=name,
            country=country, topic=topic, stance=stance, historical=recalled_on is not None,
            confidence=0.9, evidence=evidence, evidence_key=hashlib.sha256(evidence.encode()).hexdigest(),
            attribution="name", provisional=provisional))
    return guid


def add_shift(store: Store, actor_id: str, name: str, country: str, topic: str, old: str, new: str,
              day: date, before: date, evidence: str, *, status: str = "confirmed",
              guid: str | None = None) -> None:
    guid = guid or f"item-{actor_id}-{topic}-{day.isoformat()}-{new}"
    with store.begin() as conn:
        conn.execute(shifts.insert().values(
            key=f"{actor_id}|{topic}|{old}>{new}|{day}", actor_id=actor_id, actor_name=name,
            country=country, topic=topic, from_stance=old, to_stance=new, magnitude=1,
            item_guid=guid, url=f"https://news.example.org/{guid}", published=at(day),
            evidence=evidence, confidence=0.9, prev_item_guid="prev", prev_url="",
            prev_published=at(before), prev_evidence="before", created_at=at(day), status=status))


def add_position(store: Store, actor_id: str, name: str, country: str, topic: str, stance: str,
                 since: date, evidence: str = "words") -> None:
    with store.begin() as conn:
        conn.execute(positions.insert().values(
            actor_id=actor_id, topic=topic, actor_name=name, country=country, stance=stance,
            since=at(since), evidence=evidence, url=f"https://news.example.org/{actor_id}",
            item_guid=f"pos-{actor_id}", confidence=0.9))


def add_feed(store: Store, url: str, name: str, *, failures: int = 0, error: str | None = None,
             disabled: bool = False) -> None:
    with store.begin() as conn:
        conn.execute(feeds.insert().values(url=url, name=name, failures=failures, items_seen=0,
                                           disabled=disabled, last_error=error,
                                           disabled_reason="gone" if disabled else None))
