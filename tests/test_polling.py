"""App polling against a real HTTP server: conditional GET, schedule, backoff, disabling and
notices, per-host limits, feeds.yaml reloads, the cycle summary."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import App
from bot.chat.console import ConsoleDestination
from bot.fetch import SharedClient, host_of
from bot.models import CycleSummary, FeedSpec
from bot.parse import ParsedFeed, parse_feed
from bot.pipeline import Pipeline
from bot.render import AlertView
from bot.rules import RuleSet
from bot.schedule import PollPolicy
from bot.store import FeedRow, Store
from tests.feedserver import FeedServer, Overlap, good_feed


class Recorder:
    """A destination that keeps the notices it is given."""

    prefix = "console"

    def __init__(self) -> None:
        self.notices: list[str] = []

    async def send(self, target: str, alert: AlertView) -> None:
        pass

    async def notice(self, text: str) -> None:
        self.notices.append(text)


def spec(url: str, name: str = "Example", interval: int = 600) -> FeedSpec:
    return FeedSpec(url=url, name=name, interval_seconds=interval)


def feed_row(store: Store, url: str) -> FeedRow:
    return next(r for r in store.all_feeds() if r.url == url)


async def test_a_304_costs_no_parsing_and_the_servers_max_age_sets_the_next_check(
        rules: RuleSet, store: Store) -> None:
    now = datetime.now(UTC)
    body = good_feed(now)

    async def conditional(request: web.Request) -> web.Response:
        headers = {"ETag": '"e1"', "Cache-Control": "max-age=7200"}
        if request.headers.get("If-None-Match") == '"e1"':
            return web.Response(status=304, headers=headers)
        return web.Response(text=body, headers=headers, content_type="application/rss+xml")

    async with FeedServer() as server:
        url = server.route("/feed", conditional)
        app = App(Pipeline(rules, store), [spec(url)], [])
        first = await app.poll_once(force=True)
        second = await app.poll_once(force=True)
    assert (first.new_items, first.not_modified) == (3, 0)
    assert (second.items, second.not_modified) == (0, 1)
    row = feed_row(store, url)
    assert row.etag == '"e1"' and row.items_seen == 3 and row.last_error is None
    assert row.next_check_at >= now + timedelta(seconds=7200)


async def test_retry_after_holds_the_feed_back(rules: RuleSet, sqlite_store: Store) -> None:
    now = datetime.now(UTC)
    async with FeedServer() as server:
        url = server.static("/busy", "later", status=503, headers={"Retry-After": "5000"})
        app = App(Pipeline(rules, sqlite_store), [spec(url, interval=60)], [])
        await app.poll_once(force=True)
        assert (await app.poll_once()).feeds == 0  # not due yet
    row = feed_row(sqlite_store, url)
    assert row.failures == 1 and "HTTP 503" in row.last_error
    assert row.next_check_at >= now + timedelta(seconds=5000)


async def test_a_failing_feed_is_announced_disabled_after_the_streak_and_reenabled(
        rules: RuleSet, store: Store) -> None:
    recorder = Recorder()
    healthy = {"ok": False}
    now = datetime.now(UTC)

    async def flaky(request: web.Request) -> web.Response:
        if healthy["ok"]:
            return web.Response(text=good_feed(now), content_type="application/rss+xml")
        return web.Response(status=500, text="down")

    async with FeedServer() as server:
        url = server.route("/flaky", flaky)
        app = App(Pipeline(rules, store), [spec(url, "Flaky news")], [recorder],
                  policy=PollPolicy(max_failures=4))
        for _ in range(3):
            await app.poll_once(force=True)
        assert len(recorder.notices) == 1
        assert recorder.notices[0].startswith("Feed failing: Flaky news")
        row = feed_row(store, url)
        assert row.failures == 3 and not row.disabled
        # backoff grows with the streak
        assert row.next_check_at - row.last_checked_at >= timedelta(seconds=2400)

        await app.poll_once(force=True)
        row = feed_row(store, url)
        assert row.disabled and row.disabled_at is not None
        assert row.disabled_reason == "4 consecutive failures; last: HTTP 500 Internal Server Error"
        assert "Feed disabled: Flaky news" in recorder.notices[-1]
        assert f"shiftwatch feeds enable {url}" in recorder.notices[-1]
        assert (await app.poll_once(force=True)).feeds == 0  # disabled feeds are not polled

        assert store.enable_feed(url)
        healthy["ok"] = True
        summary = await app.poll_once()
    assert summary.new_items == 3
    row = feed_row(store, url)
    assert not row.disabled and row.failures == 0 and row.last_error is None
    # recovering after an enable is quiet: the streak was reset by the operator
    assert len(recorder.notices) == 2


async def test_recovery_after_a_reported_streak_is_announced(rules: RuleSet,
                                                             sqlite_store: Store) -> None:
    recorder = Recorder()
    now = datetime.now(UTC)
    answers = iter([500, 500, 500, 200])

    async def handler(request: web.Request) -> web.Response:
        status = next(answers)
        return web.Response(status=status, text=good_feed(now) if status == 200 else "down",
                            content_type="application/rss+xml")

    async with FeedServer() as server:
        url = server.route("/feed", handler)
        app = App(Pipeline(rules, sqlite_store), [spec(url, "Wobbly")], [recorder])
        for _ in range(4):
            await app.poll_once(force=True)
    assert [n.split(":")[0] for n in recorder.notices] == ["Feed failing", "Feed recovered"]
    assert "after 3 failed checks" in recorder.notices[1]


async def test_410_gone_disables_at_once(rules: RuleSet, sqlite_store: Store) -> None:
    async with FeedServer() as server:
        url = server.static("/gone", "gone", status=410)
        app = App(Pipeline(rules, sqlite_store), [spec(url)], [Recorder()])
        await app.poll_once(force=True)
    row = feed_row(sqlite_store, url)
    assert row.disabled and "410 Gone" in row.disabled_reason


async def test_a_notice_that_fails_does_not_stop_polling(rules: RuleSet, sqlite_store: Store) -> None:
    class Broken(Recorder):
        async def notice(self, text: str) -> None:
            raise RuntimeError("chat is down")

    async with FeedServer() as server:
        url = server.static("/gone", "gone", status=410)
        app = App(Pipeline(rules, sqlite_store), [spec(url)], [Broken()])
        summary = await app.poll_once(force=True)
    assert summary.failed == 1 and feed_row(sqlite_store, url).disabled


async def test_one_host_gets_at_most_per_host_fetches_at_once(rules: RuleSet,
                                                              sqlite_store: Store) -> None:
    now = datetime.now(UTC)
    slow = Overlap(lambda request: web.Response(text=good_feed(now, 1, request.path.strip("/")),
                                                content_type="application/rss+xml"), delay=0.1)
    async with FeedServer() as server:
        specs = [spec(server.route(f"/f{n}", slow), f"f{n}") for n in range(6)]
        app = App(Pipeline(rules, sqlite_store), specs, [], concurrency=10,
                  policy=PollPolicy(per_host=2))
        summary = await app.poll_once(force=True)
    assert summary.new_items == 6
    assert slow.most == 2


async def test_hosts_of_earlier_cycles_leave_no_politeness_slots_behind(
        rules: RuleSet, sqlite_store: Store) -> None:
    now = datetime.now(UTC)
    async with FeedServer() as server:
        url = server.static("/feed", good_feed(now))
        other_host = url.replace("127.0.0.1", "localhost")
        app = App(Pipeline(rules, sqlite_store), [spec(url), spec(other_host, "other")], [])
        await app.poll_once(force=True)
        assert set(app.poller._host_limits) == {host_of(url), host_of(other_host)}
        app.feeds = [spec(other_host, "other")]  # the first feed's host is gone from feeds.yaml
        await app.poll_once(force=True)
    assert set(app.poller._host_limits) == {host_of(other_host)}


async def test_an_item_that_breaks_the_pipeline_is_reported_and_the_rest_processed(
        rules: RuleSet, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = Pipeline(rules, sqlite_store)
    real = pipeline.extractor.extract

    def extract(item):  # type: ignore[no-untyped-def]
        if item.guid == "good-1":
            raise ValueError("extractor bug")
        return real(item)

    monkeypatch.setattr(pipeline.extractor, "extract", extract)
    async with FeedServer() as server:
        url = server.static("/feed", good_feed(datetime.now(UTC)))
        app = App(pipeline, [spec(url)], [])
        summary = await app.poll_once(force=True)
        row = feed_row(sqlite_store, url)
        monkeypatch.setattr(pipeline.extractor, "extract", real)  # the bug fixed
        again = await app.poll_once(force=True)
    assert summary.new_items == 2
    assert row.failures == 0
    assert row.last_error == ("1 of 3 items could not be processed; first: good-1: "
                                 "ValueError: extractor bug")
    assert again.new_items == 1  # the broken item was left unrecorded, so it is tried again
    assert feed_row(sqlite_store, url).last_error is None


def _touch(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))


async def test_feeds_file_changes_are_picked_up_at_the_next_tick(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = tmp_path / "one.xml", tmp_path / "two.xml"
    now = datetime.now(UTC)
    one.write_text(good_feed(now, 1, "one"))
    two.write_text(good_feed(now, 1, "two"))
    feeds_file = tmp_path / "feeds.yaml"
    _touch(feeds_file, f"feeds:\n  - url: {one}\n", 0)
    from bot.feeds import load_feeds

    app = App(Pipeline(rules, sqlite_store), load_feeds(feeds_file), [], feeds_file=feeds_file)
    assert not app.reload_feeds()  # unchanged since loaded

    _touch(feeds_file, f"feeds:\n  - url: {one}\n  - url: {two}\n    name: Second\n", 1)
    summary = await app.poll_once(force=True)
    assert summary.feeds == 2 and summary.new_items == 2

    caplog.set_level(logging.ERROR, logger="bot")
    _touch(feeds_file, f"feeds:\n  - url: {one}\n    interval: often\n", 2)
    assert not app.reload_feeds()
    assert [f.name for f in app.feeds] == [str(one), "Second"]
    assert f"{feeds_file}:3: feeds[0].interval" in caplog.text

    _touch(feeds_file, "feeds: [unclosed\n", 3)
    assert not app.reload_feeds() and len(app.feeds) == 2

    _touch(feeds_file, f"feeds:\n  - url: {two}\n", 4)
    assert app.reload_feeds() and [f.url for f in app.feeds] == [str(two)]


async def test_each_cycle_logs_one_summary_line_at_info(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(good_feed(datetime.now(UTC), 2))
    caplog.set_level(logging.INFO, logger="bot")
    await App(Pipeline(rules, sqlite_store), [spec(str(feed))], []).poll_once(force=True)
    lines = [r for r in caplog.records if r.getMessage().startswith("cycle: ")]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert "2 new of 2 items" in lines[0].getMessage()


def cycle_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("cycle: ")]


def test_the_summary_counts_one_thing_in_the_singular_and_says_why_alerts_are_missing() -> None:
    assert CycleSummary(feeds=1, items=1, new_items=1, statements=1, shifts=1, too_old=1).line() \
        == ("cycle: 1 feed (0 not modified, 0 failed), 1 new of 1 item, 1 statement, 1 shift "
            "(1 too old to alert: SHIFTWATCH_ALERT_MAX_AGE), 0 alerts delivered")
    assert CycleSummary(feeds=2, items=3, statements=2, shifts=2, delivered=1).line() == (
        "cycle: 2 feeds (0 not modified, 0 failed), 0 new of 3 items, 2 statements, 2 shifts, "
        "1 alert delivered")


async def test_a_tick_with_no_feed_due_and_nothing_delivered_logs_at_debug_only(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(good_feed(datetime.now(UTC), 1))
    caplog.set_level(logging.DEBUG, logger="bot")
    app = App(Pipeline(rules, sqlite_store), [spec(str(feed))], [])
    await app.poll_once()
    idle = await app.poll_once()  # polled a moment ago: not due
    assert idle.idle
    first, second = cycle_lines(caplog)
    assert first.levelno == logging.INFO and "1 new of 1 item," in first.getMessage()
    assert second.levelno == logging.DEBUG and second.getMessage().startswith("cycle: 0 feeds")
    caplog.clear()
    await app.poll_once(force=True)  # asked for (`poll --once`): reported even with nothing new
    [forced] = cycle_lines(caplog)
    assert forced.levelno == logging.INFO


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def network_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("no feed could be reached")]


async def test_when_no_feed_answers_one_warning_points_at_the_network(
        rules: RuleSet, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    feeds = [spec(f"http://127.0.0.1:{port}/{n}.xml", name=f"Feed {n}") for n in range(3)]
    caplog.set_level(logging.INFO, logger="bot")
    summary = await App(Pipeline(rules, sqlite_store), feeds, []).poll_once(force=True)
    assert (summary.feeds, summary.failed, summary.unreachable) == (3, 3, 3)
    [warning] = network_warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == ("no feed could be reached: check the network "
                                    "(3 feeds failed without an answer)")


async def test_no_network_warning_when_a_server_answers_or_nothing_was_polled(
        rules: RuleSet, sqlite_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    port = closed_port()
    async with FeedServer() as server:
        broken = server.static("/broken", "oops", status=500)
        down = f"http://127.0.0.1:{port}/feed.xml"
        app = App(Pipeline(rules, sqlite_store), [spec(broken), spec(down, name="Down")], [])
        summary = await app.poll_once(force=True)
        assert (summary.failed, summary.unreachable) == (2, 1)  # the 500 came from a server
        assert (await app.poll_once()).feeds == 0  # nothing due: nothing to judge by
    assert network_warnings(caplog) == []


async def test_run_names_its_database_alerts_file_destinations_feeds_tick_and_how_to_stop(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = tmp_path / "alerts.jsonl"
    feeds = [spec(str(tmp_path / "a.xml"), name="A"), spec(str(tmp_path / "b.xml"), name="B")]
    app = App(Pipeline(rules, sqlite_store), feeds, [ConsoleDestination(alerts)],
              tick_seconds=30, worker_id="host:1")
    caplog.set_level(logging.INFO, logger="bot")
    running = asyncio.create_task(app.run())
    for _ in range(100):
        if any(r.getMessage().startswith("running:") for r in caplog.records):
            break
        await asyncio.sleep(0.05)
    app.stop()
    await asyncio.wait_for(running, 10)
    said = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert said[0] == (f"starting: database {sqlite_store.url}, alerts file {alerts}, "
                       "destinations console")
    assert said[1] == "running: 2 feeds, tick 30s, worker host:1; Ctrl-C to stop"


def test_the_database_password_is_masked_where_run_names_the_database(rules: RuleSet) -> None:
    store = Store("postgresql://shiftwatch:hunter2@127.0.0.1:1/shiftwatch", migrate=False)
    try:
        described = App(Pipeline(rules, store), [], []).describe()
    finally:
        store.close()
    assert "hunter2" not in described
    assert "shiftwatch:***@127.0.0.1:1/shiftwatch" in described
    assert described.endswith("alerts file (none), destinations (none)")


async def test_feeds_claimed_together_are_given_back_once_half_their_lease_is_gone(
        rules: RuleSet, sqlite_store: Store) -> None:
    start = datetime.now(UTC)
    ticks = {"n": 0}

    def clock() -> datetime:  # every look at the clock is a minute later: slow feeds
        ticks["n"] += 1
        return start + timedelta(minutes=ticks["n"])

    claims: list[int] = []
    claim = sqlite_store.claim_due_feeds

    def counting_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = claim(*args, **kwargs)
        claims.append(len(got))
        return got

    sqlite_store.claim_due_feeds = counting_claim  # type: ignore[method-assign]
    async def serve(request: web.Request) -> web.Response:
        name = request.path.strip("/")
        return web.Response(text=good_feed(start, 1, name), content_type="application/rss+xml")

    async with FeedServer() as server:
        specs = [spec(server.route(f"/g{n}", serve), f"g{n}") for n in range(6)]
        app = App(Pipeline(rules, sqlite_store, clock=clock), specs, [], concurrency=1,
                  feed_lease=timedelta(minutes=4))
        summary = await app.poll_once(force=True)
    assert (summary.feeds, summary.new_items) == (6, 6)  # each feed polled once, none lost
    assert max(claims) == 4 and len([c for c in claims if c]) > 2  # the rest went back, reclaimed
    assert all(r.lease_owner is None for r in sqlite_store.all_feeds())


async def test_the_event_loop_stays_free_while_a_cycle_works_through_a_slow_feed(
        rules: RuleSet, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chat commands and /healthz share the caller's event loop: a feed that takes long to
    parse must not hold it."""
    def slow_parse(*args: Any, **kwargs: Any) -> ParsedFeed:  # a huge feed, to the loop
        time.sleep(0.6)
        return parse_feed(*args, **kwargs)

    monkeypatch.setattr("bot.poller.parse_feed", slow_parse)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(time.monotonic() - last)
            last = time.monotonic()

    async with FeedServer() as server:
        url = server.static("/feed", good_feed(datetime.now(UTC)))
        app = App(Pipeline(rules, sqlite_store), [spec(url)], [])
        ticker = asyncio.create_task(tick())
        summary = await app.poll_once(force=True)
        ticker.cancel()
        await app.close()
    assert summary.new_items == 3
    assert len(gaps) > 20 and max(gaps) < 0.3


