"""Recording an item: its statements, the positions and shifts they make, the alerts to queue.

`Pipeline` is the one place that writes what items change: an item with statements in one
transaction of its own (`process`), a fetch's items without statements together (`process_many`).
Whether a shift alerts, waits for a second source or is superseded is decided in bot/shifts.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from bot.baselines import baseline_position
from bot.extract import Extractor
from bot.models import HeldShift, Item, Shift, Statement
from bot.render import duration_text
from bot.routing import destinations_for
from bot.rules import RuleSet
from bot.shifts import Move, by_actor_topic, item_stance, settle
from bot.store import Store
from bot.syndication import (
    RELATED,
    SyndicationIndex,
    from_bytes,
    item_signature,
    same_site,
    similarity,
    to_bytes,
)

if TYPE_CHECKING:  # datasketch loads on the first item with statements
    from datasketch import LeanMinHash

log = logging.getLogger(__name__)
MAX_TEXT_CHARS = 60_000  # about 10,000 words: longer than any article, short enough to extract fast
ID_LOOKBACK = 1000      # item ids below the highest seen that may still be committing elsewhere
INDEX_PRUNE_AT = 50_000  # syndication index entries before old ones are forgotten
# a database locked (beyond SQLite's busy timeout) or unreachable: worth trying again later
DB_UNAVAILABLE = (OperationalError, InterfaceError)


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class Pipeline:
    """Extraction plus the store: what one item changes."""

    def __init__(self, rules: RuleSet, store: Store, *, platforms: Iterable[str] = ("console",),
                 clock: Callable[[], datetime] = utcnow,
                 alert_max_age: timedelta | None = None):
        self.rules = rules
        self.store = store
        self.platforms = tuple(platforms)
        self.clock = clock
        self.alert_max_age = alert_max_age
        self.syndication = SyndicationIndex()

    @functools.cached_property
    def extractor(self) -> Extractor:
        """Compiled on the first item: a cycle with nothing new compiles no pattern."""
        return Extractor(self.rules)

    def routes(self, conn: Connection, shift: Shift) -> list[str]:
        return destinations_for(shift, self.store.subscriptions(conn), self.platforms)

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
        """One actor's words on one topic in one item: baseline, shift, held shift, or nothing
        (`settle` decides; this stores what it says)."""
        labels = self.rules.labels_for(topic)
        chosen = item_stance(group, labels)
        if chosen is None:
            return
        held = self.store.unconfirmed_shift(conn, actor_id, topic)
        # no stored position: the analyst's baseline, when one is in force, is where they stood
        previous = self.store.position(conn, actor_id, topic) or baseline_position(
            self.rules, self.rules.baselines, actor_id, topic, chosen.published.date())
        verdict = settle(previous, held, chosen, labels, self.rules.stances.confirm_threshold)
        if verdict.supersede and held is not None:
            self.store.supersede_shift(conn, held.id)
        move, shift, position = verdict.move, verdict.shift, verdict.position
        if move is Move.BASELINE and position is not None:
            self.store.save_position(conn, position)
        elif move is Move.HOLD and shift is not None:
            shift_id = self.store.insert_shift(conn, shift, now, status="unconfirmed")
            if shift_id is not None:
                outcome.held_ids.append(shift_id)
        elif move is Move.RECORD and shift is not None and position is not None:
            self.store.save_position(conn, position)
            shift_id = self.store.insert_shift(conn, shift, now)
            if shift_id is not None:  # None: another worker recorded this move first
                self._alert(conn, shift_id, shift, now, alert, outcome)
                if wanted and not alert:  # the caller wanted it: only the item's age said no
                    self._held_back(shift, item.published, outcome)
        elif move in (Move.CONFIRM, Move.CORROBORATE) and held and shift and position:
            if move is Move.CORROBORATE and not self._independent(conn, held, item, sig):
                return  # the same source again: still one source
            if not self.store.confirm_shift(conn, held.id, item.url or item.guid, now):
                return
            self.store.save_position(conn, position)
            # The alert is the held move's: whether it is old news depends on when that was said,
            # not on the age of the item that confirms it (a new feed's backlog, say).
            fresh = not self._too_old(held.published, now)
            self._alert(conn, held.id, shift, now, wanted and fresh, outcome)
            if wanted and not fresh:
                self._held_back(shift, held.published, outcome)

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

    def _independent(self, conn: Connection, held: HeldShift, item: Item,
                     sig: LeanMinHash | None) -> bool:
        """Whether `item` corroborates the held shift: another site, and not the same story."""
        origin = self.store.item_by_guid(conn, held.item_guid, held.url)
        if origin is None:
            return False
        if same_site(origin.feed_url, item.feed_url):
            return False
        if origin.url and item.url and same_site(origin.url, item.url):
            return False
        theirs = from_bytes(origin.fingerprint) if origin.fingerprint else None
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


def _capped(item: Item) -> Item:
    if len(item.text) <= MAX_TEXT_CHARS:
        return item
    # no article is this long; a hostile body can be
    log.warning("item text cut to %d characters: feed_url=%s guid=%s (%d)",
                MAX_TEXT_CHARS, item.feed_url, item.guid, len(item.text))
    return replace(item, text=item.text[:MAX_TEXT_CHARS])


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)

