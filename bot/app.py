"""The running bot: the parts built from `Settings`, and the schedule that runs them.

feeds -> `Poller` (claim, fetch, parse) -> `Pipeline` (items -> statements -> positions ->
shifts -> outbox rows) -> `Outbox` (destinations). `run` gives polling and delivery a
scheduler job each, so an alert goes out within one tick of its shift whatever the feeds do;
`poll --once` runs one cycle of both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from bot.chat import Deferred, Destination, Service
from bot.chat.console import ConsoleDestination
from bot.feeds import load_feeds
from bot.fetch import ClientFactory, SharedClient, make_client
from bot.models import CycleSummary, FeedSpec
from bot.outbox import OUTBOX_LEASE, Outbox
from bot.pipeline import DB_UNAVAILABLE, Pipeline
from bot.poller import FEED_LEASE, Poller, default_worker_id
from bot.render import duration_text, plural
from bot.rules import load_rules
from bot.schedule import PollPolicy
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:  # aiohttp and the scheduler load only when `run` serves
    from bot.ops import OpsServer

log = logging.getLogger(__name__)
STOP_GRACE = 10.0  # seconds a stopped cycle gets to wind down before it is cut off


class App:
    def __init__(self, pipeline: Pipeline, feeds: list[FeedSpec], destinations: list[Destination],
                 *, concurrency: int = 10, tick_seconds: float = 30.0,
                 client_factory: ClientFactory = make_client,
                 policy: PollPolicy | None = None, feeds_file: str | Path | None = None,
                 rng: random.Random | None = None, worker_id: str | None = None,
                 serve_commands: bool = True, feed_lease: timedelta = FEED_LEASE,
                 outbox_lease: timedelta = OUTBOX_LEASE, ops: OpsServer | None = None,
                 allow_private_links: bool = False):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.clock = pipeline.clock
        self.destinations = {d.prefix: d for d in destinations}
        self.tick_seconds = tick_seconds
        self.ops = ops  # /healthz, /readyz, /metrics while running (bot/ops.py)
        self.metrics = ops.metrics if ops is not None else None
        # every process leases the feeds and outbox rows it works on, alone or one of many
        self.worker_id = worker_id or default_worker_id()
        # chat services answer commands in one process only (Telegram allows one getUpdates
        # consumer; Slack's HTTP mode one listener per port); `run --worker` only delivers
        self.serve_commands = serve_commands
        self._stop = asyncio.Event()
        self.poller = Poller(pipeline, feeds, worker_id=self.worker_id, concurrency=concurrency,
                             client_factory=client_factory, policy=policy, feeds_file=feeds_file,
                             rng=rng, feed_lease=feed_lease,
                             allow_private_links=allow_private_links, stopping=self._stop.is_set)
        self.outbox = Outbox(self.store, self.destinations, worker_id=self.worker_id,
                             clock=self.clock, lease=outbox_lease, stopping=self._stop.is_set,
                             metrics=self.metrics)
        self._cycle: asyncio.Task[CycleSummary] | None = None  # for `run` to let it end

    @property
    def feeds(self) -> list[FeedSpec]:
        return self.poller.feeds

    @feeds.setter
    def feeds(self, feeds: list[FeedSpec]) -> None:
        self.poller.feeds = feeds

    @property
    def policy(self) -> PollPolicy:
        return self.poller.policy

    @property
    def feeds_file(self) -> Path | None:
        return self.poller.feeds_file

    @property
    def allow_private_links(self) -> bool:
        return self.poller.allow_private_links

    def reload_feeds(self) -> bool:
        return self.poller.reload_feeds()

    async def deliver_once(self) -> int:
        return await self.outbox.deliver_once()

    async def poll_once(self, *, force: bool = False) -> CycleSummary:
        """One cycle: poll the due feeds (`force`: every feed), then deliver the outbox.

        A database that is locked or unreachable ends the cycle early; the next tick resumes
        where it stopped."""
        summary = CycleSummary()
        self._cycle = asyncio.current_task()
        try:
            await self.poller.poll(force, summary)
            summary.delivered = await self.outbox.deliver_once()
        except DB_UNAVAILABLE as exc:
            log.warning("database unavailable, the cycle resumes at the next tick: error=%s",
                        getattr(exc, "orig", exc))
        # from the main loop, whose chat clients they go through
        await self.outbox.notify(self.poller.take_notices())
        if summary.feeds and summary.unreachable == summary.feeds:
            log.warning("no feed could be reached: check the network (%s failed without an "
                        "answer)", plural(summary.feeds, "feed"))
        # an idle tick every 30 s would bury the cycles that did something; a cycle someone
        # asked for (`poll --once`) always reports
        log.log(logging.DEBUG if summary.idle and not force else logging.INFO, summary.line())
        if self.metrics is not None:
            self.metrics.observe_cycle(summary)
        return summary

    async def deliver_tick(self) -> None:
        """The delivery job: what the polling thread queued since the last pass, sent while
        the cycle that found it may still be waiting on a slow feed."""
        try:
            delivered = await self.outbox.deliver_once()
        except DB_UNAVAILABLE as exc:
            log.warning("database unavailable, delivery resumes at the next tick: error=%s",
                        getattr(exc, "orig", exc))
            return
        if delivered:
            log.info("delivered %s", plural(delivered, "alert"))

    async def digest_tick(self) -> None:
        """The digest job (the one process that answers commands runs it): daily and weekly
        digests that chats asked for with /digest, sent when due."""
        from bot.chat.views import send_due_digests

        try:
            sent = await send_due_digests(self.store, self.destinations.values(), self.clock())
        except DB_UNAVAILABLE as exc:
            log.warning("database unavailable, digests resume at the next tick: error=%s",
                        getattr(exc, "orig", exc))
            return
        if sent:
            log.info("sent %s", plural(sent, "digest"))

    def stop(self) -> None:
        self._stop.set()
        self.poller.stop()

    def describe(self) -> str:
        """What `run` works with, said first: the database (password masked), the alerts file
        and where alerts go."""
        database = make_url(self.store.url).render_as_string(hide_password=True)
        alerts_file = getattr(self.destinations.get("console"), "alerts_file", None)
        return (f"database {database}, alerts file {alerts_file or '(none)'}, destinations "
                f"{', '.join(self.destinations) or '(none)'}")

    async def run(self) -> None:
        """Poll and deliver on a schedule until stopped (Ctrl-C / SIGTERM)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix
                loop.add_signal_handler(sig, self.stop)
        services = [d for d in self.destinations.values() if hasattr(d, "start")]
        log.info("starting: %s", self.describe())
        for service in services if self.serve_commands else []:
            await service.start()
        scheduler = AsyncIOScheduler(timezone=UTC)
        jobs: list[tuple[Callable[[], Awaitable[Any]], str]] = [
            (self.poll_once, "poll"), (self.deliver_tick, "deliver")]
        if self.serve_commands:  # one process sends digests, so none goes out twice
            jobs.append((self.digest_tick, "digest"))
        for job, name in jobs:
            scheduler.add_job(job, "interval", seconds=self.tick_seconds,
                              next_run_time=self.clock(), max_instances=1, coalesce=True,
                              id=name, misfire_grace_time=None)
        scheduler.start()
        log.info("running: %s, tick %s, worker %s%s; Ctrl-C to stop", plural(len(self.feeds), "feed"),
                 duration_text(self.tick_seconds), self.worker_id,
                 "" if self.serve_commands else " (delivers, answers no commands)")
        try:
            if self.ops is not None:
                await self.ops.start(scheduler)
            await self._stop.wait()
        finally:
            if self.ops is not None:
                await self.ops.stop()
            cycle = self._cycle
            if cycle is not None and not cycle.done():
                # stopped mid-cycle: let it wind down (it stops at its next step) rather than
                # have the scheduler cancel it and log a traceback for a Ctrl-C
                await asyncio.wait({cycle}, timeout=STOP_GRACE)
            scheduler.shutdown(wait=False)
            with contextlib.suppress(*DB_UNAVAILABLE):  # else they expire
                self.store.release_leases(self.worker_id)
            for service in reversed(services):
                try:
                    await service.stop()  # type: ignore[attr-defined]
                except Exception:
                    log.exception("stopping a chat service failed")
            await self.close()
            log.info("stopped")

    async def close(self) -> None:
        """Close the shared HTTP client and the polling thread."""
        await self.poller.close()


