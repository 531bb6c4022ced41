"""Polling: claim due feeds, fetch, parse, hand new items to the pipeline; feed health; reload.

Polling runs in a thread of its own, on an event loop of its own, with the CPU-bound steps
inline: the main loop (chat commands, /healthz, delivery) never waits on a long feed. With
fetches on one thread and parsing on another, the two handed the GIL to each other on every
network event, a fifth of the cycle's CPU (bench/). Items are processed one at a time there.
Each process leases the feeds it polls: workers sharing a database poll each due feed once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.errors import BotError, FetchError
from bot.feeds import load_feeds
from bot.fetch import ClientFactory, fetch, host_of, local_path, make_client
from bot.fulltext import with_full_texts
from bot.models import CycleSummary, FeedSpec
from bot.parse import parse_feed
from bot.pipeline import DB_UNAVAILABLE, Pipeline
from bot.schedule import PollPolicy, next_check
from bot.store import FeedRow

log = logging.getLogger(__name__)
T = TypeVar("T")
CLAIM_BATCH = 4  # feeds one lane claims at once
BATCH_ITEMS = 100  # new items of a fetch processed (and their pages fetched) together
FEED_LEASE = timedelta(minutes=15)  # longer than one feed's fetch and processing ever takes
NOTICE_AFTER = 3        # consecutive feed failures before the admin chats hear of it
DB_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds between attempts at one item's transaction


def default_worker_id() -> str:
    """hostname:pid. Workers sharing a hostname must share a process namespace (one machine,
    or one container): a lease whose owner's pid is gone on this host is taken back at once."""
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_here(owner: str) -> bool:
    """Whether the worker `owner` ran on this host and its process no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) in (0, os.getpid()):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


class Poller:
    """The feeds of one process and the polling thread that works through them."""

    def __init__(self, pipeline: Pipeline, feeds: list[FeedSpec], *, worker_id: str,
                 concurrency: int = 10, client_factory: ClientFactory = make_client,
                 policy: PollPolicy | None = None, feeds_file: str | Path | None = None,
                 rng: random.Random | None = None, feed_lease: timedelta = FEED_LEASE,
                 allow_private_links: bool = False,
                 stopping: Callable[[], bool] = lambda: False):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.clock = pipeline.clock
        self.feeds = feeds
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.client_factory = client_factory
        self.policy = policy or PollPolicy()
        self.rng = rng or random.Random()
        self.feed_lease = feed_lease
        # Article links come from feed content, not from the operator: their pages are fetched
        # from public addresses only (bot/fetch.py), unless the operator allows private ones
        self.allow_private_links = allow_private_links
        self.stopping = stopping
        self.feeds_file = Path(feeds_file) if feeds_file is not None else None
        self._feeds_signature = _file_signature(self.feeds_file)
        self._feeds_known = False
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._host_loop: asyncio.AbstractEventLoop | None = None
        self.notices: list[str] = []  # for the admin chats, sent by the main loop
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="shiftwatch-poll")
        self._runner: asyncio.Runner | None = None  # its event loop, kept between cycles
        self._polling: asyncio.Task[None] | None = None  # the cycle running there, for `stop`

    async def poll(self, force: bool, summary: CycleSummary) -> None:
        """Poll the due feeds (`force`: every feed) in the polling thread, counting into
        `summary`. The feeds go back at the end (one write, not one per feed): a polled feed is
        not due again before its next check anyway."""
        if self.reload_feeds():
            self._feeds_known = False
        # One politeness slot set per host of this cycle: the last cycle's slots were all given
        # back when it ended, and hosts of feeds since removed must not pile up.
        self._host_limits.clear()
        try:
            await asyncio.wrap_future(self.in_thread(self.poll_feeds, force, summary))
        finally:
            with contextlib.suppress(*DB_UNAVAILABLE):  # else at the next cycle's start
                self.store.release_feed_leases(self.worker_id)

    def take_notices(self) -> list[str]:
        notices, self.notices = self.notices, []
        return notices

    def in_thread(self, step: Callable[..., Coroutine[Any, Any, T]], *args: Any
                  ) -> concurrent.futures.Future[T]:
        """Run `step(*args)` on the polling thread's event loop. With a shared client (one
        whose keep-alive connections outlive a cycle) the loop is kept for the next cycle;
        otherwise nothing needs it after this one."""
        def run() -> T:
            runner = self._runner or asyncio.Runner()
            try:
                return runner.run(step(*args))
            finally:
                if hasattr(self.client_factory, "aclose"):
                    self._runner = runner
                else:
                    runner.close()
        return self._thread.submit(run)

    async def poll_feeds(self, force: bool, summary: CycleSummary) -> None:
        """The polling part of a cycle, in the polling thread: every lane until no due feed is
        left."""
        self._polling = asyncio.current_task()
        try:
            self._reclaim_leases()
            remaining = {spec.url: spec for spec in self.feeds}
            limit = asyncio.Semaphore(self.concurrency)
            lanes = max(1, min(self.concurrency, len(remaining)))
            # article pages through a client (and connection pool) of their own, for one cycle
            async with self.client_factory() as client, \
                    make_client(concurrency=self.concurrency,
                                public_only=not self.allow_private_links) as pages:
                ends = await asyncio.gather(
                    *(self._poll_claimed(client, pages, limit, remaining, force, summary)
                      for _ in range(lanes)), return_exceptions=True)
        except asyncio.CancelledError:
            if not self.stopping():
                raise
            return  # stopped: feeds cut short keep their old state and are polled next time
        finally:
            self._polling = None
        for end in ends:
            if isinstance(end, BaseException):
                raise end

    def _reclaim_leases(self) -> None:
        """Feeds this process still holds (a cycle cut short) and those of dead workers on this
        host come back now rather than when their leases expire."""
        if not self._feeds_known:
            self.store.ensure_feeds((spec.url, spec.name) for spec in self.feeds)
            self._feeds_known = True
        for owner in self.store.lease_owners():
            if owner == self.worker_id:  # its outbox claims belong to a delivery under way
                self.store.release_feed_leases(owner)
            elif dead_here(owner):
                self.store.release_leases(owner)

    async def _poll_claimed(self, client: httpx.AsyncClient, pages: httpx.AsyncClient,
                            limit: asyncio.Semaphore, remaining: dict[str, FeedSpec], force: bool,
                            summary: CycleSummary) -> None:
        """One lane of the cycle: claim a due feed and poll it, until none is left."""
        while remaining and not self.stopping():
            # No URL filter in the claim: it would grow with the feed list on every claim. A
            # claimed feed no longer in feeds.yaml is skipped; its lease ends with the cycle.
            # A few at a time: one claim per feed cost more than a 304 answer; a few cannot
            # starve the other workers.
            claimed = self.store.claim_due_feeds(self.worker_id, self.clock(), self.feed_lease,
                                                 limit=CLAIM_BATCH, force=force)
            if not claimed:
                return
            claimed_at, polled = self.clock(), False
            for n, state in enumerate(claimed):
                if self.stopping() or (polled and self.clock() - claimed_at > self.feed_lease / 2):
                    # slow feeds ate into the lease: give back the rest rather than poll them
                    # under a lease that may lapse (another worker would poll them too)
                    for rest in claimed[n:]:
                        self.store.release_feed(rest.url, self.worker_id)
                    break
                spec = remaining.pop(state.url, None)
                if spec is None:
                    continue
                summary.feeds += 1
                polled = True
                await self._poll_feed(client, pages, limit, spec, state, summary)

    async def _while_db_unavailable(self, call: Callable[..., T], *args: Any, what: str) -> T:
        """`call(*args)`, retried a few times while the database is locked or unreachable."""
        delays = list(DB_RETRY_DELAYS)
        while True:
            try:
                return call(*args)
            except DB_UNAVAILABLE as exc:
                if not delays:
                    raise
                delay = delays.pop(0)
                log.warning("database unavailable, retrying in %.1fs: %s error=%s",
                            delay, what, getattr(exc, "orig", exc))
                await asyncio.sleep(delay)

    async def _poll_feed(self, client: httpx.AsyncClient, pages: httpx.AsyncClient,
                         limit: asyncio.Semaphore, spec: FeedSpec, state: FeedRow,
                         summary: CycleSummary) -> None:
        """Fetch, parse and process one feed. Nothing a server sends escapes from here: every
        failure becomes this feed's `last_error`, and the other feeds go on."""
        try:
            await self._poll_feed_guarded(client, pages, limit, spec, state, summary)
        except DB_UNAVAILABLE:
            raise  # not this feed's fault: poll_once ends the cycle, nothing is recorded as failed
        except Exception as exc:  # a bug rather than the server; still only this feed's problem
            log.exception("feed poll crashed: feed_url=%s", spec.url)
            try:
                self._failed(spec, state, f"internal error: {type(exc).__name__}: {exc}", None,
                             summary)
            except Exception:
                log.exception("cannot record the failure: feed_url=%s", spec.url)

    async def _poll_feed_guarded(self, client: httpx.AsyncClient, pages: httpx.AsyncClient,
                                 limit: asyncio.Semaphore, spec: FeedSpec, state: FeedRow,
                                 summary: CycleSummary) -> None:
        now = self.clock()
        try:
            # the host first: feeds waiting on a busy host must not hold global slots
            async with self._host_limit(spec.url), limit:
                got = await fetch(client, spec.url, etag=state.etag,
                                  last_modified=state.last_modified,
                                  max_bytes=self.policy.max_bytes, deadline=self.policy.deadline)
        except FetchError as exc:
            if exc.status is None and local_path(spec.url) is None:
                summary.unreachable += 1  # no answer at all: the network, or the server
            self._failed(spec, state, str(exc), exc.retry_after, summary, gone=exc.gone)
            return
        if got.body is None:  # 304: nothing to parse
            summary.not_modified += 1
            self._succeeded(spec, state, now, etag=got.etag, last_modified=got.last_modified,
                            headers=got.headers, ttl_minutes=None, new=0, problem=None)
            return
        parsed = parse_feed(got.body, spec.url, now=now, headers=got.headers)
        if parsed.problem:
            self._failed(spec, state, parsed.problem, None, summary)
            return
        items = sorted(parsed.items, key=lambda i: i.published)
        notes = []
        if len(items) > self.policy.max_items:
            notes.append(f"{len(items)} items in one fetch; only the newest {self.policy.max_items}"
                         f" were read")
            log.warning("feed too long: feed_url=%s %s", spec.url, notes[-1])
            items = items[-self.policy.max_items:]
        new, broken, first_error = 0, 0, ""
        summary.items += len(items)
        fresh = await self._while_db_unavailable(self.store.unseen, spec.url, items,
                                                 what=f"feed_url={spec.url}")
        # a seen item is neither extracted nor fetched again
        for start in range(0, len(fresh), BATCH_ITEMS):
            # the feed fetch's politeness and limits for its article pages
            batch = await with_full_texts(
                pages, fresh[start:start + BATCH_ITEMS], self.pipeline.extractor.topics,
                always=spec.full_text, max_bytes=self.policy.max_bytes,
                deadline=self.policy.deadline, slot=self._host_limit)
            # DB_UNAVAILABLE after the retries ends the cycle (poll_once): the items wait
            outcomes = await self._while_db_unavailable(self.pipeline.process_many, batch,
                                                        what=f"feed_url={spec.url}")
            for outcome in outcomes:
                if outcome.error is not None:  # left unrecorded: the next fetch tries it again
                    broken += 1
                    first_error = first_error or outcome.error
                elif not outcome.duplicate:
                    new += 1
                    summary.statements += len(outcome.statements)
                    summary.shifts += len(outcome.shift_ids)
                    summary.too_old += len(outcome.too_old)
        summary.new_items += new
        if broken:
            notes.append(f"{broken} of {len(items)} items could not be processed; first: "
                         f"{first_error}")
        if broken:  # keep the old validators: a 304 must not hide the items still to retry
            etag, last_modified = state.etag, state.last_modified
        else:
            etag, last_modified = got.etag, got.last_modified
        self._succeeded(spec, state, now, etag=etag, last_modified=last_modified,
                        headers=got.headers, ttl_minutes=parsed.ttl_minutes, new=new,
                        problem="; ".join(notes) or None)

    def _succeeded(self, spec: FeedSpec, state: FeedRow, now: datetime, *, etag: str | None,
                   last_modified: str | None, headers: dict[str, str] | None,
                   ttl_minutes: int | None, new: int, problem: str | None) -> None:
        next_at = next_check(spec, now, rng=self.rng, ttl_minutes=ttl_minutes, headers=headers,
                             ceiling=self.policy.ceiling)
        with self.store.begin() as conn:
            self.store.record_fetch(conn, spec.url, etag=etag, last_modified=last_modified,
                                    last_checked_at=now, last_success_at=now, failures=0,
                                    last_error=problem, next_check_at=next_at,
                                    items_seen=state.items_seen + new)
        failures = state.failures
        if failures >= NOTICE_AFTER:
            log.info("feed recovered: feed_url=%s after %d failures", spec.url, failures)
            self.notices.append(f"Feed recovered: {spec.name} ({spec.url}) works again after "
                                 f"{failures} failed checks.")

    def _failed(self, spec: FeedSpec, state: FeedRow, error: str, retry_after: float | None,
                summary: CycleSummary, *, gone: bool = False) -> None:
        """Back off exponentially and keep trying; disable only on HTTP 410 or a long streak,
        and say so (log, admin chats, `shiftwatch feeds`)."""
        now = self.clock()
        failures = (state.failures) + 1
        summary.failed += 1
        error = error[:2000]
        next_at = next_check(spec, now, rng=self.rng, retry_after=retry_after, failures=failures)
        disable = gone or failures >= self.policy.max_failures
        reason = (f"the server answered 410 Gone ({error})" if gone else
                  f"{failures} consecutive failures; last: {error}")
        log.warning("feed failed: feed_url=%s failures=%d next_check=%s error=%s", spec.url,
                    failures, next_at.isoformat(timespec="seconds"), error)
        with self.store.begin() as conn:
            self.store.record_fetch(conn, spec.url, last_checked_at=now, failures=failures,
                                    last_error=error, next_check_at=next_at)
            if disable:
                self.store.disable_feed(conn, spec.url, reason, now)
        if disable:
            log.error("feed disabled: feed_url=%s reason=%s (re-enable: shiftwatch feeds enable "
                      "URL)", spec.url, reason)
            self.notices.append(f"Feed disabled: {spec.name} ({spec.url}): {reason}. "
                                 f"Re-enable with: shiftwatch feeds enable {spec.url}")
        elif failures == NOTICE_AFTER:
            self.notices.append(f"Feed failing: {spec.name} ({spec.url}) failed {failures} checks "
                                 f"in a row: {error}. Retrying with backoff.")

    def _host_limit(self, url: str) -> contextlib.AbstractAsyncContextManager[Any]:
        host = host_of(url)
        if not host:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        if self._host_loop is not loop:  # a semaphore belongs to one event loop
            self._host_limits, self._host_loop = {}, loop
        return self._host_limits.setdefault(host, asyncio.Semaphore(self.policy.per_host))

    def reload_feeds(self) -> bool:
        """Pick up feeds.yaml edits without a restart (called at the start of each tick): when
        the file changed, load and validate it; an invalid file keeps the current list and the
        log says why (file:line). True when the list was replaced."""
        if self.feeds_file is None:
            return False
        signature = _file_signature(self.feeds_file)
        if signature is None or signature == self._feeds_signature:
            return False  # unchanged, or gone for a moment (editors save by renaming)
        self._feeds_signature = signature
        try:
            feeds = load_feeds(self.feeds_file)
        except BotError as exc:
            log.error("feeds file not reloaded, keeping the %d feeds in use: %s", len(self.feeds),
                      exc)
            return False
        before, after = {f.url for f in self.feeds}, {f.url for f in feeds}
        self.feeds = feeds
        log.info("feeds file reloaded: %d feeds (%d added, %d removed)", len(feeds),
                 len(after - before), len(before - after))
        return True

    def stop(self) -> None:
        """Cut the running cycle short. A fetch may wait for its deadline (30 s): the cycle
        ends at its next await instead. What it cut short is recorded nowhere, so the next
        poll takes it up again."""
        polling = self._polling
        if polling is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile: nothing runs
                polling.get_loop().call_soon_threadsafe(polling.cancel)

    async def close(self) -> None:
        """Close the shared HTTP client (in the loop it belongs to) and the polling thread."""
        aclose = getattr(self.client_factory, "aclose", None)
        if aclose is not None:
            await asyncio.wrap_future(self.in_thread(aclose))
        if self._runner is not None:
            await asyncio.wrap_future(self._thread.submit(self._runner.close))
            self._runner = None
        self._thread.shutdown(wait=True)


def _file_signature(path: Path | None) -> tuple[int, int] | None:
    """(mtime, size) of a file: size too, as two saves within the clock's resolution happen."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
