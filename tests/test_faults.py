"""Faults: a process killed (SIGKILL) in the middle of a cycle, and a database that is locked for
a moment. Afterwards every item is stored once, every shift recorded once and every alert
delivered once; nothing is lost."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import logging
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.chat.console import ConsoleDestination, alert_key
from bot.feeds import load_feeds
from bot.pipeline import Pipeline
from bot.render import AlertView
from bot.rules import RuleSet
from bot.store import Store
from tests.conftest import REPO, fresh_pg_database, url_text
from tests.feedfactory import Entry, rss

# Each on-topic actor says four things, in this order, in a feed of their own: three shifts.
QUOTES = {
    "opposes": '"Sending Western troops to Ukraine is out of the question," {name} told reporters.',
    "open": '"We cannot exclude sending Western troops to Ukraine," {name} said on Wednesday.',
    "conditional": ('"Our troops would go to Ukraine only if Russian forces broke through the '
                    'front line," {name} said.'),
    "supports": '"We are ready to send troops to Ukraine," {name} said at a news conference.',
}
ACTORS = ["Keir Starmer", "Giorgia Meloni", "Mark Rutte", "Donald Tusk", "Friedrich Merz",
          "Pedro Sánchez", "Mette Frederiksen", "Alexander Stubb", "Ulf Kristersson",
          "Petr Pavel", "Dick Schoof", "Kaja Kallas"]
# Off-topic filler; random words keep every text distinct (no item looks like a syndicated copy
# of another) and long (no teaser: no article page is fetched).
WORDS = ("harbour council budget library bridge festival orchard railway museum bakery "
         "weather ferry garden parliament schoolyard violin tram river marathon cathedral "
         "stadium theatre canal lighthouse vineyard glacier meadow quarry forest village "
         "workshop printer bicycle lantern cottage tunnel market square fountain gallery").split()


@dataclass(frozen=True)
class Corpus:
    feeds_file: Path
    items: int
    on_topic_feeds: int


def filler(rng: random.Random, n: int = 80) -> str:
    return "Local officials discussed the " + " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def build_corpus(folder: Path, *, feeds: int, items_per_feed: int, on_topic: int,
                 now: datetime, interval: str = "1h", seed: int = 7) -> Corpus:
    """`feeds` RSS files under folder and a feeds.yaml listing them (file:// URLs). The first
    `on_topic` feeds each carry one actor's four statements, oldest first, then filler."""
    assert on_topic <= len(ACTORS)
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    urls = []
    total = 0
    for f in range(feeds):
        entries = []
        for j in range(max(items_per_feed, len(QUOTES)) if f < on_topic else items_per_feed):
            published = now - timedelta(hours=6) + timedelta(minutes=j)
            text = filler(rng)
            if f < on_topic and j < len(QUOTES):
                stance = list(QUOTES)[j]
                text = QUOTES[stance].format(name=ACTORS[f]) + " " + filler(rng)
            entries.append(Entry(f"{folder.name}-feed{f}-item{j}", published, text, title=f"Story {f}.{j}"))
        total += len(entries)
        path = folder / f"feed{f:03d}.xml"
        path.write_text(rss(entries, title=f"Fixture feed {f}"), encoding="utf-8")
        urls.append(path.resolve().as_uri())
    feeds_file = folder / "feeds.yaml"
    feeds_file.write_text("feeds:\n" + "".join(
        f"  - url: {u}\n    name: Fixture {i}\n    interval: {interval}\n"
        for i, u in enumerate(urls)))
    return Corpus(feeds_file, total, on_topic)


def cli_env(db_url: str, corpus: Corpus, alerts: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SHIFTWATCH_DB_URL": db_url, "SHIFTWATCH_FEEDS": str(corpus.feeds_file),
           "SHIFTWATCH_RULES": str(REPO / "rules"), "SHIFTWATCH_ALERTS_FILE": str(alerts),
           **extra}
    for secret in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN"):
        env.pop(secret, None)
    return env


@dataclass(frozen=True)
class Outcome:
    """What a database and an alerts file hold after the runs."""

    items: Counter[tuple[str, str]]
    shifts: Counter[str]
    outbox: list[tuple[str, int]]          # (status, attempts) per row
    alert_keys: Counter[str]

    @classmethod
    def read(cls, db_url: str, alerts: Path) -> Outcome:
        engine = sa.create_engine(db_url if "://" in db_url else f"sqlite:///{db_url}")
        try:
            with engine.connect() as conn:
                items = Counter(conn.execute(sa.text("SELECT feed_url, guid FROM items")).all())
                shifts = Counter(conn.execute(sa.text("SELECT key FROM shifts")).scalars())
                outbox = [tuple(r) for r in conn.execute(sa.text(
                    "SELECT status, attempts FROM outbox ORDER BY id")).all()]
        finally:
            engine.dispose()
        lines = alerts.read_text(encoding="utf-8").splitlines() if alerts.exists() else []
        return cls(Counter((f, g) for f, g in items), shifts, outbox,  # type: ignore[arg-type]
                   Counter(json.loads(line)["key"] for line in lines))


def reference(corpus: Corpus, rules: RuleSet, tmp: Path) -> Outcome:
    """One clean, uninterrupted cycle in this process: what every other run must end with."""
    db, alerts = str(tmp / "reference.db"), tmp / "reference-alerts.jsonl"
    store = Store(db)
    try:
        app = App(Pipeline(rules, store), load_feeds(corpus.feeds_file),
                  [ConsoleDestination(alerts, out=io.StringIO())])
        asyncio.run(app.poll_once(force=True))
    finally:
        store.close()
    return Outcome.read(db, alerts)


def assert_same_and_once(got: Outcome, want: Outcome) -> None:
    assert set(got.items) == set(want.items) and max(got.items.values()) == 1
    assert got.shifts == want.shifts and (not got.shifts or max(got.shifts.values()) == 1)
    assert sorted(got.alert_keys) == sorted(want.alert_keys)
    assert got.alert_keys and max(got.alert_keys.values()) == 1, got.alert_keys
    assert {status for status, _ in got.outbox} == {"sent"}


def count_rows(db_path: Path, table: str) -> int:
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0  # not created yet, or busy: ask again


def wait_until(predicate: Callable[[], bool], seconds: float, poll: float = 0.01) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


# ---------------------------------------------------------------------- SIGKILL


def test_sigkill_mid_cycle_then_restart_loses_no_item_and_alerts_once(
        tmp_path: Path, rules: RuleSet) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    corpus = build_corpus(tmp_path / "feeds", feeds=16, items_per_feed=10, on_topic=8, now=now)
    want = reference(corpus, rules, tmp_path)
    assert len(want.shifts) >= corpus.on_topic_feeds  # the fixture does raise alerts
    db = tmp_path / "state" / "sw.db"
    alerts = tmp_path / "state" / "alerts.jsonl"
    env = cli_env(str(db), corpus, alerts)
    poll = [sys.executable, "-m", "bot", "poll", "--once"]

    def storing(k: int) -> Callable[[], bool]:
        return lambda: count_rows(db, "items") > corpus.items * k // 4

    def delivering() -> bool:
        return alerts.exists() and alerts.stat().st_size > 0

    mid_cycle = 0
    # killed while storing items, then (the restart) while delivering alerts
    for stop_when in (storing(1), delivering):
        proc = subprocess.Popen(poll, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda p=proc, stop=stop_when: stop() or p.poll() is not None, 60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)  # reaped: its pid is free, and its leases go back at once
        partial = Outcome.read(str(db), alerts)
        unfinished = (len(partial.items) < corpus.items
                      or sum(partial.alert_keys.values()) < len(want.alert_keys))
        mid_cycle += proc.returncode == -signal.SIGKILL and unfinished
    assert mid_cycle >= 1, "the cycles finished before they could be killed: make them longer"

    final = subprocess.run(poll, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert_same_and_once(Outcome.read(str(db), alerts), want)
    # and every feed was given back: nothing waits for a lease to expire
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL"
                            ).fetchone()[0] == 0


def test_an_alert_sent_again_after_a_crash_is_written_once(tmp_path: Path, rules: RuleSet) -> None:
    corpus = build_corpus(tmp_path / "feeds", feeds=1, items_per_feed=4, on_topic=1,
                          now=datetime.now(UTC))
    want = reference(corpus, rules, tmp_path)
    alerts_file = tmp_path / "reference-alerts.jsonl"
    store = Store(str(tmp_path / "reference.db"))
    try:
        views = [AlertView.from_record(store.shift_record(i)) for i in range(1, 4)]
    finally:
        store.close()
    with alerts_file.open("a") as f:
        f.write('{"note": "added by hand, no final newline"}')
    out = io.StringIO()
    # a new process (fresh object) sends them all again, twice, and one new alert
    console = ConsoleDestination(alerts_file, out=out)
    new = dataclasses.replace(views[0], item="another-item", key=f"{views[0].key}|another")
    for view in [*views, *views, new]:
        asyncio.run(console.send("", view))
    lines = [json.loads(line) for line in alerts_file.read_text().splitlines()]
    keys = Counter(line["key"] for line in lines if "key" in line)
    assert set(keys) == set(want.alert_keys) | {alert_key(new)} and max(keys.values()) == 1
    assert len(lines) == len(keys) + 1
    assert out.getvalue().count("SHIFT") == 1  # only the new one reached the console again


# ---------------------------------------------------------------------- a locked database


def short_busy_timeout(store: Store, ms: int = 50) -> None:
    """Give up on a locked SQLite database after `ms` instead of the production 10 s, so the
    test reaches the error path quickly (the lock itself is real)."""
    store.engine.dispose()
    sa.event.listen(store.engine, "connect",
                    lambda dbapi, _record: dbapi.execute(f"PRAGMA busy_timeout={ms}"))


@pytest.fixture
def small_corpus(tmp_path: Path) -> Corpus:
    now = datetime.now(UTC).replace(microsecond=0)
    return build_corpus(tmp_path / "feeds", feeds=4, items_per_feed=5, on_topic=2, now=now)


@pytest.fixture
def locked_app(tmp_path: Path, rules: RuleSet, small_corpus: Corpus
               ) -> Iterator[tuple[App, Path, Path]]:
    db, alerts = tmp_path / "state" / "sw.db", tmp_path / "alerts.jsonl"
    store = Store(str(db))
    short_busy_timeout(store)
    app = App(Pipeline(rules, store), load_feeds(small_corpus.feeds_file),
              [ConsoleDestination(alerts, out=io.StringIO())])
    yield app, db, alerts
    store.close()


class Lock:
    """Another connection holding SQLite's write lock (BEGIN EXCLUSIVE)."""

    def __init__(self, db: Path):
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_cycle_on_a_locked_database_stops_and_the_next_tick_catches_up(
        locked_app: tuple[App, Path, Path], small_corpus: Corpus, rules: RuleSet,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app, db, alerts = locked_app
    expected = reference(small_corpus, rules, tmp_path)
    assert len(expected.items) == 20 and len(expected.alert_keys) == 2 * 3
    lock = Lock(db)
    try:
        with caplog.at_level(logging.WARNING):
            summary = asyncio.run(app.poll_once())
        assert summary.new_items == 0
        assert "database unavailable" in caplog.text
    finally:
        lock.release()
    summary = asyncio.run(app.poll_once())
    assert summary.new_items == 20 and summary.delivered == 6
    assert_same_and_once(Outcome.read(str(db), alerts), expected)


class FeedServer:
    """Serves one RSS body on 127.0.0.1; `on_request` runs before each answer."""

    def __init__(self, body: bytes, on_request: Callable[[], None]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.on_request()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.on_request = on_request
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_items_wait_out_a_lock_taken_while_their_feed_was_being_fetched(
        tmp_path: Path, rules: RuleSet, caplog: pytest.LogCaptureFixture) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    corpus = build_corpus(tmp_path / "feeds", feeds=1, items_per_feed=6, on_topic=1, now=now)
    body = Path(load_feeds(corpus.feeds_file)[0].url.removeprefix("file://")).read_bytes()
    db, alerts = tmp_path / "sw.db", tmp_path / "alerts.jsonl"
    store = Store(str(db))
    short_busy_timeout(store)
    locks: list[Lock] = []

    def lock_for_a_moment() -> None:  # the feed is claimed; its items are not stored yet
        locks.append(Lock(db))
        threading.Timer(1.2, locks[-1].release).start()

    server = FeedServer(body, lock_for_a_moment)
    try:
        (tmp_path / "http.yaml").write_text(f"feeds:\n  - url: {server.url}\n")
        app = App(Pipeline(rules, store), load_feeds(tmp_path / "http.yaml"),
                  [ConsoleDestination(alerts, out=io.StringIO())])
        with caplog.at_level(logging.WARNING):
            summary = asyncio.run(app.poll_once())
    finally:
        server.close()
        store.close()
    assert locks, "the feed was never fetched"
    assert "retrying" in caplog.text  # the lock was met, and waited out
    assert (summary.new_items, summary.shifts, summary.delivered) == (6, 3, 3)


# ---------------------------------------------------------------------- an unreachable server


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of the PostgreSQL server; `down()` cuts every
    connection and refuses new ones until `up()`, as a network outage or a restarting server."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.conns: list[socket.socket] = []
        self.guard = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self.guard:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def down(self) -> None:
        self.open = False
        with self.guard:
            conns, self.conns = self.conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def up(self) -> None:
        self.open = True

    def close(self) -> None:
        self.down()
        self.listener.close()


@pytest.fixture
def pg_through_proxy() -> Iterator[tuple[str, Proxy]]:
    """A fresh PostgreSQL database, reached through a Proxy (skips without a server)."""
    with fresh_pg_database("sw_faults") as real:
        proxy = Proxy(real.host or "127.0.0.1", real.port or 5432)
        try:
            yield url_text(real.set(host="127.0.0.1", port=proxy.port)), proxy
        finally:
            proxy.close()


def test_an_unreachable_server_stops_the_cycle_and_items_wait_out_a_short_outage(
        pg_through_proxy: tuple[str, Proxy], small_corpus: Corpus, rules: RuleSet,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url, proxy = pg_through_proxy
    want = reference(small_corpus, rules, tmp_path)
    alerts = tmp_path / "alerts.jsonl"
    store = Store(url)
    specs = load_feeds(small_corpus.feeds_file)
    # one more feed, over HTTP: the server goes away while it is being fetched (after the claim,
    # before its items are stored) and comes back 1.2 s later
    extra = build_corpus(tmp_path / "extra", feeds=1, items_per_feed=6, on_topic=0,
                         now=datetime.now(UTC), seed=99)
    body = Path(load_feeds(extra.feeds_file)[0].url.removeprefix("file://")).read_bytes()

    def outage() -> None:
        proxy.down()
        threading.Timer(1.2, proxy.up).start()

    server = FeedServer(body, outage)
    (tmp_path / "http.yaml").write_text(f"feeds:\n  - url: {server.url}\n")
    try:
        app = App(Pipeline(rules, store), specs,
                  [ConsoleDestination(alerts, out=io.StringIO())])
        proxy.down()
        with caplog.at_level(logging.WARNING):
            summary = asyncio.run(app.poll_once())
        assert summary.new_items == 0 and "database unavailable" in caplog.text
        proxy.up()
        summary = asyncio.run(app.poll_once())
        assert summary.new_items == small_corpus.items
        got = Outcome.read(url, alerts)
        assert_same_and_once(got, want)

        caplog.clear()
        app.feeds = [*specs, *load_feeds(tmp_path / "http.yaml")]
        app.poller._feeds_known = False
        with caplog.at_level(logging.WARNING):
            summary = asyncio.run(app.poll_once())
        assert "retrying" in caplog.text
        assert summary.new_items == 6
    finally:
        server.close()
        store.close()
    got = Outcome.read(url, alerts)
    assert len(got.items) == small_corpus.items + 6 and max(got.items.values()) == 1
