"""`shiftwatch feeds`: each feed's status; `feeds enable URL`."""

from __future__ import annotations

import argparse
import difflib
import sys
from datetime import datetime
from typing import Any

from bot.cli_common import existing_store, plural, print_json
from bot.errors import BotError
from bot.feeds import load_feeds
from bot.settings import Settings
from bot.store import FeedRow, Store


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    store = existing_store(settings, readonly=args.action == "list")
    try:
        rows = {r.url: r for r in store.all_feeds()}
        readable = True
        try:
            listed = load_feeds(settings.feeds_file)
        except BotError as exc:
            if args.action == "list" and not rows:
                raise  # nothing to show but the file's problem
            # the database still knows every feed it has polled
            print(f"shiftwatch: {settings.feeds_file} not read, showing the database only:\n{exc}",
                  file=sys.stderr)
            listed, readable = [], False
        if args.action == "enable":
            return _enable_feed(store, args.url, rows, [f.url for f in listed])
        names = {f.url: f.name for f in listed}
        report = [feed_status(rows.get(url) or FeedRow(url), names.get(url))
                  for url in dict.fromkeys([*names, *rows])]
    finally:
        store.close()
    if args.json:
        print_json(report)
        return 0
    if not report:
        print(f"No feeds: {settings.feeds_file} lists none and none were polled yet.")
    for r in report:
        extra = "" if r["listed"] or not readable else "  (no longer in the feeds file)"
        print(f"{r['status']:<8} {r['url']}{extra}\n"
              f"         last success {r['last_success_at'] or 'never'}, next check "
              f"{r['next_check_at'] or '-'}, {plural(r['items_seen'], 'item')} seen, "
              f"{plural(r['failures'], 'failure')}")
        if r["disabled_reason"]:
            print(f"         disabled {r['disabled_at']}: {r['disabled_reason']}")
        elif r["last_error"]:
            print(f"         last error: {r['last_error']}")
    return 0


def feed_status(row: FeedRow, name: str | None) -> dict[str, Any]:
    """One feed's line of `shiftwatch feeds`, as JSON-ready values."""
    def when(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    if row.disabled:
        status = "disabled"
    elif row.failures:
        status = "failing"
    elif row.last_success_at:
        status = "ok"
    else:
        status = "new"
    return {"url": row.url, "name": name or row.name or row.url, "status": status,
            "listed": name is not None, "last_success_at": when(row.last_success_at),
            "last_checked_at": when(row.last_checked_at), "next_check_at": when(row.next_check_at),
            "last_error": row.last_error, "failures": row.failures,
            "items_seen": row.items_seen, "disabled_at": when(row.disabled_at),
            "disabled_reason": row.disabled_reason}


def _enable_feed(store: Store, url: str | None, rows: dict[str, FeedRow], listed: list[str]) -> int:
    if not url:
        raise BotError("usage: shiftwatch feeds enable URL  (the URL as `shiftwatch feeds` shows it)")
    url = url.strip()
    if url not in rows:
        if url in listed:
            print(f"{url} has not been polled yet; it is not disabled.")
            return 0
        known = list(dict.fromkeys([*rows, *listed]))
        close = difflib.get_close_matches(url, known, n=3, cutoff=0.5)
        hint = ("; did you mean " + " or ".join(close) + "?") if close else \
            ("; known feeds: " + ", ".join(known[:5]) if known else "; no feed is known yet")
        raise BotError(f"unknown feed {url!r}{hint}")
    if not rows[url].disabled:
        print(f"{url} is not disabled (status: {feed_status(rows[url], None)['status']}).")
        return 0
    store.enable_feed(url)
    print(f"enabled {url}: it will be checked at the next tick.")
    return 0
