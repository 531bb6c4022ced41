"""Several workers on one database: feeds and outbox rows are leased, so each due feed is polled
by one worker and each alert sent once; a dead worker's leases come back."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import App
from bot.chat.console import ConsoleDestination
from bot.feeds import load_feeds
from bot.models import FeedSpec, Item
from bot.pipeline import Pipeline
from bot.poller import dead_here
from bot.rules import RuleSet
from bot.store import Store
from bot.store.schema import feeds, outbox, shifts
from tests.conftest import REPO, fresh_pg_database, url_text
from tests.test_faults import Outcome, build_corpus, cli_env, wait_until

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def add_feeds(store: Store, n: int) -> list[str]:
    urls = [f"https://example.org/feed/{i}.xml" for i in range(n)]
    store.ensure_feeds((u, f"Feed {i}") for i, u in enumerate(urls))
    return urls


# ---------------------------------------------------------------------- the store's leases


def test_a_leased_feed_is_nobody_elses_until_released_or_expired(store: Store) -> None:
    [url] = add_feeds(store, 1)
    [got] = store.claim_due_feeds("a", T0, LEASE)
    assert (got.url, got.lease_owner) == (url, "a")
    assert store.claim_due_feeds("b", T0 + timedelta(minutes=4), LEASE) == []
    store.release_feed(url, "b")  # not b's to give back
    assert store.claim_due_feeds("b", T0 + timedelta(minutes=4), LEASE) == []
    # a dead worker's feed comes back when its lease expires
    [again] = store.claim_due_feeds("b", T0 + LEASE, LEASE)
    assert again.lease_owner == "b"
    store.release_feed(url, "b")
    assert store.claim_due_feeds("c", T0 + LEASE, LEASE)[0].lease_owner == "c"


def test_only_due_enabled_listed_feeds_are_claimed(store: Store) -> None:
    urls = add_feeds(store, 4)
    with store.begin() as conn:
        store.record_fetch(conn, urls[0], next_check_at=T0 + timedelta(hours=1))
        store.record_fetch(conn, urls[1], disabled=True, disabled_at=T0)
    claimed = store.claim_due_feeds("a", T0, LEASE, limit=10, urls=urls[:3])
    assert [r.url for r in claimed] == [urls[2]]
    store.release_feed(urls[2], "a")
    forced = store.claim_due_feeds("a", T0, LEASE, limit=10, urls=urls, force=True)
    assert sorted(r.url for r in forced) == sorted([urls[0], urls[2], urls[3]])
    assert store.claim_due_feeds("a", T0, LEASE, urls=[]) == []


def test_concurrent_claims_never_share_a_feed(store: Store) -> None:
    urls = add_feeds(store, 60)
    got: dict[str, list[str]] = {}

    def worker(name: str) -> None:
        mine = got.setdefault(name, [])
        while rows := store.claim_due_feeds(name, T0, LEASE, limit=2):
            mine.extend(r.url for r in rows)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [u for mine in got.values() for u in mine]
    assert sorted(claimed) == sorted(urls)  # each once
    owners = {r.url: r.lease_owner for r in store.all_feeds()}
    assert all(owners[u] == name for name, mine in got.items() for u in mine)


def queue_alerts(store: Store, destinations: list[str]) -> list[int]:
    """Outbox rows for one stored shift (the row references it)."""
    with store.begin() as conn:
        shift_id = conn.execute(shifts.insert().values(
            key="k", actor_id="a", actor_name="A", country="FR", topic="t", from_stance="open",
            to_stance="supports", magnitude=1, item_guid="g", url="", published=T0,
            evidence="e", confidence=1.0, prev_item_guid="p", prev_url="", prev_published=T0,
            prev_evidence="e", created_at=T0)).inserted_primary_key[0]
        for d in destinations:
            store.enqueue(conn, shift_id, d, T0)
        return [r.id for r in conn.execute(sa.select(outbox.c.id).order_by(outbox.c.id))]


def test_an_outbox_row_is_claimed_by_one_worker_and_sent_once(store: Store) -> None:
    [console, tg, slack] = queue_alerts(store, ["console", "telegram:42", "slack:C1"])
    [row] = store.claim_due_outbox("a", T0, LEASE, prefixes=["console"])
    assert row.id == console
    assert store.claim_due_outbox("b", T0, LEASE, prefixes=["console"]) == []
    store.mark_sent(row.id, T0)
    assert store.claim_due_outbox("b", T0 + LEASE, LEASE, prefixes=["console"]) == []
    # a destination this process lacks stays queued for one that has it
    assert [r.id for r in store.claim_due_outbox("a", T0, LEASE, limit=5,
                                                 prefixes=["telegram"])] == [tg]
    # a failed send ends the claim: retried when due, by anyone
    store.mark_failed(tg, "timeout", retry_at=T0 + timedelta(seconds=30))
    assert store.claim_due_outbox("b", T0 + timedelta(seconds=29), LEASE, prefixes=["telegram"]) == []
    assert [r.id for r in store.claim_due_outbox("b", T0 + timedelta(seconds=30), LEASE,
                                                 prefixes=["telegram"])] == [tg]
    # a worker that died holding a row: the row comes back at expiry, or when released
    [held] = store.claim_due_outbox("dead", T0, LEASE, prefixes=["slack"])
    assert held.id == slack
    assert "dead" in store.lease_owners()
    store.release_leases("dead")
    assert [r.id for r in store.claim_due_outbox("b", T0, LEASE, prefixes=["slack"])] == [slack]
    assert "dead" not in store.lease_owners()


# ---------------------------------------------------------------------- the app


def finished_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_restart_takes_back_the_feeds_of_a_dead_worker_on_this_host_at_once(
        tmp_path: Path, rules: RuleSet) -> None:
    import socket

    corpus = build_corpus(tmp_path / "feeds", feeds=3, items_per_feed=2, on_topic=0,
                          now=datetime.now(UTC))
    specs = load_feeds(corpus.feeds_file)
    store = Store(str(tmp_path / "sw.db"))
    try:
        store.ensure_feeds((s.url, s.name) for s in specs)
        now = datetime.now(UTC)
        dead = f"{socket.gethostname()}:{finished_pid()}"
        elsewhere = "another-host:1"
        assert dead_here(dead) and not dead_here(elsewhere)
        assert not dead_here(f"{socket.gethostname()}:{os.getpid()}")
        assert len(store.claim_due_feeds(dead, now, LEASE, limit=2)) == 2
        assert len(store.claim_due_feeds(elsewhere, now, LEASE, limit=1)) == 1
        app = App(Pipeline(rules, store), specs,
                  [ConsoleDestination(tmp_path / "alerts.jsonl", out=io.StringIO())])
        summary = asyncio.run(app.poll_once())
        # the dead worker's two feeds now; the live (other host's) one waits for its lease
        assert (summary.feeds, summary.new_items) == (2, 4)
        assert store.lease_owners() == {elsewhere}
    finally:
        store.close()


def test_feeds_are_given_back_after_each_poll_even_a_failed_one(
        tmp_path: Path, rules: RuleSet) -> None:
    store = Store(str(tmp_path / "sw.db"))
    try:
        specs = [FeedSpec(url=(tmp_path / "missing.xml").as_uri(), name="gone",
                          interval_seconds=600)]
        app = App(Pipeline(rules, store), specs,
                  [ConsoleDestination(tmp_path / "alerts.jsonl", out=io.StringIO())])
        summary = asyncio.run(app.poll_once())
        assert summary.failed == 1
        [state] = store.all_feeds()
        assert state.lease_owner is None and state.last_error
    finally:
        store.close()


class RacedStore(Store):
    """Another worker stores the item between this worker's "seen?" check and its insert: the
    race two workers meet when two feeds carry the same story."""

    def __init__(self, url: str, other: Pipeline):
        super().__init__(url, migrate=False)
        self.other = other
        self.raced = 0

    def item_seen(self, conn: sa.Connection, feed_url: str, guid: str, url: str) -> bool:
        seen = super().item_seen(conn, feed_url, guid, url)
        if not seen and not self.raced:
            self.raced += 1
            self.other.process(Item(feed_url, guid, url, "", self.other_text, T0))
        return seen

    other_text = '"We cannot exclude sending Western troops to Ukraine," Mark Rutte said.'


def test_an_item_raced_by_another_worker_is_done_not_a_crash(store: Store, rules: RuleSet,
                                                             tmp_path: Path) -> None:
    other = Pipeline(rules, store, clock=lambda: T0)
    raced = RacedStore(store.url, other)
    try:
        item = Item("https://example.org/a.xml", "story-1", "https://example.org/story-1", "",
                    RacedStore.other_text, T0)
        [outcome] = Pipeline(rules, raced, clock=lambda: T0).process_many([item])
    finally:
        raced.close()
    assert raced.raced == 1 and outcome.duplicate  # the retry found it done
    assert len(store.history("mark-rutte")) == 1


# ---------------------------------------------------------------------- three processes


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the test (skips without a server)."""
    with fresh_pg_database("sw_workers") as url:
        yield url_text(url)


