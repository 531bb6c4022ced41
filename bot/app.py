"""Wiring: feeds -> items -> statements -> positions -> shifts -> outbox -> destinations.

`Pipeline` is the one place that writes what items change: an item with statements in one
transaction of its own (`process`), a fetch's items without statements together (`process_many`).
`App` adds fetching, delivery and the scheduler around it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import random
import signal
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from bot.chat import Destination
from bot.errors import BotError, DeliveryError
from bot.extract import Extractor
from bot.feeds import load_feeds
from bot.fetch import FetchFailed, fetch, host_of, local_path, make_client
from bot.fulltext import fetch_article, wants_article, with_article
from bot.models import CycleSummary, FeedSpec, Item, Position, Shift, Statement
from bot.parse import parse_feed
from bot.render import AlertView, duration_text, plural
from bot.rules import RuleSet
from bot.schedule import PollPolicy, next_check
from bot.shifts import (
    by_actor_topic,
    decide,
    item_stance,
    magnitude_accepts,
    magnitude_filter,
    needs_confirmation,
)
from bot.store import Store, retry_time
from bot.syndication import (
    RELATED,
    SyndicationIndex,
    from_bytes,
    item_signature,
    same_site,
    similarity,
    to_bytes,
)
from bot.textnorm import squash

if TYPE_CHECKING:  # aiohttp loads only when `run` serves HTTP; datasketch on the first item
    from datasketch import LeanMinHash

    from bot.ops import OpsServer

log = logging.getLogger(__name__)
T = TypeVar("T")
CLAIM_BATCH = 4  # feeds one lane claims at once
BATCH_ITEMS = 100  # new items of a fetch processed (and their pages fetched) together
MAX_TEXT_CHARS = 60_000  # about 10,000 words: longer than any article, short enough to extract fast

ID_LOOKBACK = 1000      # item ids below the highest seen that may still be committing elsewhere
INDEX_PRUNE_AT = 50_000  # syndication index entries before old ones are forgotten
MAX_BACKOFF = timedelta(days=1)
MAX_DELIVERY_ATTEMPTS = 20
NOTICE_AFTER = 3        # consecutive feed failures before the admin chats hear of it
NOTICE_TIMEOUT = 20.0   # seconds for one operational notice to one destination
FEED_LEASE = timedelta(minutes=15)  # longer than one feed's fetch and processing ever takes
OUTBOX_LEASE = timedelta(minutes=5)  # longer than one send, rate-limit waits included
MAX_DELIVERIES_PER_CYCLE = 1000
STOP_GRACE = 10.0  # seconds a stopped cycle gets to wind down before it is cut off
DB_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds between attempts at one item's transaction
# a database locked (beyond SQLite's busy timeout) or unreachable: worth trying again later
DB_UNAVAILABLE = (OperationalError, InterfaceError)


def utcnow() -> datetime:
    return datetime.now(UTC)


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


@dataclass
class Outcome:
    item: Item
    statements: list[Statement] = field(default_factory=list)
    shift_ids: list[int] = field(default_factory=list)   # shifts that alert (new or confirmed)
    duplicate: bool = False                                # the same guid or URL, seen before
    copy_of: int | None = None      # a syndicated copy of that item: no statements of its own
    held_ids: list[int] = field(default_factory=list)    # shifts held unconfirmed
    # shifts that raise no alert for their age (alert_max_age), and why: logged once committed
    too_old: list[str] = field(default_factory=list)
    repeats: int = 0                # statements that re-report a quote seen before
    error: str | None = None        # why the item could not be processed (left unrecorded)


def subscription_matches(filters: list[str], shift: Shift) -> bool:
    """No filter: everything. Topic, country and actor filters: any of them matches. Magnitude
    filters (`flop`, `half-flip`, `magnitude>=2`, see bot/shifts.py) must all hold."""
    s = shift.statement
    wanted = [f.strip().lower() for f in filters if f.strip()]
    subjects = []
    for f in wanted:
        canonical = magnitude_filter(f)
        if canonical is None:
            subjects.append(f)
        elif not magnitude_accepts(canonical, shift.magnitude):
            return False
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
        self.syndication = SyndicationIndex()

    def routes(self, conn: Connection, shift: Shift) -> list[str]:
        out = ["console"] if "console" in self.platforms else []
        for platform, chat_id, filters in self.store.subscriptions(conn):
            if platform in self.platforms and subscription_matches(filters, shift):
                out.append(f"{platform}:{chat_id}")
        return out

    def _too_old(self, published: datetime, now: datetime) -> bool:
        return self.alert_max_age is not None and now - _aware(published) > self.alert_max_age

    def process(self, item: Item, *, alert: bool = True) -> Outcome:
        """Extract one item and record what it changes, in one transaction."""
        item = _capped(item)
        return self._record(item, self.extractor.extract(item), alert)

    def process_many(self, batch: list[Item], *, alert: bool = True) -> list[Outcome]:
        """The items of a fetch, in order, each as `process` would, with its outcome.

        Most items carry no statement; those are recorded together, in one transaction and one
        insert (a commit per item cost more than parsing it). Each item with statements keeps a
        transaction of its own, with its positions, shifts and alerts. An item that fails gets
        an outcome with `error` and stays unrecorded, so the next fetch tries it again; only a
        database that is unavailable raises (a retry of the whole list finds the items recorded
        before as duplicates)."""
        outcomes: dict[int, Outcome] = {}
        plain: list[tuple[int, Item]] = []
        said: list[tuple[int, Item, list[Statement]]] = []
        for n, item in enumerate(batch):
            try:
                item = _capped(item)
                found = self.extractor.extract(item)
            except Exception as exc:
                outcomes[n] = self._failed(item, exc)
                continue
            if found:
                said.append((n, item, found))
            else:
                plain.append((n, item))
        if plain:
            try:
                recorded = self._record_plain([item for _, item in plain])
            except DB_UNAVAILABLE:
                raise
            except IntegrityError:  # another worker stored one of them first: one at a time
                recorded = [self._record_guarded(item, [], alert) for _, item in plain]
            for (n, _), outcome in zip(plain, recorded, strict=True):
                outcomes[n] = outcome
        for n, item, found in said:
            outcomes[n] = self._record_guarded(item, found, alert)
        return [outcomes[n] for n in range(len(batch))]

    def _record_guarded(self, item: Item, found: list[Statement], alert: bool) -> Outcome:
        """`_record`, retried once after losing a unique-key race to another worker (the retry
        finds the item done); any other failure but the database's becomes the outcome."""
        try:
            try:
                return self._record(item, found, alert)
            except IntegrityError as exc:
                log.info("item raced another worker, retrying: feed_url=%s guid=%s error=%s",
                         item.feed_url, item.guid, exc.orig)
                return self._record(item, found, alert)
        except DB_UNAVAILABLE:
            raise
        except Exception as exc:
            return self._failed(item, exc)

    @staticmethod
    def _failed(item: Item, exc: Exception) -> Outcome:
        log.error("item failed: feed_url=%s guid=%s", item.feed_url, item.guid, exc_info=exc)
        return Outcome(item, error=f"{item.guid}: {type(exc).__name__}: {exc}")

    def _record_plain(self, batch: list[Item]) -> list[Outcome]:
        """Items without statements, in one transaction: seen ones become duplicates. Checked
        again here, though the poll filtered them: feeds polled at the same time (or another
        worker) may have stored the same article since."""
        now = self.clock()
        by_feed: dict[str, list[Item]] = {}
        for item in batch:
            by_feed.setdefault(item.feed_url, []).append(item)
        with self.store.begin() as conn:
            unseen = {id(i) for feed_url, group in by_feed.items()
                      for i in self.store.unseen(feed_url, group, conn)}
            keys: set[tuple[str, str]] = set()
            new = []
            for item in batch:
                key = (item.feed_url, item.guid)
                if id(item) in unseen and key not in keys:  # the same item twice: once
                    keys.add(key)
                    new.append(item)
            self.store.insert_plain_items(conn, new, now)
        kept = {id(i) for i in new}
        return [Outcome(item, duplicate=id(item) not in kept) for item in batch]

    def _record(self, item: Item, found: list[Statement], alert: bool) -> Outcome:
        # Only a story with statements can raise an alert, so only such a story needs its copies
        # found: a copy of it has the same statements. Most items have none; they skip the MinHash.
        sig = item_signature(item.title, item.text) if found else None
        now = self.clock()
        wanted = alert  # the caller's wish, before the age of this item has a say
        if self._too_old(item.published, now):
            alert = False  # old news (a new feed's backlog) updates positions but stays quiet
        with self.store.begin() as conn:
            if self.store.item_seen(conn, item.feed_url, item.guid, item.url):
                return Outcome(item, duplicate=True)
            original = self._copy_of(conn, sig, item.published)
            item_id = self.store.insert_item(conn, item.feed_url, item.guid, item.url, item.title,
                                             item.published, now,
                                             fingerprint=to_bytes(sig) if sig else None,
                                             duplicate_of=original)
            self.store.save_full_text(conn, item_id, item.full_text, item.full_text_error)
            outcome = Outcome(item, [] if original else found, copy_of=original)
            if original is None:
                # A syndicated copy keeps no statements: the story's first item speaks for it.
                stored = self.store.insert_statements(conn, item_id, found)
                fresh = [st.statement for st in stored if st.repeat_of is None]
                outcome.repeats = len(stored) - len(fresh)
                # sorted, so two workers lock (actor, topic) pairs in one order: no deadlock
                for (actor_id, topic), group in sorted(by_actor_topic(fresh).items()):
                    self.store.lock_position(conn, actor_id, topic)
                    self._update(conn, item, sig, actor_id, topic, group, now, alert, outcome,
                                 wanted=wanted)
        if sig is not None:  # only once committed: the index must not know a rolled-back item
            self.syndication.add(item_id, item.published, sig, original)
        for reason in outcome.too_old:
            log.info("alert held back: %s", reason)
        return outcome

    def _update(self, conn: Connection, item: Item, sig: LeanMinHash | None, actor_id: str,
                topic: str, group: list[Statement], now: datetime, alert: bool,
                outcome: Outcome, *, wanted: bool = True) -> None:
        """One actor's words on one topic in one item: baseline, shift, held shift, or nothing."""
        labels = self.rules.labels_for(topic)
        chosen = item_stance(group, labels)
        if chosen is None:
            return
        previous = self.store.position(conn, actor_id, topic)
        decision = decide(previous, chosen, labels)
        held = self.store.unconfirmed_shift(conn, actor_id, topic)
        if held is not None and (
                previous is None or held["from_stance"] != previous.stance
                or (chosen.stance != held["to_stance"] and chosen.published >= held["published"])):
            self.store.supersede_shift(conn, held["id"])  # newer words say otherwise
            held = None
        if decision.position is not None and decision.shift is None:
            self.store.save_position(conn, decision.position)  # the first position: a baseline
        shift = decision.shift
        if shift is None:
            return
        threshold = self.rules.stances.confirm_threshold
        if held is not None and chosen.stance != held["to_stance"]:
            return  # older words with yet another stance: they neither confirm nor undo the move
        if held is not None:  # the same move, held for want of a second source
            strong = not needs_confirmation(shift, threshold)
            if not (strong or self._independent(conn, held, item, sig)):
                return  # the same source again: still one source
            if not self.store.confirm_shift(conn, held["id"], item.url or item.guid, now):
                return
            self.store.save_position(conn, Position(
                actor_id=actor_id, actor_name=chosen.actor_name, country=chosen.country,
                topic=topic, stance=held["to_stance"], since=held["published"],
                evidence=held["evidence"], url=held["url"], item_guid=held["item_guid"],
                confidence=max(held["confidence"], chosen.confidence)))
            # The alert is the held move's: whether it is old news depends on when that was said,
            # not on the age of the item that confirms it (a new feed's backlog, say).
            fresh = not self._too_old(held["published"], now)
            self._alert(conn, held["id"], shift, now, wanted and fresh, outcome)
            if wanted and not fresh:
                self._held_back(shift, held["published"], outcome)
            return
        if needs_confirmation(shift, threshold):
            shift_id = self.store.insert_shift(conn, shift, now, status="unconfirmed")
            if shift_id is not None:
                outcome.held_ids.append(shift_id)
            return  # the position keeps its stance until a second source confirms the move
        assert decision.position is not None
        self.store.save_position(conn, decision.position)
        shift_id = self.store.insert_shift(conn, shift, now)
        if shift_id is not None:  # None: another worker recorded this move first
            self._alert(conn, shift_id, shift, now, alert, outcome)
            if wanted and not alert:  # the caller wanted it: only the item's age said no
                self._held_back(shift, item.published, outcome)

    def _alert(self, conn: Connection, shift_id: int, shift: Shift, now: datetime, alert: bool,
               outcome: Outcome) -> None:
        outcome.shift_ids.append(shift_id)
        if alert:
            for destination in self.routes(conn, shift):
                self.store.enqueue(conn, shift_id, destination, now)

    def _held_back(self, shift: Shift, published: datetime, outcome: Outcome) -> None:
        """Why a shift raised no alert: without it, "1 shift, 0 alerts delivered" is a puzzle."""
        s = shift.statement
        outcome.too_old.append(
            f"{s.actor_name} on {s.topic} ({shift.from_stance} -> {shift.to_stance}): item "
            f"published {published:%Y-%m-%d}, older than SHIFTWATCH_ALERT_MAX_AGE="
            f"{duration_text(self.alert_max_age)}")

    def _independent(self, conn: Connection, held: dict, item: Item, sig: LeanMinHash | None
                     ) -> bool:
        """Whether `item` corroborates the held shift: another site, and not the same story."""
        origin = self.store.item_by_guid(conn, held["item_guid"], held["url"])
        if origin is None:
            return False
        if same_site(origin["feed_url"], item.feed_url):
            return False
        if origin["url"] and item.url and same_site(origin["url"], item.url):
            return False
        theirs = from_bytes(origin["fingerprint"]) if origin["fingerprint"] else None
        return not (sig is not None and theirs is not None and similarity(sig, theirs) >= RELATED)

    def _copy_of(self, conn: Connection, sig: LeanMinHash | None, published: datetime
                 ) -> int | None:
        """The first item of the story this text copies, if one is stored in the window. The
        index is brought up to date from the store first: other workers' items count too."""
        if sig is None:
            return None
        index = self.syndication
        start = published - index.window
        rows = []
        if index.loaded_from is None or start < index.loaded_from:
            rows += self.store.fingerprints(conn, published_from=start)
            index.loaded_from = start
        # Ids are handed out before commit, so a concurrent worker's item may appear below the
        # highest id seen: look back a little. Only fingerprinted items matter; they are few.
        ids = self.store.fingerprinted_ids_after(conn, max(0, index.max_id - ID_LOOKBACK))
        recent = [i for i in ids if i not in index.seen]
        if recent:
            rows += self.store.fingerprints(conn, ids=recent)
            index.seen.update(recent)
        index.max_id = max(index.max_id, self.store.max_item_id(conn))
        if len(index.seen) > 4 * ID_LOOKBACK:
            index.seen = {i for i in index.seen
                          if i >= index.max_id - ID_LOOKBACK or i in index.entries}
        for item_id, when, data, root in rows:
            stored = from_bytes(data)
            if stored is not None:
                index.add(item_id, when, stored, root)
        if len(index) > INDEX_PRUNE_AT:
            newest = max(e.published for e in index.entries.values())
            index.expire(newest - 2 * index.window, keep_ids_from=index.max_id - ID_LOOKBACK)
        entry = index.copy_of(sig, published)
        return entry.root if entry is not None else None


