"""Builds small RSS 2.0 feeds for tests (the text of every fixture is written for the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    guid: str
    published: datetime
    text: str
    title: str = "Fixture article"
    link: str = ""


def rss(entries: list[Entry], title: str = "Fixture feed") -> str:
    items = []
    for e in entries:
        link = e.link or f"https://example.org/fixtures/{e.guid}"
        items.append(
            "  <item>\n"
            f"    <title>{escape(e.title)}</title>\n"
            f"    <link>{escape(link)}</link>\n"
            f'    <guid isPermaLink="false">{escape(e.guid)}</guid>\n'
            f"    <pubDate>{format_datetime(e.published)}</pubDate>\n"
            f"    <description>{escape(e.text)}</description>\n"
            "  </item>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
            f"  <title>{escape(title)}</title>\n  <link>https://example.org/</link>\n"
            "  <description>Fixture articles written for shiftwatch tests.</description>\n"
            + "\n".join(items) + "\n</channel></rss>\n")
