"""Delivery as a job of its own: an alert does not wait for the slowest feed of its cycle."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bot.app import App
from bot.chat.console import ConsoleDestination
from bot.models import FeedSpec
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.store import Store
from tests.feedfactory import Entry, rss
from tests.feedserver import FeedServer

SAID = [
    '"Sending Western troops to Ukraine is out of the question," Keir Starmer told reporters.',
    '"We are ready to send troops to Ukraine," Keir Starmer said at a news conference.',
]


def alerts_in(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


async def test_an_alert_is_delivered_while_a_slow_feed_of_its_cycle_is_still_being_fetched(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    shifting = rss([Entry(f"starmer-{n}", now - timedelta(hours=3 - n), text)
                    for n, text in enumerate(SAID)])
    asked, answer = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        asked.set()
        await answer.wait()  # a server that takes its time: the cycle cannot end before it
        return web.Response(text=rss([]), content_type="application/rss+xml")

    alerts = tmp_path / "alerts.jsonl"
    async with FeedServer() as server:
        # one lane claims both (the shifting one first) and polls them in turn: the cycle
        # ends only once the slow one answers
        feeds = [FeedSpec(server.static("/shifting", shifting), "Shifting", 600),
                 FeedSpec(server.route("/slow", slow), "Slow", 600)]
        app = App(Pipeline(rules, sqlite_store), feeds, [ConsoleDestination(alerts, out=None)],
                  tick_seconds=0.2, concurrency=1)
        running = asyncio.create_task(app.run())
        try:
            for _ in range(200):
                if alerts_in(alerts):
                    break
                await asyncio.sleep(0.05)
            delivered = alerts_in(alerts)
            still_fetching = asked.is_set() and not answer.is_set()
        finally:
            answer.set()
            app.stop()
            await asyncio.wait_for(running, 15)
    assert still_fetching
    assert [(a["actor"], a["from"], a["to"]) for a in delivered] == [
        ("Keir Starmer", "opposes", "supports")]