class App:
    def __init__(self, pipeline: Pipeline, feeds: list[FeedSpec], destinations: list[Destination],
                 *, concurrency: int = 10, tick_seconds: float = 30.0,
                 client_factory: Callable[[], httpx.AsyncClient] = make_client,
                 policy: PollPolicy | None = None, feeds_file: str | Path | None = None,
                 rng: random.Random | None = None, worker_id: str | None = None,
                 serve_commands: bool = True, feed_lease: timedelta = FEED_LEASE,
                 outbox_lease: timedelta = OUTBOX_LEASE, ops: OpsServer | None = None,
                 allow_private_links: bool = False):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.clock = pipeline.clock
        self.feeds = feeds
        self.destinations = {d.prefix: d for d in destinations}
        self.concurrency = concurrency
        self.tick_seconds = tick_seconds
        self.client_factory = client_factory
        # Article links come from feed content, not from the operator: their pages are fetched
        # from public addresses only (bot/fetch.py), unless the operator allows private ones
        self.allow_private_links = allow_private_links
        self.ops = ops  # /healthz, /readyz, /metrics while running (bot/ops.py)
        self.metrics = ops.metrics if ops is not None else None
        # every process leases the feeds and outbox rows it works on, alone or one of many
        self.worker_id = worker_id or default_worker_id()
        # chat services answer commands in one process only (Telegram allows one getUpdates
        # consumer; Slack's HTTP mode one listener per port); `run --worker` only delivers
        self.serve_commands = serve_commands
        self.feed_lease = feed_lease
        self.outbox_lease = outbox_lease
        self._feeds_known = False
        self._stop = asyncio.Event()
        self.policy = policy or PollPolicy()
        self.rng = rng or random.Random()
        self.feeds_file = Path(feeds_file) if feeds_file is not None else None
        self._feeds_signature = _file_signature(self.feeds_file)
        self._host_limits: dict[str, asyncio.Semaphore] = {}
        self._host_loop: asyncio.AbstractEventLoop | None = None
        self._notices: list[str] = []
        # Polling (fetches, parsing, extraction, the store) runs in a thread of its own, on an
        # event loop of its own, with the CPU-bound steps inline: the main loop (chat commands,
        # /healthz, delivery) never waits on a long feed, and one thread does all the polling
        # work. With fetches on one thread and parsing on another, the two handed the GIL to
        # each other on every network event, which cost a fifth of the cycle's CPU (bench/).
        # Items are processed one at a time there (the syndication index is not shared).
        self._poller = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="shiftwatch-poll")
        self._poll_runner: asyncio.Runner | None = None  # its event loop, kept between cycles
        self._polling: asyncio.Task | None = None  # the cycle running there, for `stop`
        self._cycle: asyncio.Task | None = None  # the cycle on the main loop, for `run` to end

    # ------------------------------------------------------------------ polling

    async def poll_once(self, *, force: bool = False) -> CycleSummary:
        """One cycle: poll the due feeds (`force`: every feed), then deliver the outbox.

        Feeds are claimed one at a time under a lease, so workers sharing a database share the
        feeds and each due feed is polled by one of them. A database that is locked or
        unreachable ends the cycle early; the next tick resumes where it stopped."""
        if self.reload_feeds():
            self._feeds_known = False
        summary = CycleSummary()
        self._cycle = asyncio.current_task()
        # One politeness slot set per host of this cycle: the last cycle's slots were all given
        # back when it ended, and hosts of feeds since removed must not pile up.
        self._host_limits.clear()
        try:
            await asyncio.wrap_future(self._in_poller(self._poll_feeds, force, summary))
            summary.delivered = await self.deliver_once()
        except DB_UNAVAILABLE as exc:
            log.warning("database unavailable, the cycle resumes at the next tick: error=%s",
                        getattr(exc, "orig", exc))
        finally:
            # the polled feeds go back together (one write, not one per feed); a polled feed is
            # not due again before its next check anyway
            with contextlib.suppress(*DB_UNAVAILABLE):  # else at the next cycle's start
                self.store.release_leases(self.worker_id)
        await self._send_notices()  # from the main loop, whose chat clients they go through
        if summary.feeds and summary.unreachable == summary.feeds:
            log.warning("no feed could be reached: check the network (%s failed without an "
                        "answer)", plural(summary.feeds, "feed"))
        # an idle tick every 30 s would bury the cycles that did something; a cycle someone
        # asked for (`poll --once`) always reports
        log.log(logging.DEBUG if summary.idle and not force else logging.INFO, summary.line())
        if self.metrics is not None:
            self.metrics.observe_cycle(summary)
        return summary

    def _in_poller(self, step: Callable[..., Awaitable[T]], *args: Any) -> concurrent.futures.Future[T]:
        """Run `step(*args)` on the polling thread's event loop. With a shared client (one
        whose keep-alive connections outlive a cycle) the loop is kept for the next cycle;
        otherwise nothing needs it after this one."""
        def run() -> T:
            runner = self._poll_runner or asyncio.Runner()
            try:
                return runner.run(step(*args))
            finally:
                if hasattr(self.client_factory, "aclose"):
                    self._poll_runner = runner
                else:
                    runner.close()
        return self._poller.submit(run)

    async def _poll_feeds(self, force: bool, summary: CycleSummary) -> None:
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
            if not self._stop.is_set():
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
            if owner == self.worker_id or dead_here(owner):
                self.store.release_leases(owner)

    async def _poll_claimed(self, client: httpx.AsyncClient, pages: httpx.AsyncClient,
                            limit: asyncio.Semaphore, remaining: dict[str, FeedSpec], force: bool,
                            summary: CycleSummary) -> None:
        """One lane of the cycle: claim a due feed and poll it, until none is left."""
        while remaining and not self._stop.is_set():
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
                if self._stop.is_set() or (polled and self.clock() - claimed_at > self.feed_lease / 2):
                    # slow feeds ate into the lease: give back the rest rather than poll them
                    # under a lease that may lapse (another worker would poll them too)
                    for rest in claimed[n:]:
                        self.store.release_feed(rest["url"], self.worker_id)
                    break
                spec = remaining.pop(state["url"], None)
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

    async def _with_full_texts(self, pages: httpx.AsyncClient, spec: FeedSpec,
                               batch: list[Item]) -> list[Item]:
        """The items, those that only tease with their article's main text (bot/fulltext.py),
        the pages fetched together. The poll hands over unseen items only, so a page is fetched
        once; it is cached with the item."""
        topics = self.pipeline.extractor.topics
        wanted = [n for n, item in enumerate(batch)
                  if wants_article(item, topics, always=spec.full_text)]
        got = await asyncio.gather(*(self._with_full_text(pages, spec, batch[n]) for n in wanted))
        out = list(batch)
        for n, item in zip(wanted, got, strict=True):
            out[n] = item
        return out

    async def _with_full_text(self, pages: httpx.AsyncClient, spec: FeedSpec, item: Item) -> Item:
        # the feed fetch's politeness and limits
        article = await fetch_article(pages, item.url, max_bytes=self.policy.max_bytes,
                                      deadline=self.policy.deadline, slot=self._host_limit(item.url))
        if article.error:
            log.warning("full text failed: feed_url=%s guid=%s url=%s error=%s",
                        spec.url, item.guid, item.url, article.error)
        return with_article(item, article)

    async def _poll_feed(self, client: httpx.AsyncClient, pages: httpx.AsyncClient,
                         limit: asyncio.Semaphore, spec: FeedSpec, state: dict,
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
                                 limit: asyncio.Semaphore, spec: FeedSpec, state: dict,
                                 summary: CycleSummary) -> None:
        now = self.clock()
        try:
            # the host first: feeds waiting on a busy host must not hold global slots
            async with self._host_limit(spec.url), limit:
                got = await fetch(client, spec.url, etag=state.get("etag"),
                                  last_modified=state.get("last_modified"),
                                  max_bytes=self.policy.max_bytes, deadline=self.policy.deadline)
        except FetchFailed as exc:
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
            batch = await self._with_full_texts(pages, spec, fresh[start:start + BATCH_ITEMS])
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
            etag, last_modified = state.get("etag"), state.get("last_modified")
        else:
            etag, last_modified = got.etag, got.last_modified
        self._succeeded(spec, state, now, etag=etag, last_modified=last_modified,
                        headers=got.headers, ttl_minutes=parsed.ttl_minutes, new=new,
                        problem="; ".join(notes) or None)

    def _succeeded(self, spec: FeedSpec, state: dict, now: datetime, *, etag: str | None,
                   last_modified: str | None, headers: dict[str, str] | None,
                   ttl_minutes: int | None, new: int, problem: str | None) -> None:
        next_at = next_check(spec, now, rng=self.rng, ttl_minutes=ttl_minutes, headers=headers,
                             ceiling=self.policy.ceiling)
        with self.store.begin() as conn:
            self.store.record_fetch(conn, spec.url, etag=etag, last_modified=last_modified,
                                    last_checked_at=now, last_success_at=now, failures=0,
                                    last_error=problem, next_check_at=next_at,
                                    items_seen=(state.get("items_seen") or 0) + new)
        failures = state.get("failures") or 0
        if failures >= NOTICE_AFTER:
            log.info("feed recovered: feed_url=%s after %d failures", spec.url, failures)
            self._notices.append(f"Feed recovered: {spec.name} ({spec.url}) works again after "
                                 f"{failures} failed checks.")

    def _failed(self, spec: FeedSpec, state: dict, error: str, retry_after: float | None,
                summary: CycleSummary, *, gone: bool = False) -> None:
        """Back off exponentially and keep trying; disable only on HTTP 410 or a long streak,
        and say so (log, admin chats, `shiftwatch feeds`)."""
        now = self.clock()
        failures = (state.get("failures") or 0) + 1
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
            self._notices.append(f"Feed disabled: {spec.name} ({spec.url}): {reason}. "
                                 f"Re-enable with: shiftwatch feeds enable {spec.url}")
        elif failures == NOTICE_AFTER:
            self._notices.append(f"Feed failing: {spec.name} ({spec.url}) failed {failures} checks "
                                 f"in a row: {error}. Retrying with backoff.")

    def _host_limit(self, url: str) -> contextlib.AbstractAsyncContextManager:
        host = host_of(url)
        if not host:
            return contextlib.nullcontext()
        loop = asyncio.get_running_loop()
        if self._host_loop is not loop:  # a semaphore belongs to one event loop
            self._host_limits, self._host_loop = {}, loop
        return self._host_limits.setdefault(host, asyncio.Semaphore(self.policy.per_host))

    async def _send_notices(self) -> None:
        """Operational notices to every destination that takes them; best effort."""
        notices, self._notices = self._notices, []
        for text in notices:
            for destination in self.destinations.values():
                notice = getattr(destination, "notice", None)
                if notice is None:
                    continue
                try:
                    async with asyncio.timeout(NOTICE_TIMEOUT):
                        await notice(text)
                except Exception as exc:
                    log.warning("notice failed: destination=%s error=%s: %s", destination.prefix,
                                type(exc).__name__, exc)

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

    # ------------------------------------------------------------------ delivery

    async def deliver_once(self) -> int:
        """Claim due outbox rows one at a time and send each: with several workers, a row is
        sent by the one that claimed it. Rows for destinations this process does not have
        stay queued for one that does."""
        delivered = 0
        for _ in range(MAX_DELIVERIES_PER_CYCLE):
            if self._stop.is_set():
                break  # stopping: what is left goes to the next cycle, or another worker
            claimed = self.store.claim_due_outbox(self.worker_id, self.clock(), self.outbox_lease,
                                                  prefixes=list(self.destinations))
            if not claimed:
                break
            row = claimed[0]
            prefix, _, target = row.destination.partition(":")
            destination = self.destinations[prefix]
            try:
                alert = AlertView.from_record(self.store.shift_record(row.shift_id))
                await destination.send(target, alert)
            except DB_UNAVAILABLE:
                raise
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
            except Exception as exc:  # a bug in one destination must not hold up the others
                log.exception("delivery crashed: destination=%s shift=%d", row.destination,
                              row.shift_id)
                final = row.attempts + 1 >= MAX_DELIVERY_ATTEMPTS
                self.store.mark_failed(row.id, f"internal error: {type(exc).__name__}: {exc}",
                                       retry_at=None if final else
                                       retry_time(self.clock(), row.attempts, None))
                continue
            self.store.mark_sent(row.id, self.clock())
            if self.metrics is not None:
                self.metrics.observe_delivery(row.destination, self.store.shift_record(row.shift_id),
                                              self.clock())
            delivered += 1
        return delivered

    # ------------------------------------------------------------------ running

    def stop(self) -> None:
        self._stop.set()
        # A fetch may wait for its deadline (30 s): the cycle ends at its next await instead.
        # What it cut short is recorded nowhere, so the next poll takes it up again.
        polling = self._polling
        if polling is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile: nothing runs
                polling.get_loop().call_soon_threadsafe(polling.cancel)

    def describe(self) -> str:
        """What `run` works with, said first: the database (password masked), the alerts file
        and where alerts go."""
        database = make_url(self.store.url).render_as_string(hide_password=True)
        alerts_file = getattr(self.destinations.get("console"), "alerts_file", None)
        return (f"database {database}, alerts file {alerts_file or '(none)'}, destinations "
                f"{', '.join(self.destinations) or '(none)'}")

    async def run(self) -> None:
        """Poll and deliver on a schedule until stopped (Ctrl-C / SIGTERM)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix
                loop.add_signal_handler(sig, self.stop)
        services = [d for d in self.destinations.values() if hasattr(d, "start")]
        log.info("starting: %s", self.describe())
        for service in services if self.serve_commands else []:
            await service.start()  # type: ignore[attr-defined]
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(self.poll_once, "interval", seconds=self.tick_seconds,
                          next_run_time=self.clock(), max_instances=1, coalesce=True,
                          id="poll", misfire_grace_time=None)
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
        """Close the shared HTTP client (in the loop it belongs to) and the polling thread."""
        aclose = getattr(self.client_factory, "aclose", None)
        if aclose is not None:
            await asyncio.wrap_future(self._in_poller(aclose))
        if self._poll_runner is not None:
            await asyncio.wrap_future(self._poller.submit(self._poll_runner.close))
            self._poll_runner = None
        self._poller.shutdown(wait=True)


def _file_signature(path: Path | None) -> tuple[int, int] | None:
    """(mtime, size) of a file: size too, as two saves within the clock's resolution happen."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _capped(item: Item) -> Item:
    if len(item.text) <= MAX_TEXT_CHARS:
        return item
    # no article is this long; a hostile body can be
    log.warning("item text cut to %d characters: feed_url=%s guid=%s (%d)",
                MAX_TEXT_CHARS, item.feed_url, item.guid, len(item.text))
    return replace(item, text=item.text[:MAX_TEXT_CHARS])


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
