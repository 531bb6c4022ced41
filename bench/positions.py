"""`Store.positions(country=...)` latency with 1,000,000 stored statements: target p95 < 20 ms.

Fills a fresh store (SQLite in a temporary folder; also PostgreSQL, in a database created for
the run and dropped after it, when SHIFTWATCH_BENCH_PG_URL is set) with `--statements`
statements over half as many items, one position per actor and topic, and a shift for 1 % of
the statements (a fifth of them unconfirmed), in bulk (SQLAlchemy Core executemany). Then
calls `positions` `--calls` times, cycling through every country, and prints p50/p95/max.

    .venv/bin/python -m bench.positions
    SHIFTWATCH_BENCH_PG_URL=postgresql+psycopg://shiftwatch@127.0.0.1:55432/postgres \\
        .venv/bin/python -m bench.positions
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.corpus import RULES_DIR
from bot.rules import Actor, load_rules
from bot.store import Store
from bot.store.schema import items, positions, shifts, statements

TARGET_P95_MS = 20.0
CHUNK = 10_000
STANCES = ("opposes", "open", "conditional", "supports")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
START = datetime(2022, 2, 1, tzinfo=UTC)
EVIDENCE = (
    "{name} said on {day} that the government would not send troops, calling it a dangerous step.",
    "{name} told reporters the option remained on the table if the front line collapsed.",
    "\"We will not rule anything out,\" {name} said after talks with allies in the capital.",
    "{name} said the country would contribute to a reassurance force once a ceasefire holds.",
)


def chunks(rows: Iterator[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(store: Store, actors: list[Actor], topics: list[str], n_statements: int, seed: int) -> None:
    r = random.Random(seed)
    n_items = max(1, n_statements // 2)
    minutes = 4 * 365 * 24 * 60 / n_items  # spread over four years

    def item_rows() -> Iterator[dict]:
        for i in range(1, n_items + 1):
            when = START + timedelta(minutes=i * minutes)
            yield {"id": i, "feed_url": f"https://news{i % 300}.example.org/rss", "guid": f"g{i}",
                   "url": f"https://news{i % 300}.example.org/a/{i}.html",
                   "title": f"Story {i}", "published": when, "seen_at": when}

    def statement_rows() -> Iterator[dict]:
        for i in range(1, n_statements + 1):
            item_id = (i - 1) // 2 + 1
            when = START + timedelta(minutes=item_id * minutes)
            actor = actors[r.randrange(len(actors))]
            evidence = r.choice(EVIDENCE).format(name=actor.name, day=DAYS[when.weekday()])
            yield {"id": i, "item_id": item_id, "item_guid": f"g{item_id}",
                   "url": f"https://news{item_id % 300}.example.org/a/{item_id}.html",
                   "published": when, "said_on": when.date(), "actor_id": actor.id,
                   "actor_name": actor.name, "country": actor.country, "topic": r.choice(topics),
                   "stance": r.choice(STANCES), "historical": r.random() < 0.05,
                   "confidence": round(r.uniform(0.5, 1.0), 3), "evidence": evidence,
                   "evidence_key": hashlib.sha256(f"{i}|{evidence}".encode()).hexdigest(),
                   "attribution": "name", "provisional": False,
                   "quote_key": hashlib.sha256(evidence.encode()).hexdigest()}

    def shift_rows() -> Iterator[dict]:
        for i in range(1, n_statements // 100 + 1):
            item_id = r.randrange(1, n_items + 1)
            when = START + timedelta(minutes=item_id * minutes)
            actor = actors[r.randrange(len(actors))]
            a, b = r.sample(STANCES, 2)
            yield {"id": i, "key": f"{actor.id}|{i}", "actor_id": actor.id, "actor_name": actor.name,
                   "country": actor.country, "topic": r.choice(topics), "from_stance": a,
                   "to_stance": b, "magnitude": abs(STANCES.index(a) - STANCES.index(b)),
                   "item_guid": f"g{item_id}", "url": f"https://news.example.org/a/{item_id}.html",
                   "published": when, "evidence": f"{actor.name} changed course.",
                   "confidence": 0.9, "prev_item_guid": "g1", "prev_url": "https://news.example.org/",
                   "prev_published": START, "prev_evidence": f"{actor.name} said otherwise.",
                   "created_at": when, "status": "unconfirmed" if r.random() < 0.2 else "confirmed"}

    def position_rows() -> Iterator[dict]:
        for actor in actors:
            for topic in topics:
                yield {"actor_id": actor.id, "topic": topic, "actor_name": actor.name,
                       "country": actor.country, "stance": r.choice(STANCES),
                       "since": START + timedelta(days=r.randrange(1400)),
                       "evidence": f"{actor.name} set out a position.",
                       "url": "https://news.example.org/a/1.html", "item_guid": "g1",
                       "confidence": 0.8}

    for table, rows in ((items, item_rows()), (statements, statement_rows()),
                        (shifts, shift_rows()), (positions, position_rows())):
        for batch in chunks(rows):
            with store.begin() as conn:
                conn.execute(table.insert(), batch)


def _bulk_load_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """A page cache that holds the indexes being built, and no fsync per chunk."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size=-262144")
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def measure(store: Store, countries: list[str], calls: int) -> list[float]:
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        store.positions(country=countries[i % len(countries)])
        times.append((time.perf_counter() - t0) * 1000)
    return times


def bench(label: str, store: Store, args: argparse.Namespace) -> None:
    rules = load_rules(RULES_DIR)
    actors = sorted(rules.actors.values(), key=lambda a: a.id)
    topics = sorted(rules.topics)
    t0 = time.perf_counter()
    sqlite = store.engine.dialect.name == "sqlite"
    if sqlite:  # for the fill only: the measured calls run on the store's own settings
        sa.event.listen(store.engine, "connect", _bulk_load_pragmas)
        store.engine.dispose()
    fill(store, actors, topics, args.statements, args.seed)
    if sqlite:
        sa.event.remove(store.engine, "connect", _bulk_load_pragmas)
        store.engine.dispose()
    filled = time.perf_counter() - t0
    countries = sorted({a.country for a in actors})
    measure(store, countries, min(20, args.calls))  # warm the pool and the page cache
    times = sorted(measure(store, countries, args.calls))
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{label}: {args.statements} statements, {args.statements // 100} shifts, "
          f"{len(actors) * len(topics)} positions, filled in {filled:.1f} s")
    print(f"{label}: positions(country=...) over {len(countries)} countries, {args.calls} calls: "
          f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms "
          f"(target p95 < {TARGET_P95_MS:.0f} ms) {'OK' if p95 < TARGET_P95_MS else 'OVER TARGET'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--statements", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shiftwatch-bench-") as tmp:
        store = Store(str(Path(tmp) / "positions.db"))
        try:
            bench("sqlite", store, args)
        finally:
            store.close()

    pg_url = os.environ.get("SHIFTWATCH_BENCH_PG_URL")
    if pg_url:
        name = f"sw_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            store = Store(sa.engine.make_url(pg_url).set(database=name)
                          .render_as_string(hide_password=False))
            try:
                bench("postgresql", store, args)
            finally:
                store.close()
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
