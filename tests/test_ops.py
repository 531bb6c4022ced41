"""/healthz, /readyz and /metrics: a real server on 127.0.0.1, real stores, a real scheduler."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.chat.console import ConsoleDestination
from bot.errors import BotError
from bot.metrics import Metrics
from bot.models import FeedSpec
from bot.ops import OpsServer
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.settings import Settings
from bot.store import Store
from tests.feedfactory import Entry, rss

OPEN = ("French President Emmanuel Macron said on Monday that sending Western troops to Ukraine "
        "could not be ruled out.")
CONDITIONAL = ("Macron said France would only consider deploying soldiers to Ukraine if Russia broke "
               "through the front line.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    s = AsyncIOScheduler(timezone=UTC)
    s.start()
    yield s
    if s.running:
        s.shutdown(wait=False)


async def serve(store: Store, scheduler: AsyncIOScheduler | None,
                metrics: Metrics | None = None) -> OpsServer:
    server = OpsServer(store, metrics, port=0)
    await server.start(scheduler)
    return server


async def get(server: OpsServer, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        return await client.get(path, headers=headers)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page, keyed by name and sorted labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


# ---------------------------------------------------------------------- health and readiness

async def test_healthz_answers_while_the_process_runs(sqlite_store: Store) -> None:
    server = await serve(sqlite_store, None)
    try:
        reply = await get(server, "/healthz")
    finally:
        await server.stop()
    assert (reply.status_code, reply.text) == (200, "ok\n")


async def test_ready_when_the_database_answers_and_the_scheduler_runs(
        store: Store, scheduler: AsyncIOScheduler) -> None:
    server = await serve(store, scheduler)
    try:
        reply = await get(server, "/readyz")
    finally:
        await server.stop()
    assert (reply.status_code, reply.text) == (200, "ready\n")


async def test_not_ready_before_the_scheduler_starts_or_after_it_stops(
        store: Store, scheduler: AsyncIOScheduler) -> None:
    server = await serve(store, None)
    try:
        before = await get(server, "/readyz")
        server.scheduler = scheduler
        scheduler.shutdown(wait=False)
        after = await get(server, "/readyz")
    finally:
        await server.stop()
    assert (before.status_code, before.text) == (503, "scheduler: not running\n")
    assert (after.status_code, after.text) == (503, "scheduler: not running\n")


async def test_not_ready_when_the_database_is_unreachable(scheduler: AsyncIOScheduler) -> None:
    gone = Store(f"postgresql+psycopg://shiftwatch@127.0.0.1:{free_port()}/nothing", migrate=False)
    server = await serve(gone, scheduler)
    try:
        ready = await get(server, "/readyz")
        health = await get(server, "/healthz")
        scrape = await get(server, "/metrics")
    finally:
        await server.stop()
        gone.close()
    assert ready.status_code == 503
    assert ready.text.startswith("database: OperationalError: ")
    assert "scheduler" not in ready.text
    assert health.status_code == 200  # alive, just not ready
    assert scrape.status_code == 200
    assert samples(scrape.text)[("shiftwatch_store_up", ())] == 0


async def test_a_port_in_use_is_a_clear_error(sqlite_store: Store) -> None:
    first = await serve(sqlite_store, None)
    try:
        with pytest.raises(BotError, match=rf"cannot serve HTTP on 127\.0\.0\.1:{first.port} "):
            await OpsServer(sqlite_store, port=first.port).start(None)
    finally:
        await first.stop()


# ---------------------------------------------------------------------- metrics

async def test_metrics_count_a_cycle_over_a_local_feed(rules: RuleSet, store: Store,
                                                       tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    feed = tmp_path / "feed.xml"
    feed.write_text(rss([Entry("m1", now - timedelta(hours=5), OPEN),
                         Entry("m2", now - timedelta(hours=2), CONDITIONAL),
                         Entry("m3", now - timedelta(hours=1), "Markets were calm on Tuesday.")]))
    broken = tmp_path / "missing.xml"
    specs = [FeedSpec(url=f"file://{feed}", name="Local", interval_seconds=60),
             FeedSpec(url=f"file://{broken}", name="Broken", interval_seconds=60)]
    metrics = Metrics(store)
    server = OpsServer(store, metrics, port=0)
    app = App(Pipeline(rules, store), specs, [ConsoleDestination(tmp_path / "alerts.jsonl")], ops=server)
    await server.start(None)
    try:
        first = await app.poll_once(force=True)
        second = await app.poll_once(force=True)
        reply = await get(server, "/metrics")
        openmetrics = await get(server, "/metrics", Accept="application/openmetrics-text")
    finally:
        await server.stop()

    assert (first.new_items, first.statements, first.shifts, first.delivered) == (3, 2, 1, 1)
    assert second.new_items == 0
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.rstrip().endswith("# EOF")
    got = samples(reply.text)
    assert got[("shiftwatch_cycles_total", ())] == 2
    assert got[("shiftwatch_feed_polls_total", (("result", "fetched"),))] == 2
    assert got[("shiftwatch_feed_polls_total", (("result", "failed"),))] == 2
    assert got[("shiftwatch_feed_polls_total", (("result", "not_modified"),))] == 0
    assert got[("shiftwatch_items_total", (("status", "new"),))] == 3
    assert got[("shiftwatch_items_total", (("status", "seen"),))] == 3
    assert got[("shiftwatch_statements_total", ())] == 2
    assert got[("shiftwatch_shifts_total", ())] == 1
    assert got[("shiftwatch_alerts_delivered_total", (("platform", "console"),))] == 1
    assert got[("shiftwatch_alert_delivery_latency_seconds_count", (("platform", "console"),))] == 1
    assert got[("shiftwatch_alert_delivery_latency_seconds_bucket",
                (("le", "+Inf"), ("platform", "console")))] == 1
    assert got[("shiftwatch_store_up", ())] == 1
    ok, bad = (("feed", specs[0].url),), (("feed", specs[1].url),)
    last_success = got[("shiftwatch_feed_last_success_timestamp_seconds", ok)]
    assert now.timestamp() - 5 <= last_success <= datetime.now(UTC).timestamp() + 5
    assert ("shiftwatch_feed_last_success_timestamp_seconds", bad) not in got  # never succeeded
    assert got[("shiftwatch_feed_consecutive_failures", ok)] == 0
    assert got[("shiftwatch_feed_consecutive_failures", bad)] >= 1
    assert got[("shiftwatch_last_cycle_timestamp_seconds", ())] > 0


def test_each_metrics_object_has_its_own_registry(sqlite_store: Store) -> None:
    a, b = Metrics(sqlite_store), Metrics(sqlite_store)
    a.shifts.inc(3)
    assert a.registry is not b.registry
    assert samples(b.exposition()[0].decode())[("shiftwatch_shifts_total", ())] == 0
    assert samples(a.exposition()[0].decode())[("shiftwatch_shifts_total", ())] == 3


# ---------------------------------------------------------------------- settings

def test_the_http_endpoints_are_off_unless_a_port_is_set() -> None:
    assert Settings.from_env({}).http_port is None
    assert Settings.from_env({"SHIFTWATCH_HTTP_PORT": "off"}).http_port is None
    on = Settings.from_env({"SHIFTWATCH_HTTP_PORT": "9464"})
    assert (on.http_port, on.http_host) == (9464, "127.0.0.1")
    assert Settings.from_env({"SHIFTWATCH_HTTP_PORT": "9464",
                              "SHIFTWATCH_HTTP_HOST": "0.0.0.0"}).http_host == "0.0.0.0"


@pytest.mark.parametrize("raw", ["http", "0", "70000", "-1"])
def test_a_bad_http_port_is_named(raw: str) -> None:
    with pytest.raises(BotError, match=rf"SHIFTWATCH_HTTP_PORT .*not '{raw}'"):
        Settings.from_env({"SHIFTWATCH_HTTP_PORT": raw})


async def test_a_hanging_database_ties_up_one_thread_however_often_readiness_is_asked(
        sqlite_store: Store, scheduler: AsyncIOScheduler, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    connects = []
    real_connect = sqlite_store.engine.connect

    def hanging_connect():  # type: ignore[no-untyped-def]
        connects.append(threading.current_thread().name)
        release.wait(10)
        return real_connect()

    monkeypatch.setattr("bot.ops.DB_CHECK_SECONDS", 0.2)
    server = await serve(sqlite_store, scheduler)
    monkeypatch.setattr(sqlite_store.engine, "connect", hanging_connect)
    try:
        replies = [await get(server, "/readyz") for _ in range(3)]
        health = await get(server, "/healthz")
        release.set()
        await asyncio.sleep(0.1)  # the hung check finishes; the next one starts afresh
        monkeypatch.setattr(sqlite_store.engine, "connect", real_connect)
        after = await get(server, "/readyz")
    finally:
        release.set()
        await server.stop()
    assert [r.status_code for r in replies] == [503, 503, 503]
    assert all(r.text == "database: no answer within 0.2 s\n" for r in replies)
    assert len(connects) == 1 and connects[0].startswith("shiftwatch-ops")
    assert health.status_code == 200
    assert (after.status_code, after.text) == (200, "ready\n")
