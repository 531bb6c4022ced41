"""Delivery: outbox rows -> destinations, and operational notices -> the admin chats.

`shiftwatch run` runs `Outbox.deliver_once` as a scheduler job of its own, every tick, besides
the end of each polling cycle: an alert goes out within one tick of its shift however long the
feeds of that cycle take. Several workers share the outbox: each row is claimed under a lease
and sent by the worker that claimed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.chat import Destination
from bot.errors import DeliveryError
from bot.pipeline import DB_UNAVAILABLE
from bot.render import AlertView
from bot.store import Store, retry_time

log = logging.getLogger(__name__)
OUTBOX_LEASE = timedelta(minutes=5)  # longer than one send, rate-limit waits included
MAX_DELIVERY_ATTEMPTS = 20
MAX_DELIVERIES_PER_CYCLE = 1000
NOTICE_TIMEOUT = 20.0   # seconds for one operational notice to one destination


class DeliveryObserver(Protocol):
    def observe_delivery(self, destination: str, shift: Mapping[str, Any], sent_at: datetime
                         ) -> None: ...


class Outbox:
    """Sends what the pipeline queued, to the destinations this process has."""

    def __init__(self, store: Store, destinations: Mapping[str, Destination], *, worker_id: str,
                 clock: Callable[[], datetime], lease: timedelta = OUTBOX_LEASE,
                 stopping: Callable[[], bool] = lambda: False,
                 metrics: DeliveryObserver | None = None):
        self.store = store
        self.destinations = destinations
        self.worker_id = worker_id
        self.clock = clock
        self.lease = lease
        self.stopping = stopping
        self.metrics = metrics
        # the end of a cycle and the delivery job may both want to deliver: one pass at a time
        self._lock = asyncio.Lock()

    async def deliver_once(self) -> int:
        """Claim due outbox rows one at a time and send each: with several workers, a row is
        sent by the one that claimed it. Rows for destinations this process does not have
        stay queued for one that does. The number sent."""
        async with self._lock:
            try:
                return await self._deliver()
            finally:
                # a row claimed and left unmarked (the database went away mid-send) is the
                # next pass's again rather than after its lease
                with contextlib.suppress(*DB_UNAVAILABLE):
                    self.store.release_outbox_claims(self.worker_id)

    async def _deliver(self) -> int:
        delivered = 0
        for _ in range(MAX_DELIVERIES_PER_CYCLE):
            if self.stopping():
                break  # stopping: what is left goes to the next cycle, or another worker
            claimed = self.store.claim_due_outbox(self.worker_id, self.clock(), self.lease,
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

    async def notify(self, notices: list[str]) -> None:
        """Operational notices to every destination that takes them; best effort."""
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
