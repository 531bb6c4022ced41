"""Broken and hostile feed servers, all at once, beside one good feed: App.poll_once raises
nothing, the good feed's items are processed, each bad feed gets a clear `last_error`."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.models import FeedSpec
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.schedule import PollPolicy
from bot.store import Store, utc
from bot.store.schema import items as items_table
from tests.feedserver import (
    FeedServer,
    endless_redirect,
    good_feed,
    gzip_bomb,
    item,
    rss,
    stall,
    trickle,
)

POLICY = PollPolicy(max_bytes=4 << 20, deadline=1.5, max_items=100)

# path -> what its last_error must say
FAILING = {
    "/http-500": "HTTP 500 Internal Server Error",
    "/http-404": "HTTP 404 Not Found",
    "/rate-limited": "HTTP 429 Too Many Requests, retry after 600 s",
    "/stall": "no complete answer within 1.5 s",
    "/trickle": "no complete answer within 1.5 s",
    "/redirect-loop": "more than 5 redirects",
    "/html": "not a feed: the server sent an HTML page",
    "/gzip-bomb": "decompressed body over the 4194304-byte cap",
    "/too-big": "over the 4194304-byte cap",
    "/binary": "not a feed",
    "/empty": "not a feed: the body is empty",
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_everything(server: FeedServer, now: datetime) -> dict[str, str]:
    """Every hostile route; returns path -> URL."""
    s = server
    urls = {
        "/good": s.static("/good", good_feed(now)),
        "/http-500": s.static("/http-500", "oops", status=500),
        "/http-404": s.static("/http-404", "no", status=404),
        "/rate-limited": s.static("/rate-limited", "later", status=429,
                                  headers={"Retry-After": "600"}),
        "/stall": s.route("/stall", stall),
        "/trickle": s.route("/trickle", trickle),
        "/redirect-loop": s.route("/redirect-loop", endless_redirect),
        "/html": s.static("/html", "<!DOCTYPE html><html><head><title>Welcome</title></head>"
                          "<body><h1>Our news</h1></body></html>", content_type="text/html"),
        "/gzip-bomb": s.static("/gzip-bomb", gzip_bomb(32 << 20),
                               headers={"Content-Encoding": "gzip"}),
        "/too-big": s.static("/too-big", b"<rss>" + b" " * (5 << 20)),
        "/binary": s.static("/binary", bytes(range(256)) * 20),
        "/empty": s.static("/empty", b""),
        # odd but usable
        "/wrong-encoding": s.static(
            "/wrong-encoding",
            rss([item(1, when=now, title="Caf\xe9 talks", guid="latin", link="https://e.test/l")],
                encoding="utf-8").encode("latin-1"),
            content_type="application/rss+xml; charset=utf-8"),
        "/no-encoding": s.static(
            "/no-encoding", rss([item(1, when=now, title="Stra\xdfe", guid="cp", link="https://e.test/c")],
                             declare=False)
            .encode("cp1252"), content_type="application/octet-stream"),
        # lean items: feedparser needs seconds for 10,000 full ones, and that is not under test
        "/ten-thousand": s.static("/ten-thousand", rss(
            [f"<item><guid>many-{n}</guid></item>" for n in range(10_000)])),
        "/no-fields": s.static("/no-fields", rss(
            [item(n, guid=None, link=None) for n in range(5)])),
        "/duplicate-guids": s.static("/duplicate-guids", rss(
            [item(n, when=now, guid="same", link=f"https://dup.example.test/{n}")
             for n in range(5)])),
        "/dates": s.static("/dates", rss(
            [item(1, when=now + timedelta(days=400), guid="future", link="https://d.test/f"),
             item(2, when=datetime(1901, 1, 1, tzinfo=UTC), guid="past", link="https://d.test/p")])),
        "/markup": s.static("/markup", rss([item(
            1, when=now, guid="markup", link="https://m.example.test/1",
            title="<![CDATA[Minister <script>alert(1)</script><b>speaks</b>]]>",
            description="&lt;script&gt;document.cookie&lt;/script&gt;&lt;p onclick='x()'&gt;"
                        "She spoke.&lt;/p&gt;&lt;iframe src='https://evil.test'&gt;&lt;/iframe&gt;")])),
    }
    urls["/refused"] = f"http://127.0.0.1:{closed_port()}/feed"
    return urls


def stored(store: Store, url: str) -> list[dict]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(items_table).where(items_table.c.feed_url == url)
                            .order_by(items_table.c.id)).mappings()
        return [dict(r) for r in rows]


async def test_hostile_feeds_fail_alone_and_the_good_feed_is_processed(
        rules: RuleSet, sqlite_store: Store, tmp_path: Path) -> None:
    store = sqlite_store
    now = datetime.now(UTC)
    async with FeedServer() as server:
        urls = serve_everything(server, now)
        specs = [FeedSpec(url=u, name=p, interval_seconds=600) for p, u in urls.items()]
        app = App(Pipeline(rules, store), specs, [], policy=POLICY)
        summary = await app.poll_once(force=True)

    state = {r.url: r for r in store.all_feeds()}
    by_path = {p: state[u] for p, u in urls.items()}
    for path, message in FAILING.items():
        assert message in (by_path[path].last_error or ""), path
        assert by_path[path].failures == 1, path
        assert by_path[path].next_check_at > now, path
    assert "ConnectError" in by_path["/refused"].last_error
    assert summary.failed == len(FAILING) + 1

    good = by_path["/good"]
    assert good.last_error is None and good.failures == 0 and good.items_seen == 3
    assert good.last_success_at is not None
    assert [r["guid"] for r in stored(store, urls["/good"])] == ["good-2", "good-1", "good-0"]

    # odd but usable feeds: processed, nothing lost
    for path in ("/wrong-encoding", "/no-encoding", "/no-fields", "/duplicate-guids", "/dates",
                 "/markup"):
        assert by_path[path].failures == 0 and by_path[path].last_success_at, path
    assert stored(store, urls["/wrong-encoding"])[0]["title"].startswith("Caf")
    assert stored(store, urls["/no-encoding"])[0]["title"] == "Stra\xdfe"
    no_fields = stored(store, urls["/no-fields"])
    assert len(no_fields) == 5 and all(r["guid"].startswith("sha1:") for r in no_fields)
    assert {r["url"] for r in stored(store, urls["/duplicate-guids"])} == \
        {f"https://dup.example.test/{n}" for n in range(5)}
    dates = {r["guid"]: utc(r["published"]) for r in stored(store, urls["/dates"])}
    assert now <= dates["future"] <= datetime.now(UTC)
    assert dates["past"] == datetime(1901, 1, 1, tzinfo=UTC)
    (markup,) = stored(store, urls["/markup"])
    assert markup["title"] == "Minister speaks"

    many = by_path["/ten-thousand"]
    assert many.items_seen == 100 and many.failures == 0
    assert "10000 items in one fetch; only the newest 100 were read" in (many.last_error or "")
    assert len({r["guid"] for r in stored(store, urls["/ten-thousand"])}) == 100


async def test_a_second_fetch_of_keyless_and_duplicate_guid_feeds_raises_nothing_new(
        rules: RuleSet, sqlite_store: Store) -> None:
    now = datetime.now(UTC)
    async with FeedServer() as server:
        urls = serve_everything(server, now)
        specs = [FeedSpec(url=urls[p], name=p, interval_seconds=600)
                 for p in ("/no-fields", "/duplicate-guids", "/dates", "/good")]
        app = App(Pipeline(rules, sqlite_store), specs, [], policy=POLICY)
        first = await app.poll_once(force=True)
        second = await app.poll_once(force=True)
    assert first.new_items == 5 + 5 + 2 + 3
    assert second.new_items == 0 and second.failed == 0
