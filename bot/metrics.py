"""Prometheus metrics of one process, in a registry of its own (tests build several).

Counters advance from each cycle's `CycleSummary` and from each delivered alert; per-feed gauges
are read from the store's `feeds` table at scrape time, so they hold whatever any worker wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.models import CycleSummary
from bot.store import Store, utc

log = logging.getLogger(__name__)

# Alerts go out within the cycle that found them (seconds) or after retries and rate limits
# (minutes to hours); the outbox gives up after about a day.
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0,
                   24 * 3600.0)


class Metrics:
    def __init__(self, store: Store | None = None):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cycles = Counter("shiftwatch_cycles", "Polling cycles completed", registry=r)
        self.last_cycle = Gauge("shiftwatch_last_cycle_timestamp_seconds",
                                "When the last polling cycle ended (Unix time)", registry=r)
        self.polls = Counter("shiftwatch_feed_polls", "Feed polls by result: fetched (a body), "
                             "not_modified (304) or failed", ["result"], registry=r)
        self.items = Counter("shiftwatch_items", "Feed items read, by whether they were new",
                             ["status"], registry=r)
        self.statements = Counter("shiftwatch_statements", "Statements found in new items",
                                  registry=r)
        self.shifts = Counter("shiftwatch_shifts", "Stance shifts recorded", registry=r)
        self.delivered = Counter("shiftwatch_alerts_delivered", "Alerts delivered, by platform",
                                 ["platform"], registry=r)
        self.latency = Histogram("shiftwatch_alert_delivery_latency_seconds",
                                 "From a shift's detection to its alert's delivery", ["platform"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        for result in ("fetched", "not_modified", "failed"):
            self.polls.labels(result)  # present from the first scrape, at zero
        for status in ("new", "seen"):
            self.items.labels(status)
        if store is not None:
            r.register(FeedCollector(store))

    def observe_cycle(self, summary: CycleSummary) -> None:
        self.cycles.inc()
        self.last_cycle.set_to_current_time()
        fetched = summary.feeds - summary.not_modified - summary.failed
        self.polls.labels("fetched").inc(max(0, fetched))
        self.polls.labels("not_modified").inc(summary.not_modified)
        self.polls.labels("failed").inc(summary.failed)
        self.items.labels("new").inc(summary.new_items)
        self.items.labels("seen").inc(max(0, summary.items - summary.new_items))
        self.statements.inc(summary.statements)
        self.shifts.inc(summary.shifts)

    def observe_delivery(self, destination: str, shift: Mapping[str, Any], sent_at: datetime) -> None:
        """One alert sent; `shift` is its stored record. Latency runs from when the alert could
        first go out: the shift's detection, or its confirmation when it waited for a second
        source (waiting for corroboration is not slow delivery)."""
        platform = destination.partition(":")[0]
        self.delivered.labels(platform).inc()
        since = utc(shift.get("confirmed_at") or shift.get("created_at"))
        if since is not None:
            self.latency.labels(platform).observe(max(0.0, (sent_at - since).total_seconds()))

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The page and its content type, in the format the scraper accepts (Prometheus text or
        OpenMetrics). Reads the store (FeedCollector): call it off the event loop."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class FeedCollector(Collector):
    """Per-feed gauges from the `feeds` table, read at scrape time."""

    def __init__(self, store: Store):
        self.store = store

    def describe(self) -> list[Metric]:
        return []  # no store query at registration time

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("shiftwatch_store_up", "Whether the store answered this scrape")
        last = GaugeMetricFamily("shiftwatch_feed_last_success_timestamp_seconds",
                                 "When the feed was last fetched successfully (Unix time)",
                                 labels=["feed"])
        failures = GaugeMetricFamily("shiftwatch_feed_consecutive_failures",
                                     "Failed polls of the feed since its last success", labels=["feed"])
        disabled = GaugeMetricFamily("shiftwatch_feed_disabled", "1 when the feed is no longer polled",
                                     labels=["feed"])
        try:
            rows = self.store.all_feeds()
        except Exception as exc:  # a scrape must still answer: say the store is down
            log.warning("metrics: cannot read feeds: error=%s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for row in rows:
            url = row.url
            if row.last_success_at is not None:
                last.add_metric([url], _timestamp(row.last_success_at))
            failures.add_metric([url], float(row.failures))
            disabled.add_metric([url], 1.0 if row.disabled else 0.0)
        yield from (up, last, failures, disabled)


def _timestamp(value: datetime) -> float:
    aware = utc(value)
    assert aware is not None
    return aware.timestamp()
