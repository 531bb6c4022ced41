"""One full polling cycle, then one where every feed answers 304, against a local HTTP server.

Generates `--feeds` RSS feeds of `--items` items each (bench/corpus.py: realistic text, a few
items on topic) into a temporary folder, serves them from 127.0.0.1 in a subprocess
(bench/feedserver.py, with ETag; its CPU is not counted), and runs `App.poll_once(force=True)`
twice on a fresh SQLite store in the same folder, the App wired as `shiftwatch run` wires it.
Prints feeds per second for both cycles, CPU seconds per item, peak memory (ru_maxrss) and the
ratio of the pipeline's CPU time (fetch, parse, extraction, store; this process only) to
feedparser's parse time of the same bytes.

The headline ratio divides the pipeline's CPU by feedparser's over the same bytes in clean
passes of its own (unpaired: one before the cycles, the rest after, their median). This
machine's speed drifts by a fifth from minute to minute, so a paired figure is printed too:
during the full cycle, each feed body the App fetched is also given to a plain
`feedparser.parse`, timed on its own (thread CPU) in the same thread just before the App parses
it, and taken off the cycle's CPU time.

    .venv/bin/python -m bench.cycle                       # 400 feeds x 50 items
    .venv/bin/python -m bench.cycle --feeds 2000          # the 304 cycle's target size
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser

import bot.app
from bench.corpus import DEFAULT_ON_TOPIC, RULES_DIR, article_html, feed_batches, rss
from bot.app import App
from bot.fetch import SharedClient, make_client
from bot.models import CycleSummary, FeedSpec
from bot.pipeline import Pipeline
from bot.rules import load_rules
from bot.schedule import PollPolicy
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_BELOW_CHARS = 800  # above bot.fulltext.SHORT_TEXT_CHARS: a page for every teaser
WARMUP_FEEDS = 2
TARGET_RATIO = 1.5
TARGET_304_SECONDS = 10.0
TARGET_PEAK_MB = 300.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_site(folder: Path, base: str, prefix: str, n_feeds: int, items: int, *, seed: int,
               on_topic: float) -> tuple[int, int]:
    """Feeds `{prefix}-NNNNN.xml` and the article pages of their teasers; (feed bytes, pages)."""
    total_bytes = articles = 0
    for i, batch in enumerate(feed_batches(n_feeds, items, seed=seed, on_topic=on_topic,
                                           link_base=base)):
        body = rss(batch, title=f"Example News {i}", link=f"{base}/")
        (folder / f"{prefix}-{i:05d}.xml").write_bytes(body)
        total_bytes += len(body)
        for s in batch:  # the pages the app may fetch: those of items that only tease
            if sum(map(len, s.paragraphs)) < ARTICLE_BELOW_CHARS:
                (folder / f"{s.guid}.html").write_bytes(article_html(s))
                articles += 1
    return total_bytes, articles


def start_server(folder: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.feedserver", str(folder)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"the feed server did not start: {line!r}")
    return proc, int(line.split()[1])


def feedparser_cpu(files: list[Path]) -> float:
    """CPU seconds of plain `feedparser.parse` over the files' bytes (reading them not counted)."""
    total = 0.0
    for path in files:
        body = path.read_bytes()
        t0 = time.process_time()
        feedparser.parse(body)
        total += time.process_time() - t0
    return total


