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
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


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


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary", "") or entry.get("description", "")
    return best if len(best) > len(summary) else summary


def item_key(guid: str, link: str, title: str, published: datetime | None) -> str:
    """The guid, else the link, else a hash of title, link and date: never empty."""
    if guid:
        return guid
    if link:
        return link
    digest = hashlib.sha1(f"{title}|{link}|{published}".encode()).hexdigest()
    return f"sha1:{digest}"


def parse_feed(body: bytes, feed_url: str, *, now: datetime,
               headers: dict[str, str] | None = None) -> ParsedFeed:
    """Parse `body`; entries without a date get `now`. Never raises on bad input."""
    try:
        parsed = feedparser.parse(body, response_headers=headers or {})
    except Exception as exc:
        return ParsedFeed([], "", None, f"cannot parse: {exc}")
    feed = parsed.get("feed", {}) or {}
    entries = parsed.get("entries", []) or []
    if not entries and not feed.get("title") and parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        return ParsedFeed([], "", None, f"not a feed: {reason}")
    items: list[Item] = []
    seen: set[str] = set()
    for entry in entries:
        title = html_to_text(entry.get("title", "") or "")
        link = (entry.get("link") or "").strip()
        published = _when(entry)
        guid = item_key((entry.get("id") or "").strip(), link, title, published)
        if guid in seen:  # a feed that repeats a guid: fall back to the link, then a hash
            guid = item_key("", link if f"{link}" not in seen else "", title, published)
        seen.add(guid)
        items.append(Item(feed_url=feed_url, guid=guid, url=link, title=title,
                          text=html_to_text(_body(entry)), published=published or now))
    ttl = feed.get("ttl")
    try:
        ttl_minutes = int(ttl) if ttl else None
    except (TypeError, ValueError):
        ttl_minutes = None
    return ParsedFeed(items, html_to_text(feed.get("title", "") or ""), ttl_minutes, None)
