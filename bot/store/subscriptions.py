"""The subscriptions table: which chats want which shifts (filters: bot/routing.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, select, update

from bot.store.base import Tables
from bot.store.schema import subscriptions


class Subscription(NamedTuple):
    platform: str
    chat_id: str
    filters: list[str]


class SubscriptionsTable(Tables):
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
                      ) -> list[Subscription]:
        q = select(subscriptions.c.platform, subscriptions.c.chat_id, subscriptions.c.filters
                   ).where(subscriptions.c.active)
        if platform:
            q = q.where(subscriptions.c.platform == platform)
        with self.read(conn) as c:
            rows = list(c.execute(q))
        return [Subscription(p, chat, json.loads(f) if f else []) for p, chat, f in rows]
