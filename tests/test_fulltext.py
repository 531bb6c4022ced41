"""Full text when a feed only teases: article pages served from a real HTTP server on 127.0.0.1.

Article pages are fetched from public addresses only unless the App allows private ones: these
tests' pages are on 127.0.0.1, so most of them allow it (`app_for`), and the ones at the end
show what the default refuses."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import App
from bot.extract import Extractor
from bot.extract.topics import TopicMatcher
from bot.fulltext import SHORT_TEXT_CHARS, Article, main_text, wants_article, with_article
from bot.models import FeedSpec, Item
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.schedule import PollPolicy
from bot.store import Store
from bot.store.schema import items
from tests.feedfactory import Entry, rss
from tests.feedserver import FeedServer, Overlap

DAY = datetime(2025, 3, 4, 8, tzinfo=UTC)
CAP = 64 * 1024  # the body cap the app is given: an oversized page needs no 10 MB

TEASER = "Poland's prime minister spoke to reporters in Warsaw about the war."
STATEMENT = ("Polish Prime Minister Donald Tusk told reporters in Warsaw that Poland had no plans to "
             "send its soldiers to Ukraine.")
LONG_FEED_TEXT = ("Italian Prime Minister Giorgia Meloni spoke at length in Rome on Tuesday. " * 8).strip()


def article_html(*paragraphs: str, title: str = "Warsaw briefing") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{title}</title></head><body>"
            "<nav><a href='/'>Home</a> | <a href='/world'>World</a> | <a href='/sport'>Sport</a></nav>"
            f"<article><h1>{title}</h1>{body}</article>"
            "<footer>Copyright 2025 Fixture News. All rights reserved.</footer></body></html>")


ARTICLE = article_html(
    "The government held its weekly briefing in the capital on Tuesday morning, with ministers "
    "taking questions on the economy, the budget and the war next door.",
    STATEMENT,
    "He added that Warsaw would keep training Ukrainian recruits on Polish soil and would go on "
    "sending equipment across the border as long as it was needed.")


@dataclass
class Site:
    """A news site on 127.0.0.1: a feed and its article pages, counting every request."""

    base: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    feed: str = ""

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()
    oversized = b"<html><body><p>" + b"x" * (CAP + 1) + b"</p></body></html>"

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        state.hits[path] = state.hits[path] + 1
        if path == "/feed.xml":
            return web.Response(text=state.feed, content_type="application/rss+xml")
        if path == "/news/tusk-briefing":
            return web.Response(text=ARTICLE, content_type="text/html")
        if path == "/news/data":
            return web.Response(text='{"statement": "' + STATEMENT + '"}', content_type="application/json")
        if path == "/news/huge":
            return web.Response(body=oversized, content_type="text/html")
        if path == "/news/empty-page":
            return web.Response(text="<html><body><nav>Home</nav></body></html>", content_type="text/html")
        return web.Response(status=404, text="not found")

    server = web.Application()
    server.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    state.base = f"http://{host}:{port}"
    yield state
    await runner.cleanup()


def teaser(guid: str, link: str, *, hours: int = 0, title: str = "Tusk on Ukraine",
           text: str = TEASER) -> Entry:
    return Entry(guid, DAY + timedelta(hours=hours), text, title=title, link=link)


def app_for(rules: RuleSet, store: Store, site: Site, *, full_text: bool = False,
            allow_private_links: bool = True) -> App:
    spec = FeedSpec(url=site.url("/feed.xml"), name="Fixture News", interval_seconds=60,
                    full_text=full_text)
    return App(Pipeline(rules, store, platforms=()), [spec], [], policy=PollPolicy(max_bytes=CAP),
               allow_private_links=allow_private_links)


def stored_items(store: Store) -> dict[str, dict]:
    with store.begin() as conn:
        rows = conn.execute(select(items.c.guid, items.c.full_text, items.c.full_text_error)).mappings()
        return {r["guid"]: dict(r) for r in rows}


# ---------------------------------------------------------------------- the decision (pure)

def test_a_short_teaser_on_a_tracked_topic_wants_its_article(rules: RuleSet) -> None:
    topics = TopicMatcher(rules)
    item = Item("f", "g", "https://example.org/a", "Tusk on Ukraine", TEASER, DAY)
    assert wants_article(item, topics)


def test_a_short_item_off_every_topic_is_left_alone(rules: RuleSet) -> None:
    topics = TopicMatcher(rules)
    item = Item("f", "g", "https://example.org/a", "Cup final tonight",
                "The two clubs meet at the national stadium after a long season.", DAY)
    assert not wants_article(item, topics)
    assert wants_article(item, topics, always=True)  # feeds.yaml: full_text: true


def test_a_long_text_is_the_story_itself(rules: RuleSet) -> None:
    topics = TopicMatcher(rules)
    text = ("Tusk spoke about troops in Ukraine. " * 30).strip()
    assert len(text) >= SHORT_TEXT_CHARS
    item = Item("f", "g", "https://example.org/a", "Tusk on Ukraine", text, DAY)
    assert not wants_article(item, topics)
    assert wants_article(item, topics, always=True)


@pytest.mark.parametrize("link", ["", "file:///etc/passwd", "/etc/passwd", "ftp://example.org/a",
                                  "http://[broken/news/1"])
def test_only_http_links_are_ever_fetched(rules: RuleSet, link: str) -> None:
    item = Item("f", "g", link, "Tusk on Ukraine", TEASER, DAY)
    assert not wants_article(item, TopicMatcher(rules), always=True)


def test_main_text_drops_navigation_and_keeps_paragraphs() -> None:
    text = main_text(ARTICLE, "https://example.org/news/tusk-briefing")
    assert text is not None
    assert STATEMENT in text.splitlines()
    assert "Sport" not in text and "All rights reserved" not in text


def test_the_article_extends_a_summary_it_does_not_contain() -> None:
    item = Item("f", "g", "https://example.org/a", "T", TEASER, DAY)
    got = with_article(item, Article(text="First paragraph.\nSecond paragraph."))
    assert got.text == TEASER + "\nFirst paragraph.\nSecond paragraph."
    assert got.full_text == got.text and got.full_text_error is None
    same = with_article(item, Article(text=f"Intro.\n{TEASER}\nMore."))
    assert same.text == f"Intro.\n{TEASER}\nMore."
    failed = with_article(item, Article(error="fetch failed: HTTP 404 Not Found"))
    assert (failed.text, failed.full_text) == (TEASER, None)
    assert failed.full_text_error == "fetch failed: HTTP 404 Not Found"


# ---------------------------------------------------------------------- polling over HTTP

async def test_the_statement_in_the_article_is_found_only_thanks_to_full_text(
        rules: RuleSet, store: Store, site: Site) -> None:
    link = site.url("/news/tusk-briefing")
    site.feed = rss([teaser("t1", link)])
    # The feed's own text says nothing extraction can use.
    assert Extractor(rules).extract(Item("f", "t1", link, "Tusk on Ukraine", TEASER, DAY)) == []

    summary = await app_for(rules, store, site).poll_once(force=True)

    assert (summary.new_items, summary.statements) == (1, 1)
    [row] = store.history("donald-tusk", "troops-to-ukraine")
    assert (row.stance, row.evidence, row.item_guid) == ("opposes", STATEMENT, "t1")
    cached = stored_items(store)["t1"]
    assert STATEMENT in cached["full_text"] and cached["full_text_error"] is None
    assert site.hits["/news/tusk-briefing"] == 1


async def test_a_page_that_cannot_be_used_leaves_the_summary_and_records_why(
        rules: RuleSet, store: Store, site: Site, caplog: pytest.LogCaptureFixture) -> None:
    site.feed = rss([teaser("gone", site.url("/news/missing"), hours=1),
                     teaser("json", site.url("/news/data"), hours=2),
                     teaser("huge", site.url("/news/huge"), hours=3),
                     teaser("bare", site.url("/news/empty-page"), hours=4)])

    summary = await app_for(rules, store, site).poll_once(force=True)

    assert (summary.new_items, summary.statements, summary.failed) == (4, 0, 0)
    stored = stored_items(store)
    assert all(stored[g]["full_text"] is None for g in ("gone", "json", "huge", "bare"))
    assert "HTTP 404" in stored["gone"]["full_text_error"]
    assert "not an HTML page" in stored["json"]["full_text_error"]
    assert "application/json" in stored["json"]["full_text_error"]
    assert f"{CAP}-byte cap" in stored["huge"]["full_text_error"]
    assert stored["bare"]["full_text_error"] == "extraction failed: no main text found"
    assert "full text failed" in caplog.text and site.url("/news/missing") in caplog.text


async def test_a_second_poll_fetches_no_page_again(rules: RuleSet, store: Store, site: Site) -> None:
    site.feed = rss([teaser("t1", site.url("/news/tusk-briefing")),
                     teaser("gone", site.url("/news/missing"), hours=1)])
    app = app_for(rules, store, site)
    await app.poll_once(force=True)
    second = await app.poll_once(force=True)

    assert second.new_items == 0
    assert site.hits["/feed.xml"] == 2
    assert (site.hits["/news/tusk-briefing"], site.hits["/news/missing"]) == (1, 1)


async def test_long_or_off_topic_items_are_not_fetched_unless_the_feed_asks(
        rules: RuleSet, store: Store, site: Site) -> None:
    site.feed = rss([teaser("long", site.url("/news/tusk-briefing"), title="Meloni in Rome",
                            text=LONG_FEED_TEXT),
                     teaser("sport", site.url("/news/missing"), hours=1, title="Cup final",
                            text="The two clubs meet at the national stadium tonight.")])
    await app_for(rules, store, site).poll_once(force=True)
    assert site.hits["/news/tusk-briefing"] == site.hits["/news/missing"] == 0
    assert all(r["full_text"] is None and r["full_text_error"] is None
               for r in stored_items(store).values())


async def test_a_full_text_feed_fetches_every_article(rules: RuleSet, store: Store, site: Site) -> None:
    site.feed = rss([teaser("long", site.url("/news/tusk-briefing"), title="Meloni in Rome",
                            text=LONG_FEED_TEXT)])
    summary = await app_for(rules, store, site, full_text=True).poll_once(force=True)
    assert site.hits["/news/tusk-briefing"] == 1
    assert summary.statements == 1
    assert [r.evidence for r in store.history("donald-tusk")] == [STATEMENT]


async def test_article_pages_share_their_host_s_politeness_limit(rules: RuleSet, store: Store
                                                                 ) -> None:
    slow_page = Overlap(lambda request: web.Response(text=ARTICLE, content_type="text/html"))
    async with FeedServer() as server:
        pages = [server.route(f"/news/p{n}", slow_page) for n in range(5)]
        feed = rss([teaser(f"t{n}", page, hours=n) for n, page in enumerate(pages)])
        url = server.static("/feed.xml", feed)
        feed_spec = FeedSpec(url=url, name="Fixture News", interval_seconds=60)
        app = App(Pipeline(rules, store, platforms=()), [feed_spec], [],
                  policy=PollPolicy(max_bytes=CAP, per_host=2), allow_private_links=True)
        await app.poll_once(force=True)

    stored = stored_items(store)
    assert len(stored) == 5 and all(STATEMENT in r["full_text"] for r in stored.values())
    assert slow_page.most == 2


# ---------------------------------------------------------------------- links to private addresses

async def test_a_teaser_linking_to_a_loopback_address_keeps_its_summary_and_the_page_is_not_fetched(
        rules: RuleSet, store: Store, site: Site, caplog: pytest.LogCaptureFixture) -> None:
    link = site.url("/news/tusk-briefing")
    assert link.startswith("http://127.0.0.1:")
    site.feed = rss([teaser("t1", link)])

    summary = await app_for(rules, store, site, allow_private_links=False).poll_once(force=True)

    assert site.hits["/news/tusk-briefing"] == 0
    # the feed, listed by the operator, is on 127.0.0.1 too and is polled as ever
    assert site.hits["/feed.xml"] == 1
    assert (summary.feeds, summary.failed, summary.new_items, summary.statements) == (1, 0, 1, 0)
    stored = stored_items(store)["t1"]
    assert stored["full_text"] is None
    assert stored["full_text_error"].startswith("refused: 127.0.0.1 is a private address (loopback)")
    assert "SHIFTWATCH_ALLOW_PRIVATE_LINKS=1" in stored["full_text_error"]
    assert "full text failed" in caplog.text and "refused: 127.0.0.1" in caplog.text


async def test_a_teaser_linking_to_a_name_that_resolves_to_loopback_is_not_fetched(
        rules: RuleSet, store: Store, site: Site) -> None:
    link = site.url("/news/tusk-briefing").replace("127.0.0.1", "localhost")
    site.feed = rss([teaser("t1", link)])

    await app_for(rules, store, site, allow_private_links=False).poll_once(force=True)

    assert site.hits["/news/tusk-briefing"] == 0
    error = stored_items(store)["t1"]["full_text_error"]
    assert error.startswith("refused: localhost resolves to a private address ")
    assert "(loopback)" in error


async def test_with_private_links_allowed_the_same_local_page_is_fetched(
        rules: RuleSet, store: Store, site: Site) -> None:
    site.feed = rss([teaser("t1", site.url("/news/tusk-briefing").replace("127.0.0.1", "localhost"))])

    summary = await app_for(rules, store, site, allow_private_links=True).poll_once(force=True)

    assert site.hits["/news/tusk-briefing"] == 1
    assert summary.statements == 1
    assert stored_items(store)["t1"]["full_text_error"] is None