CYCLE = re.compile(r"cycle: (\d+) feeds? .*?, (\d+) new of (\d+) items?")


def test_three_workers_share_200_feeds_and_deliver_each_alert_once(
        pg_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    corpus = build_corpus(tmp_path / "feeds", feeds=200, items_per_feed=1, on_topic=10, now=now)
    alerts = tmp_path / "alerts.jsonl"
    Store(pg_url).close()  # the schema, once, before the workers race to create it
    # the workers start on an empty list and pick up the real one together (feeds.yaml is
    # re-read at each tick), so none of them is done before the others have started
    listed = tmp_path / "feeds.yaml"
    listed.write_text("feeds: []\n")
    env = cli_env(pg_url, corpus, alerts, SHIFTWATCH_FEEDS=str(listed),
                  SHIFTWATCH_TICK_SECONDS="0.5")
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    sinks = [log.open("w") for log in logs]
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--worker"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=sink) for sink in sinks]
    engine = sa.create_engine(pg_url)
    try:
        assert wait_until(lambda: all("running:" in log.read_text() for log in logs), 60, 0.2), \
            [log.read_text()[-2000:] for log in logs]
        tmp = tmp_path / "feeds.tmp"
        tmp.write_text(corpus.feeds_file.read_text())
        tmp.replace(listed)

        def done() -> bool:
            with engine.connect() as conn:
                stored = conn.execute(sa.select(sa.func.count()).select_from(feeds).where(
                    feeds.c.last_success_at.is_not(None))).scalar_one()
                pending = conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
                    outbox.c.status != "sent")).scalar_one()
            return stored == 200 and pending == 0
        assert wait_until(done, 90, 0.3), "the workers did not finish"
    finally:
        engine.dispose()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
        for sink in sinks:
            sink.close()
    assert codes == [0, 0, 0], [log.read_text()[-2000:] for log in logs]

    got = Outcome.read(pg_url, alerts)
    assert len(got.items) == corpus.items and max(got.items.values()) == 1
    assert len(got.shifts) >= corpus.on_topic_feeds and max(got.shifts.values()) == 1
    assert len(got.alert_keys) == len(got.shifts) and max(got.alert_keys.values()) == 1
    assert got.outbox and set(got.outbox) == {("sent", 1)}  # one attempt each: sent once
    # each feed was polled by one worker, once; each item processed once
    per_worker = []
    for log in logs:
        cycles = [tuple(map(int, m.groups())) for m in CYCLE.finditer(log.read_text())]
        per_worker.append(tuple(sum(c[i] for c in cycles) for i in range(3)))
    assert sum(w[0] for w in per_worker) == 200, per_worker
    assert sum(w[1] for w in per_worker) == sum(w[2] for w in per_worker) == corpus.items
    assert sum(1 for w in per_worker if w[0]) >= 2, per_worker  # the work was shared
    lines = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert len(lines) == len(got.shifts)
    assert {(a["actor_id"], a["from"], a["to"]) for a in lines} == {
        (k.split("|")[0], *k.split("|")[2].split(">")) for k in got.shifts}