def build_app(settings: Settings, *, worker: bool = False, serve_http: bool = False) -> App:
    """The bot as `run` and `poll --once` use it, from the settings alone."""
    rules = load_rules(settings.rules_dir)
    feeds = load_feeds(settings.feeds_file)
    store = Store(settings.db_url)
    destinations: list[Destination] = [ConsoleDestination(settings.alerts_file)]
    if settings.telegram_token:
        def telegram() -> Service:
            from bot.chat.telegram import TelegramService
            return TelegramService(settings, store, rules)
        destinations.append(Deferred("telegram", telegram))
    if settings.slack_token:
        def slack() -> Service:
            from bot.chat.slack import SlackService
            return SlackService(settings, store, rules)
        destinations.append(Deferred("slack", slack))
    # a new feed's backlog updates positions but raises no alert (replay is exempt)
    pipeline = Pipeline(rules, store, platforms=[d.prefix for d in destinations],
                        alert_max_age=settings.alert_max_age)
    policy = PollPolicy(max_bytes=settings.fetch_max_bytes, deadline=settings.fetch_deadline,
                        per_host=settings.fetch_per_host, max_failures=settings.feed_max_failures)
    return App(pipeline, feeds, destinations,
               concurrency=settings.fetch_concurrency, tick_seconds=settings.tick_seconds,
               client_factory=SharedClient(lambda: make_client(concurrency=settings.fetch_concurrency)),
               policy=policy, feeds_file=settings.feeds_file, serve_commands=not worker,
               ops=_ops_server(settings, store) if serve_http else None,
               allow_private_links=settings.allow_private_links)


def _ops_server(settings: Settings, store: Store) -> OpsServer | None:
    """/healthz, /readyz and /metrics when SHIFTWATCH_HTTP_PORT is set."""
    if settings.http_port is None:
        return None
    from bot.metrics import Metrics  # aiohttp and prometheus_client: only when serving
    from bot.ops import OpsServer

    return OpsServer(store, Metrics(store), host=settings.http_host, port=settings.http_port)
