"""Feed bytes -> Items, through feedparser (always given bytes, never a URL). Pure."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.models import Item

_BLOCK_TAGS = frozenset("""
p br div li ul ol h1 h2 h3 h4 h5 h6 blockquote tr table section article figcaption figure header
footer pre hr
""".split())
# Elements whose content is code, markup or fallback rather than the story's words. Only text
# leaves this module, so feedparser's own HTML sanitising and URI resolution are skipped: they
# rewrite markup we throw away, and cost a third of its parse time.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "applet", "object", "iframe",
                        "svg", "math"})


@dataclass(frozen=True)
class ParsedFeed:
    items: list[Item]
    title: str
    ttl_minutes: int | None
    problem: str | None   # set when the body is not a usable feed


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text with one paragraph per line; markup, scripts and styles removed."""
    if "<" not in value and "&" not in value:
        text = value
    else:
        parser = _TextExtractor()
        try:
            parser.feed(value)
            parser.close()
            text = "".join(parser.parts)
        except Exception:
            text = html.unescape(re.sub(r"<[^>]*>", " ", value))
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _row(entry: Any) -> tuple[str, str, str, str, datetime | None]:
    """(guid, link, title, text, date) of one entry, all plain strings."""
    title = html_to_text(_str(entry.get("title")))
    link = _str(entry.get("link")).strip()
    return _str(entry.get("id")).strip(), link, title, html_to_text(_body(entry)), _when(entry)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _reason(exc: Any) -> str:
    text = str(exc or "unknown problem").strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "") or entry.get("description", "")
    return best if len(best) > len(summary) else summary


def item_key(guid: str, link: str, title: str, published: datetime | None, text: str = "") -> str:
    """The guid, else the link, else a hash of title, link and date (the text too when those
    are all empty): never empty. `published` is the entry's own date, None when it has none,
    so that an undated item keeps its key from one fetch to the next."""
    if guid:
        return guid
    if link:
        return link
    return _hash_key(title, link, published, text)


def _hash_key(title: str, link: str, published: datetime | None, text: str = "") -> str:
    when = published.isoformat() if published else ""
    seed = f"{title}|{link}|{when}" if (title or link or when) else f"||{text}"
    return f"sha1:{hashlib.sha1(seed.encode('utf-8', 'surrogatepass')).hexdigest()}"


def key_field(guids: list[str], links: list[str]) -> str:
    """Which field keys this fetch's items: 'guid', 'link' or 'hash'.

    As FreshRSS does, a field is trusted for the whole fetch only when at most 5 % of the
    entries leave it blank or repeat it; deciding per fetch (not per item) keeps one feed's
    keys consistent, so an item is neither lost (two items on one key) nor raised twice."""
    for name, values in (("guid", guids), ("link", links)):
        if _mostly_unique(values):
            return name
    return "hash"


def _mostly_unique(values: list[str]) -> bool:
    if not values:
        return True
    seen: set[str] = set()
    bad = 0
    for v in values:
        if not v or v in seen:
            bad += 1
        seen.add(v)
    return bad <= 0.05 * len(values)


def parse_feed(body: bytes, feed_url: str, *, now: datetime,
               headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse `body`; entries without a date get `now`, dates after `now` become `now`.
    Never raises on bad input."""
    if not body.strip():
        return ParsedFeed([], "", None, "not a feed: the body is empty")
    try:
        parsed = feedparser.parse(body, response_headers=headers or {}, sanitize_html=False,
                                  resolve_relative_uris=False)
        feed = parsed.get("feed", {}) or {}
        entries = parsed.get("entries", []) or []
    except Exception as exc:
        return ParsedFeed([], "", None, f"cannot parse: {type(exc).__name__}: {exc}")
    if not entries and _looks_like_html(body):
        return ParsedFeed([], "", None, "not a feed: the server sent an HTML page")
    if not entries and not feed.get("title") and parsed.get("bozo"):
        return ParsedFeed([], "", None, f"not a feed: {_reason(parsed.get('bozo_exception'))}")
    if not entries and not parsed.get("version"):
        return ParsedFeed([], "", None, "not a feed: no RSS, Atom or RDF document found")
    rows = []
    for entry in entries:
        try:
            rows.append(_row(entry))
        except Exception:  # one entry feedparser could not make sense of: skip it, keep the rest
            continue
    field = key_field([r[0] for r in rows], [r[1] for r in rows])
    items: list[Item] = []
    seen: set[str] = set()
    for guid, link, title, text, published in rows:
        if field == "guid":
            key = item_key(guid, link, title, published, text)
        elif field == "link":
            key = item_key("", link, title, published, text)
        else:
            key = _hash_key(title, link, published, text)
        if key in seen:  # a repeat within this fetch: the content decides
            key = _hash_key(title, link, published, text)
            if key in seen:
                continue  # the very same entry twice
        seen.add(key)
        when = min(published, now) if published else now
        items.append(Item(feed_url=feed_url, guid=key, url=link, title=title, text=text,
                          published=when))
    ttl = feed.get("ttl")
    try:
        ttl_minutes = int(ttl) if ttl else None
    except (TypeError, ValueError):
        ttl_minutes = None
    return ParsedFeed(items, html_to_text(_str(feed.get("title"))), ttl_minutes, None)