async def test_a_shared_client_keeps_its_connection_from_one_cycle_to_the_next(
        rules: RuleSet, sqlite_store: Store) -> None:
    peers: list[object] = []
    body = good_feed(datetime.now(UTC))

    async def feed(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.Response(text=body, content_type="application/rss+xml")

    async with FeedServer() as server:
        url = server.route("/feed", feed)
        app = App(Pipeline(rules, sqlite_store), [spec(url)], [], client_factory=SharedClient())
        for _ in range(3):
            await app.poll_once(force=True)
        await app.close()
    assert len(peers) == 3 and len(set(peers)) == 1  # one TCP connection, kept alive


async def test_stopping_ends_a_cycle_at_once_even_while_a_fetch_waits_on_a_slow_server(
        rules: RuleSet, sqlite_store: Store) -> None:
    """`stop` (SIGTERM) does not wait for a slow fetch's deadline; the feed it cut short keeps
    its old state, so the next poll takes it up again."""
    started = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(20)
        return web.Response(text=good_feed(datetime.now(UTC)), content_type="application/rss+xml")

    async with FeedServer() as server:
        url = server.route("/slow", slow)
        app = App(Pipeline(rules, sqlite_store), [spec(url)], [])
        cycle = asyncio.create_task(app.poll_once(force=True))
        await asyncio.wait_for(started.wait(), 5)
        began = time.monotonic()
        app.stop()
        summary = await asyncio.wait_for(cycle, 5)
        took = time.monotonic() - began
        await app.close()
    assert took < 2
    assert summary.new_items == 0 and summary.failed == 0
    row = feed_row(sqlite_store, url)
    assert row.failures == 0 and row.last_error is None and row.last_checked_at is None
    assert row.lease_owner is None  # given back
