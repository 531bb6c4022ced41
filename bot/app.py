"""Wiring: feeds -> items -> statements -> positions -> shifts -> outbox -> destinations.

`Pipeline.process` is the one place that writes an item's consequences, in one transaction.
`App` adds fetching, delivery and the scheduler around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection

from bot.chat import Destination
from bot.errors import DeliveryError
from bot.extract import Extractor
from bot.fetch import FetchFailed, fetch, make_client
from bot.models import FeedSpec, Item, Shift, Statement
from bot.parse import parse_feed
from bot.render import AlertView
from bot.rules import RuleSet
from bot.shifts import by_actor_topic, decide, item_stance
from bot.store import Store, retry_time
from bot.textnorm import squash

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(days=1)
MAX_DELIVERY_ATTEMPTS = 20


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    item: Item
    statements: list[Statement] = field(default_factory=list)
    shift_ids: list[int] = field(default_factory=list)
    duplicate: bool = False


def subscription_matches(filters: list[str], shift: Shift) -> bool:
    """No filter: everything. Otherwise any topic, country, actor filter matches; `flop` (or
    `magnitude:2`) keeps only shifts of two steps or more."""
    s = shift.statement
    wanted = [f.strip().lower() for f in filters if f.strip()]
    big_only = any(f in {"flop", "full-flop", "magnitude:2"} for f in wanted)
    if big_only and shift.magnitude < 2:
        return False
    subjects = [f for f in wanted if f not in {"flop", "full-flop", "magnitude:2"}]
    if not subjects:
        return True
    name = squash(s.actor_name)
    keys = {s.topic.lower(), s.country.lower(), s.actor_id.lower(), name, name.split()[-1]}
    return any(squash(f) in keys or f in keys for f in subjects)


class Pipeline:
    """Extraction plus the store: what one item changes."""

    def __init__(self, rules: RuleSet, store: Store, *, platforms: Iterable[str] = ("console",),
                 clock: Callable[[], datetime] = utcnow,
                 alert_max_age: timedelta | None = None):
        self.rules = rules
        self.store = store
        self.extractor = Extractor(rules)
        self.platforms = tuple(platforms)
        self.clock = clock
        self.alert_max_age = alert_max_age

    def routes(self, conn: Connection, shift: Shift) -> list[str]:
        out = ["console"] if "console" in self.platforms else []
        for platform, chat_id, filters in self.store.subscriptions(conn):
            if platform in self.platforms and subscription_matches(filters, shift):
                out.append(f"{platform}:{chat_id}")
        return out

    def process(self, item: Item, *, alert: bool = True) -> Outcome:
        found = self.extractor.extract(item)
        now = self.clock()
        if self.alert_max_age is not None and now - item.published > self.alert_max_age:
            alert = False  # old news (a new feed's backlog) updates positions but stays quiet
        with self.store.begin() as conn:
            if self.store.item_seen(conn, item.feed_url, item.guid, item.url):
                return Outcome(item, duplicate=True)
            item_id = self.store.insert_item(conn, item.feed_url, item.guid, item.url, item.title,
                                             item.published, now)
            self.store.insert_statements(conn, item_id, found)
            outcome = Outcome(item, found)
            for (actor_id, topic), group in by_actor_topic(found).items():
                labels = self.rules.labels_for(topic)
                previous = self.store.position(conn, actor_id, topic)
                decision = decide(previous, item_stance(group, labels), labels)
                if decision.position is not None:
                    self.store.save_position(conn, decision.position)
                if decision.shift is not None:
                    shift_id = self.store.insert_shift(conn, decision.shift, now)
                    if shift_id is None:
                        continue
                    outcome.shift_ids.append(shift_id)
                    if alert:
                        for destination in self.routes(conn, decision.shift):
                            self.store.enqueue(conn, shift_id, destination, now)
            return outcome


@dataclass
class CycleSummary:
    feeds: int = 0
    not_modified: int = 0
    failed: int = 0
    items: int = 0
    new_items: int = 0
    statements: int = 0
    shifts: int = 0
    delivered: int = 0

    def line(self) -> str:
        return (f"cycle: {self.feeds} feeds ({self.not_modified} not modified, {self.failed} failed),"
                f" {self.new_items} new of {self.items} items, {self.statements} statements,"
                f" {self.shifts} shifts, {self.delivered} alerts delivered")


class App:
    def __init__(self, pipeline: Pipeline, feeds: list[FeedSpec], destinations: list[Destination],
                 *, concurrency: int = 10, tick_seconds: float = 30.0,
                 client_factory: Callable[[], httpx.AsyncClient] = make_client):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.clock = pipeline.clock
        self.feeds = feeds
        self.destinations = {d.prefix: d for d in destinations}
        self.concurrency = concurrency
        self.tick_seconds = tick_seconds
        self.client_factory = client_factory
        self._stop = asyncio.Event()

    # ------------------------------------------------------------------ polling

    async def poll_once(self, *, force: bool = False) -> CycleSummary:
        summary = CycleSummary()
        now = self.clock()
        due = []
        with self.store.begin() as conn:
            for spec in self.feeds:
                state = self.store.ensure_feed(conn, spec.url, spec.name)
                if state["disabled"]:
                    continue
                next_at = state["next_check_at"]
                if force or next_at is None or _aware(next_at) <= now:
                    due.append((spec, state))
        summary.feeds = len(due)
        limit = asyncio.Semaphore(self.concurrency)
        async with self.client_factory() as client:
            await asyncio.gather(*(self._poll_feed(client, limit, spec, state, summary)
                                   for spec, state in due))
        summary.delivered = await self.deliver_once()
        log.info(summary.line())
        return summary

    async def _poll_feed(self, client: httpx.AsyncClient, limit: asyncio.Semaphore,
                         spec: FeedSpec, state: dict, summary: CycleSummary) -> None:
        now = self.clock()
        try:
            async with limit:
                got = await fetch(client, spec.url, etag=state.get("etag"),
                                  last_modified=state.get("last_modified"))
        except FetchFailed as exc:
            self._failed(spec, state, str(exc), exc.retry_after, summary)
            return
        if got.body is None:
            summary.not_modified += 1
            with self.store.begin() as conn:
                self.store.record_fetch(conn, spec.url, last_checked_at=now, last_success_at=now,
                                        failures=0, last_error=None,
                                        next_check_at=now + timedelta(seconds=spec.interval_seconds))
            return
        parsed = parse_feed(got.body, spec.url, now=now, headers=got.headers)
        if parsed.problem:
            self._failed(spec, state, parsed.problem, None, summary)
            return
        new = 0
        for item in sorted(parsed.items, key=lambda i: i.published):
            summary.items += 1
            try:
                item = await self._with_full_text(client, spec, item)
                outcome = self.pipeline.process(item)
            except Exception:
                log.exception("item failed: feed_url=%s guid=%s", spec.url, item.guid)
                continue
            if not outcome.duplicate:
                new += 1
                summary.statements += len(outcome.statements)
                summary.shifts += len(outcome.shift_ids)
        summary.new_items += new
        interval = max(spec.interval_seconds, (parsed.ttl_minutes or 0) * 60)
        with self.store.begin() as conn:
            self.store.record_fetch(conn, spec.url, etag=got.etag, last_modified=got.last_modified,
                                    last_checked_at=now, last_success_at=now, failures=0,
                                    last_error=None, items_seen=(state.get("items_seen") or 0) + new,
                                    next_check_at=now + timedelta(seconds=interval))

    async def _with_full_text(self, client: httpx.AsyncClient, spec: FeedSpec, item: Item) -> Item:
        """The item with its article's main text when the feed only teases (see bot/fulltext.py)."""
        return item

    def _failed(self, spec: FeedSpec, state: dict, error: str, retry_after: float | None,
                summary: CycleSummary) -> None:
        now = self.clock()
        failures = (state.get("failures") or 0) + 1
        backoff = min(MAX_BACKOFF, timedelta(seconds=spec.interval_seconds * 2 ** min(failures, 12)))
        wait = max(backoff, timedelta(seconds=retry_after or 0))
        summary.failed += 1
        log.warning("feed failed: feed_url=%s failures=%d error=%s", spec.url, failures, error)
        with self.store.begin() as conn:
            self.store.record_fetch(conn, spec.url, last_checked_at=now, failures=failures,
                                    last_error=error, next_check_at=now + wait)

    # ------------------------------------------------------------------ delivery

    async def deliver_once(self) -> int:
        delivered = 0
        now = self.clock()
        for row in self.store.due(now):
            prefix, _, target = row.destination.partition(":")
            destination = self.destinations.get(prefix)
            if destination is None:
                continue  # that destination is not configured in this process: leave it queued
            alert = AlertView.from_record(self.store.shift_record(row.shift_id))
            try:
                await destination.send(target, alert)
            except DeliveryError as exc:
                final = exc.permanent or row.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
                retry_at = None if final else retry_time(self.clock(), row.attempts, exc.retry_after)
                self.store.mark_failed(row.id, str(exc), retry_at=retry_at)
                log.warning("delivery failed: destination=%s shift=%d permanent=%s error=%s",
                            row.destination, row.shift_id, final, exc)
                if exc.permanent and target:
                    self.store.unsubscribe(prefix, target, note=str(exc))
                    log.warning("subscription deactivated: destination=%s", row.destination)
                continue
            self.store.mark_sent(row.id, self.clock())
            delivered += 1
        return delivered

    # ------------------------------------------------------------------ running

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Poll and deliver on a schedule until stopped (Ctrl-C / SIGTERM)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix
                loop.add_signal_handler(sig, self.stop)
        services = [d for d in self.destinations.values() if hasattr(d, "start")]
        for service in services:
            await service.start()  # type: ignore[attr-defined]
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self.poll_once, "interval", seconds=self.tick_seconds,
                          next_run_time=self.clock(), max_instances=1, coalesce=True,
                          id="poll", misfire_grace_time=None)
        scheduler.start()
        log.info("running: %d feeds, tick %.0fs", len(self.feeds), self.tick_seconds)
        try:
            await self._stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            for service in reversed(services):
                try:
                    await service.stop()  # type: ignore[attr-defined]
                except Exception:
                    log.exception("stopping a chat service failed")
            log.info("stopped")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
