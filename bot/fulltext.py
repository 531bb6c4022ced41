"""An article's main text, for feeds whose items only tease the story.

`wants_article` is the pure decision (a short text touching a tracked topic, or a feed marked
`full_text: true`); `main_text` is trafilatura over HTML we fetched ourselves; `fetch_article`
fetches the page with the feed fetcher (same User-Agent, redirect limit and size cap) and never
raises: a page that cannot be used comes back as a reason, and the item keeps its summary.

A link is whatever the feed says, so its page is fetched by a client that connects to public
addresses only (bot/fetch.py: `make_client(public_only=True)`, bot/poller.py), unless the operator
allows private ones (SHIFTWATCH_ALLOW_PRIVATE_LINKS=1).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable
from configparser import ConfigParser
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from bot.errors import AddressRefused, FetchError
from bot.extract.topics import TopicMatcher
from bot.fetch import DEADLINE, MAX_BYTES, fetch
from bot.models import Item
from bot.textnorm import fold_lower

log = logging.getLogger(__name__)
# RSS teasers run to a sentence or two; a feed that carries the story itself is well past this.
SHORT_TEXT_CHARS = 500
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_ERROR_CHARS = 500
# Less than this is a menu, a cookie banner or a paywall notice, not a story.
MIN_ARTICLE_CHARS = 100


@dataclass(frozen=True)
class Article:
    """The page's main text, or why there is none."""

    text: str | None = None
    error: str | None = None


def is_short(item: Item) -> bool:
    return len(item.text.strip()) < SHORT_TEXT_CHARS


def touches_topic(item: Item, topics: TopicMatcher) -> bool:
    """A keyword or a context phrase of any tracked topic in the title or the summary.

    Looser than `TopicMatcher.item_topics` (keyword and context): a teaser is too short to carry
    both, and the article it leads to may ("Scholz rules out soldiers" says nothing of Ukraine).
    """
    return topics.mentions_any(fold_lower(item.title + "\n" + item.text))


def wants_article(item: Item, topics: TopicMatcher, *, always: bool = False) -> bool:
    """Whether the linked page is worth fetching. Only http(s) links: a feed must not make us
    read local files."""
    if not (always or (is_short(item) and touches_topic(item, topics))):
        return False  # most items: decided without parsing their link
    try:
        scheme = urlparse(item.url).scheme
    except ValueError:  # "http://[broken": no page to fetch
        return False
    return scheme in ("http", "https")


def main_text(html: bytes | str, url: str | None = None) -> str | None:
    """The page's main text, one paragraph a line (what the sentence splitter expects)."""
    import trafilatura  # loaded on first use: most commands never need it

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                               include_images=False, include_links=False, output_format="txt",
                               config=_trafilatura_config())
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def with_article(item: Item, article: Article) -> Item:
    """The item extraction runs on: the summary, then the article unless it already holds it."""
    if article.text is None:
        return dataclasses.replace(item, full_text_error=article.error)
    summary = " ".join(item.text.split())
    if not summary or summary in " ".join(article.text.split()):
        text = article.text
    else:
        text = summary + "\n" + article.text
    return dataclasses.replace(item, text=text, full_text=text, full_text_error=None)


async def fetch_article(client: httpx.AsyncClient, url: str, *, max_bytes: int = MAX_BYTES,
                        deadline: float = DEADLINE,
                        slot: contextlib.AbstractAsyncContextManager[Any] | None = None) -> Article:
    """The page at `url` and its main text. `slot` (a host's politeness limit) is held while
    fetching only. The text is extracted on the calling event loop, so call this from one that
    may wait on CPU work (the polling thread's: bot/poller.py)."""
    try:
        async with slot or contextlib.nullcontext():
            got = await fetch(client, url, max_bytes=max_bytes, deadline=deadline)
    except AddressRefused as exc:
        return Article(error=_short(f"{exc}; SHIFTWATCH_ALLOW_PRIVATE_LINKS=1 allows such links"))
    except FetchError as exc:
        return Article(error=_short(f"fetch failed: {exc}"))
    if not got.body:
        return Article(error="fetch failed: empty body")
    headers = {k.lower(): v for k, v in (got.headers or {}).items()}
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        return Article(error=_short(f"not an HTML page: content-type {content_type!r}"))
    try:
        text = main_text(got.body, url)
    except Exception as exc:  # trafilatura/lxml on hostile markup: a reason, never a crash
        return Article(error=_short(f"extraction failed: {type(exc).__name__}: {exc}"))
    if text is None:
        return Article(error="extraction failed: no main text found")
    return Article(text=text)


async def with_full_texts(pages: httpx.AsyncClient, batch: list[Item], topics: TopicMatcher, *,
                          always: bool, max_bytes: int, deadline: float,
                          slot: Callable[[str], contextlib.AbstractAsyncContextManager[Any]]
                          ) -> list[Item]:
    """The items, those that only tease (or all, `always`) with their article's main text,
    the pages fetched together, each under the politeness `slot` of its host. Give it unseen
    items only, so that a page is fetched once; it is cached with the item."""
    async def one(item: Item) -> Item:
        article = await fetch_article(pages, item.url, max_bytes=max_bytes, deadline=deadline,
                                      slot=slot(item.url))
        if article.error:
            log.warning("full text failed: feed_url=%s guid=%s url=%s error=%s",
                        item.feed_url, item.guid, item.url, article.error)
        return with_article(item, article)

    wanted = [n for n, item in enumerate(batch) if wants_article(item, topics, always=always)]
    got = await asyncio.gather(*(one(batch[n]) for n in wanted))
    out = list(batch)
    for n, item in zip(wanted, got, strict=True):
        out[n] = item
    return out


@functools.cache
def _trafilatura_config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", str(MIN_ARTICLE_CHARS))
    return config


def _short(message: str) -> str:
    return message if len(message) <= MAX_ERROR_CHARS else message[:MAX_ERROR_CHARS - 1] + "…"
