"""Helpers of the extraction tests: a fixture text in, comparable statement triples out."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.extract import Extractor
from bot.models import Item, Statement

TROOPS = "troops-to-ukraine"
NATO = "ukraine-nato-membership"
LONG_RANGE = "long-range-weapons-for-ukraine"
EV = "ev-tariffs-on-china"


def item(text: str, day: str, title: str = "", hour: int = 9) -> Item:
    published = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
    return Item("feed", "t1", "https://example.org/t1", title, text, published)


def run(extractor: Extractor, text: str, day: str = "2024-06-12", title: str = "",
        hour: int = 9) -> list[Statement]:
    return extractor.extract(item(text, day, title, hour))


def said(found: list[Statement], topic: str = TROOPS) -> set[tuple[str, str, bool]]:
    return {(s.actor_id, s.stance, s.historical) for s in found if s.topic == topic}
