"""The positions and shifts tables: where each actor stands, and every move away from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.errors import BotError
from bot.models import HeldShift, Pending, Position, Shift
from bot.store.base import utc
from bot.store.items import ItemsTable
from bot.store.schema import positions, shifts, statements


class PositionsTable(ItemsTable):
    """Positions and shifts (a shift's alert shows its item's syndicated copies: items)."""

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
        with self.read() as conn:
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
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

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
        with self.read() as conn:
            row = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().one()
            record = _shift_row(row)
            item = self.item_by_guid(conn, record["item_guid"], record["url"])
            found = self.copies(conn, item.id) if item else []
        seen = {record["url"]}
        copies = []
        for c in found:
            link = c.url or c.guid
            if link not in seen:
                seen.add(link)
                copies.append((c.name or c.feed_url, link))
        record["copies"] = copies
        return record

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


def _shift_row(row: RowMapping) -> dict[str, Any]:
    record = dict(row)
    for k in ("published", "prev_published", "created_at", "confirmed_at"):
        record[k] = utc(record.get(k))
    return record


def _position(row: RowMapping) -> Position:
    return Position(actor_id=row["actor_id"], actor_name=row["actor_name"], country=row["country"],
                    topic=row["topic"], stance=row["stance"], since=utc(row["since"]) or row["since"],
                    evidence=row["evidence"], url=row["url"], item_guid=row["item_guid"],
                    confidence=row["confidence"])


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
