"""Shift and position records -> console text, JSON, Telegram HTML, Slack mrkdwn. Pure.

All escaping lives here: every piece of text that comes from a feed or a rule is escaped for
the format it goes into.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MAGNITUDE_WORDS = {1: "half flip", 2: "full flop", 3: "full flop"}


@dataclass(frozen=True)
class AlertView:
    """Everything an alert shows, from one stored shift."""

    shift_id: int
    actor: str
    actor_id: str
    country: str
    topic: str
    from_stance: str
    to_stance: str
    magnitude: int
    item: str
    url: str
    published: datetime
    evidence: str
    confidence: float
    prev_item: str
    prev_url: str
    prev_published: datetime
    prev_evidence: str

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> AlertView:
        return cls(shift_id=r["id"], actor=r["actor_name"], actor_id=r["actor_id"],
                   country=r["country"], topic=r["topic"], from_stance=r["from_stance"],
                   to_stance=r["to_stance"], magnitude=r["magnitude"], item=r["item_guid"],
                   url=r["url"], published=r["published"], evidence=r["evidence"],
                   confidence=r["confidence"], prev_item=r["prev_item_guid"],
                   prev_url=r["prev_url"], prev_published=r["prev_published"],
                   prev_evidence=r["prev_evidence"])

    @property
    def magnitude_word(self) -> str:
        return MAGNITUDE_WORDS.get(self.magnitude, "full flop")


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def shift_json(a: AlertView) -> dict[str, Any]:
    """The replay/alerts JSON contract (keys are read by other tools: keep them)."""
    return {
        "type": "shift", "item": a.item, "url": a.url, "published": iso(a.published),
        "actor": a.actor, "actor_id": a.actor_id, "country": a.country, "topic": a.topic,
        "from": a.from_stance, "to": a.to_stance, "evidence": a.evidence,
        "confidence": a.confidence, "magnitude": a.magnitude,
        "previous": {"item": a.prev_item, "url": a.prev_url,
                     "published": iso(a.prev_published), "evidence": a.prev_evidence},
    }


def shift_text(a: AlertView) -> str:
    return (
        f"SHIFT {a.actor} ({a.country}) on {a.topic}: {a.from_stance} -> {a.to_stance}"
        f" [{a.magnitude_word}]\n"
        f"  now ({a.published:%Y-%m-%d}): \"{a.evidence}\"\n"
        f"  source: {a.url or a.item}\n"
        f"  before ({a.prev_published:%Y-%m-%d}, {a.from_stance}): \"{a.prev_evidence}\"\n"
        f"  source: {a.prev_url or a.prev_item}"
    )


def shift_telegram_html(a: AlertView) -> str:
    e = html.escape
    link = f'<a href="{e(a.url, quote=True)}">source</a>' if a.url else e(a.item)
    prev_link = (f'<a href="{e(a.prev_url, quote=True)}">source</a>' if a.prev_url
                 else e(a.prev_item))
    return (
        f"<b>{e(a.actor)}</b> ({e(a.country)}) on <i>{e(a.topic)}</i>\n"
        f"<b>{e(a.from_stance)} → {e(a.to_stance)}</b> ({e(a.magnitude_word)})\n\n"
        f"<blockquote>{e(a.evidence)}</blockquote>\n"
        f"{a.published:%Y-%m-%d} · {link}\n\n"
        f"Before ({a.prev_published:%Y-%m-%d}, {e(a.from_stance)}):\n"
        f"<blockquote>{e(a.prev_evidence)}</blockquote>\n{prev_link}"
    )


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters: & < > (this also defuses <!channel> and links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shift_slack(a: AlertView) -> tuple[str, list[dict[str, Any]]]:
    """Plain-text fallback and Block Kit blocks."""
    e = slack_escape
    header = f"{a.actor} ({a.country}): {a.from_stance} → {a.to_stance}"
    quote = e(a.evidence)[:2900]
    context = (f"{a.topic} · {a.magnitude_word} · {a.published:%Y-%m-%d} · "
               f"before ({a.prev_published:%Y-%m-%d}): {a.from_stance} — "
               f"“{e(a.prev_evidence)[:600]}”")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"> {quote}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:2900]}]},
    ]
    if a.url.startswith(("http://", "https://")):
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"<{e(a.url)}|Read the source>"}})
    fallback = e(f"{header}: \"{a.evidence}\" ({a.url or a.item})")
    return fallback, blocks


def position_line(p: Any, *, unconfirmed: bool = False) -> str:
    mark = " (unconfirmed)" if unconfirmed else ""
    return (f"{p.actor_name} ({p.country}) on {p.topic}: {p.stance}{mark} since "
            f"{p.since:%Y-%m-%d}\n  \"{p.evidence}\"\n  {p.url or p.item_guid}")


def position_json(p: Any) -> dict[str, Any]:
    return {"actor": p.actor_name, "actor_id": p.actor_id, "country": p.country,
            "topic": p.topic, "stance": p.stance, "since": iso(p.since),
            "evidence": p.evidence, "url": p.url}


def statement_json(s: Any) -> dict[str, Any]:
    return {"type": "statement", "item": s.item_guid, "url": s.url,
            "published": iso(s.published), "actor": s.actor_name, "actor_id": s.actor_id,
            "country": s.country, "topic": s.topic, "stance": s.stance,
            "historical": s.historical, "confidence": s.confidence, "evidence": s.evidence,
            "said_on": iso(s.said_on), "attribution": s.attribution}
