"""Extraction speed against feedparser's: the ratio must stay at or below 0.5.

Generates `--items` realistic news items (bench/corpus.py, mostly off topic) in feeds of 50,
times `feedparser.parse` over the feed bytes, then `Extractor(rules).extract(item)` over the
parsed items (bot/parse.py builds them; that step is timed apart and counted in neither).
Each phase is run `--repeat` times and the fastest run counts, to damp noise.

    .venv/bin/python -m bench.extraction                 # 10,000 items
    .venv/bin/python -m bench.extraction --profile 25    # plus the top of a cProfile of extraction
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import feedparser

from bench.corpus import DEFAULT_ON_TOPIC, RULES_DIR, feeds
from bot.extract import Extractor
from bot.models import Item
from bot.parse import parse_feed
from bot.rules import load_rules
from bot.textnorm import fold_lower

TARGET = 0.5
ITEMS_PER_FEED = 50


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in CPU seconds of this process."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        run()
        best = min(best, time.process_time() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--on-topic", type=float, default=DEFAULT_ON_TOPIC,
                    help="share of items that quote tracked actors on tracked topics")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, metavar="N", default=0,
                    help="print the N most expensive functions of one extraction pass")
    args = ap.parse_args(argv)

    n_feeds = max(1, args.items // ITEMS_PER_FEED)
    bodies = list(feeds(n_feeds, ITEMS_PER_FEED, seed=args.seed, on_topic=args.on_topic))
    now = datetime(2025, 6, 1, tzinfo=UTC)
    items: list[Item] = []
    for i, body in enumerate(bodies):
        items.extend(parse_feed(body, f"https://news{i}.example.org/rss", now=now).items)
    rules = load_rules(RULES_DIR)
    extractor = Extractor(rules)
    statements = sum(len(extractor.extract(item)) for item in items)  # also warms caches
    possible = sum(1 for item in items
                   if extractor.topics.item_topics(fold_lower(item.title + "\n" + item.text)))

    parse_s = best_of(args.repeat, lambda: [feedparser.parse(b) for b in bodies])
    extract_s = best_of(args.repeat, lambda: [extractor.extract(item) for item in items])
    to_items_s = best_of(1, lambda: [parse_feed(b, "u", now=now) for b in bodies])

    mb = sum(len(b) for b in bodies) / 1e6
    ratio = extract_s / parse_s
    print(f"corpus: {len(items)} items in {len(bodies)} feeds, {mb:.1f} MB, seed {args.seed}; "
          f"{possible} items pass the topic prefilter; {statements} statements")
    print(f"feedparser.parse:   {parse_s:7.3f} s  {len(items) / parse_s:9.0f} items/s")
    print(f"parse_feed (all):   {to_items_s:7.3f} s  {len(items) / to_items_s:9.0f} items/s"
          "  (feedparser + HTML to text, for reference)")
    print(f"extract:            {extract_s:7.3f} s  {len(items) / extract_s:9.0f} items/s")
    print(f"ratio extract/parse: {ratio:.3f} (target <= {TARGET}) "
          f"{'OK' if ratio <= TARGET else 'OVER TARGET'}")

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for item in items:
            extractor.extract(item)
        prof.disable()
        pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