class PairedParse:
    """Times a plain `feedparser.parse` of every body the App parses while `active`, in the
    App's polling thread, next to the App's own parse of the same bytes."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.bodies = 0
        self.active = False
        self._parse_feed = bot.poller.parse_feed

    def __call__(self, body: bytes, *args: Any, **kwargs: Any) -> Any:
        if self.active:
            start = time.thread_time()
            feedparser.parse(body)
            self.cpu += time.thread_time() - start
            self.bodies += 1
        return self._parse_feed(body, *args, **kwargs)

    @contextlib.contextmanager
    def installed(self) -> Iterator[PairedParse]:
        bot.poller.parse_feed = self  # type: ignore[assignment]
        try:
            yield self
        finally:
            bot.poller.parse_feed = self._parse_feed


def profiled_polling(app: App, prof: cProfile.Profile) -> None:
    """Profile the polling part of each cycle in the thread it runs in (a profiler enabled in
    the main thread would not see it)."""
    poll_feeds = app.poller.poll_feeds

    async def wrapped(force: bool, summary: CycleSummary) -> None:
        prof.enable()
        try:
            await poll_feeds(force, summary)
        finally:
            prof.disable()

    app.poller.poll_feeds = wrapped  # type: ignore[method-assign]


async def timed_cycle(app: App) -> tuple[CycleSummary, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = await app.poll_once(force=True)
    return summary, time.perf_counter() - wall, time.process_time() - cpu


async def run(app: App, paired: PairedParse) -> list[tuple[CycleSummary, float, float]]:
    try:
        paired.active = True
        full = await timed_cycle(app)
        paired.active = False
        return [full, await timed_cycle(app)]
    finally:
        await app.close()


async def warm_up(app: App) -> None:
    try:
        await app.poll_once(force=True)
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=400)
    ap.add_argument("--items", type=int, default=50, help="items per feed")
    ap.add_argument("--on-topic", type=float, default=DEFAULT_ON_TOPIC)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--concurrency", type=int, default=10, help="feeds fetched at once (App's default)")
    ap.add_argument("--parse-passes", type=int, default=2, metavar="N",
                    help="separate passes of feedparser over the same bytes for the unpaired ratio "
                         "(one before the cycles, the rest after; their median)")
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="cProfile both cycles (CPU time) and print the N most expensive "
                         "functions (the figures are then inflated by the profiler)")
    args = ap.parse_args(argv)
    prof = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not waits
    paired = PairedParse()

    with tempfile.TemporaryDirectory(prefix="shiftwatch-bench-") as tmp:
        folder = Path(tmp) / "site"
        folder.mkdir()
        server, port = start_server(folder)
        try:
            base = f"http://127.0.0.1:{port}"
            total_bytes, articles = write_site(folder, base, "feed", args.feeds, args.items,
                                               seed=args.seed, on_topic=args.on_topic)
            write_site(folder, base, "warmup", WARMUP_FEEDS, args.items, seed=args.seed + 1000,
                       on_topic=0.3)
            feed_files = sorted(folder.glob("feed-*.xml"))
            parse_passes = [feedparser_cpu(feed_files)]
            rules = load_rules(RULES_DIR)
            # Every feed is on 127.0.0.1 here, where in real use 2,000 feeds sit on hundreds of
            # hosts: the per-host politeness limit would serialise them all.
            policy = replace(PollPolicy(), per_host=args.concurrency)

            def make_app(store: Store, prefix: str, n: int) -> App:
                specs = [FeedSpec(url=f"{base}/{prefix}-{i:05d}.xml", name=f"{prefix} {i}",
                                  interval_seconds=900) for i in range(n)]
                # wired as `shiftwatch run` wires it: one shared client whose pool matches the
                # lanes, its keep-alive connections kept from one cycle to the next
                client = SharedClient(lambda: make_client(concurrency=args.concurrency))
                return App(Pipeline(rules, store, platforms=("console",)), specs, [],
                           concurrency=args.concurrency, policy=policy, client_factory=client,
                           allow_private_links=True)  # the article pages are on 127.0.0.1 too

            # One-time costs (lazy imports, compiled caches) are not per-item costs: a warm-up
            # cycle on other feeds and a throw-away store pays them first.
            warm_store = Store(str(Path(tmp) / "warmup.db"))
            asyncio.run(warm_up(make_app(warm_store, "warmup", WARMUP_FEEDS)))
            warm_store.close()
            store = Store(str(Path(tmp) / "bench.db"))
            app = make_app(store, "feed", args.feeds)
            gc.collect()
            base_mb = peak_mb()
            if prof:
                profiled_polling(app, prof)
            with paired.installed():
                (full, full_wall, cycle_cpu), (cached, cached_wall, cached_cpu) = \
                    asyncio.run(run(app, paired))
            top_mb = peak_mb()
            store.close()
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=30)

        parse_passes += [feedparser_cpu(feed_files) for _ in range(max(1, args.parse_passes) - 1)]
    parse_cpu = statistics.median(parse_passes)
    full_cpu = cycle_cpu - paired.cpu
    # the paired parses ran inline on the polling thread, so they lengthened the cycle too
    full_wall_net = full_wall - paired.cpu
    print(f"feeds: {args.feeds} x {args.items} items, {total_bytes / 1e6:.1f} MB, seed {args.seed}, "
          f"concurrency {args.concurrency}, SQLite; {articles} article pages served for teasers")
    print(f"HEADLINE ratio pipeline CPU / feedparser parse, clean passes (unpaired): "
          f"{full_cpu / parse_cpu:.2f} (target <= {TARGET_RATIO})")
    print(f"full cycle:  {full_wall_net:7.2f} s wall {args.feeds / full_wall_net:8.1f} feeds/s  "
          f"{full_cpu:7.2f} s CPU  {full_cpu / max(1, full.items) * 1000:.2f} ms CPU/item  "
          f"(the paired parses' {paired.cpu:.2f} s taken off: {full_wall:.2f} s wall, "
          f"{cycle_cpu:.2f} s CPU in all)")
    print(f"             {full.line()}")
    print(f"304 cycle:   {cached_wall:7.2f} s wall {args.feeds / cached_wall:8.1f} feeds/s  "
          f"{cached_cpu:7.2f} s CPU  (target < {TARGET_304_SECONDS:.0f} s for 2,000 feeds)")
    print(f"             {cached.line()}")
    print(f"peak memory: {top_mb:.0f} MB (ru_maxrss; {base_mb:.0f} MB before the first cycle; "
          f"target < {TARGET_PEAK_MB:.0f} MB)")
    passes = ", ".join(f"{t:.2f}" for t in parse_passes)
    print(f"feedparser.parse of the same bytes: {paired.cpu:.2f} s CPU paired ({paired.bodies} "
          f"bodies, in the cycle); {parse_cpu:.2f} s in separate passes (median of "
          f"{len(parse_passes)}: {passes})")
    print(f"ratio pipeline CPU / feedparser parse: {full_cpu / parse_cpu:.2f} against the clean "
          f"passes (the headline); {full_cpu / paired.cpu:.2f} paired")
    if prof:
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
