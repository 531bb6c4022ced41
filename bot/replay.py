"""Local feed files replayed as if they arrived live (`shiftwatch replay`, `shiftwatch eval`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.models import Item, Statement
from bot.parse import parse_feed
from bot.rules import RuleSet
from bot.store import Store

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".feed")


def read_items(paths: Sequence[str]) -> list[Item]:
    """Items of local feed files (folders: every feed file inside), oldest first."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in FEED_SUFFIXES))
        elif p.is_file():
            files.append(p)
        else:
            raise BotError(f"{raw}: no such file or folder")
    if not files:
        raise BotError("no feed files found in " + ", ".join(paths))
    now = datetime.now(UTC)
    items: list[Item] = []
    for f in files:
        try:
            body = f.read_bytes()
        except OSError as exc:
            raise BotError(f"{f}: {exc.strerror or exc}") from None
        parsed = parse_feed(body, str(f), now=now)
        if parsed.problem:
            raise BotError(f"{f}: {parsed.problem}")
        items.extend(parsed.items)
    return sorted(items, key=lambda i: i.published)


def replay(rules: RuleSet, store: Store, items: list[Item]
           ) -> Iterator[tuple[Item, list[Statement], list[dict[str, Any]]]]:
    """Process items as if live; yields (item, statements, shift records)."""
    from bot.pipeline import Pipeline

    pipeline = Pipeline(rules, store, platforms=())
    for item in items:
        outcome = pipeline.process(item)
        yield item, outcome.statements, [store.shift_record(i) for i in outcome.shift_ids]
