"""Shifts, positions and answers -> console text, JSON, Telegram HTML, Slack mrkdwn. Pure.

All escaping lives here: every piece of text that comes from a feed or a rule is escaped for
the format it goes into.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.shifts import magnitude_steps, magnitude_words

if TYPE_CHECKING:
    from bot.models import Statement
    from bot.queries import History, Positions
    from bot.rules import Topic

MAX_COPIES_SHOWN = 8
MAX_QUOTE_CHARS = 1000  # two quotes, escaped, and the rest stay under Telegram's 4096
CHAT_QUOTE_CHARS = 800  # one quote in a Telegram /positions or /history answer
SLACK_QUOTE_CHARS = 500  # the same in Slack


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
    copies: tuple[tuple[str, str], ...] = ()   # syndicated copies: (feed name, URL)
    corroborated_by: str = ""                  # the second source that confirmed a held shift
    key: str = ""                              # the stored shift's identity (`Shift.key`)

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> AlertView:
        return cls(shift_id=r["id"], actor=r["actor_name"], actor_id=r["actor_id"],
                   country=r["country"], topic=r["topic"], from_stance=r["from_stance"],
                   to_stance=r["to_stance"], magnitude=r["magnitude"], item=r["item_guid"],
                   url=r["url"], published=r["published"], evidence=r["evidence"],
                   confidence=r["confidence"], prev_item=r["prev_item_guid"],
                   prev_url=r["prev_url"], prev_published=r["prev_published"],
                   prev_evidence=r["prev_evidence"],
                   copies=tuple((str(n), str(u)) for n, u in r.get("copies") or ()),
                   corroborated_by=r.get("corroborated_by") or "", key=r.get("key") or "")

    @property
    def magnitude_word(self) -> str:
        """"half flip" (one step on the stance scale) or "full flop" (two or more)."""
        return magnitude_words(self.magnitude)

    @property
    def magnitude_steps(self) -> str:
        return magnitude_steps(self.magnitude)

    @property
    def extra_sources(self) -> list[tuple[str, str]]:
        """Other sources to list: the confirming one first, then syndicated copies."""
        out = [("confirmed by", self.corroborated_by)] if self.corroborated_by else []
        return out + list(self.copies)


def plural(count: int, word: str, words: str | None = None) -> str:
    """"1 shift", "2 shifts", "0 shifts" (`words`: an irregular plural)."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def duration_text(value: timedelta | float | None) -> str:
    """A duration as the settings take it: 30s, 0.5s, 10m, 48h, 7d ("off" for none)."""
    if value is None:
        return "off"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds != int(seconds) or seconds < 60:
        return f"{seconds:g}s"
    seconds = int(seconds)
    if seconds % 86400 == 0 and seconds > 3 * 86400:  # a week reads better as 7d than 168h
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def shift_json(a: AlertView) -> dict[str, Any]:
    """The replay/alerts JSON contract (keys are read by other tools: keep them)."""
    return {
        "type": "shift", "item": a.item, "url": a.url, "published": iso(a.published),
        "actor": a.actor, "actor_id": a.actor_id, "country": a.country, "topic": a.topic,
        "from": a.from_stance, "to": a.to_stance, "evidence": a.evidence,
        "confidence": a.confidence, "magnitude": a.magnitude,
        "magnitude_label": a.magnitude_word,
        "previous": {"item": a.prev_item, "url": a.prev_url,
                     "published": iso(a.prev_published), "evidence": a.prev_evidence},
        "corroborated_by": a.corroborated_by or None,
        "also_reported_by": [{"feed": name, "url": url} for name, url in a.copies],
    }


def shift_text(a: AlertView) -> str:
    return (
        f"SHIFT {a.actor} ({a.country}) on {a.topic}: {a.from_stance} -> {a.to_stance}"
        f" [{a.magnitude_word}, {a.magnitude_steps}]\n"
        f"  now ({a.published:%Y-%m-%d}): \"{a.evidence}\"\n"
        f"  source: {a.url or a.item}\n"
        + "".join(f"  {_also(name)}: {url}\n" for name, url in _shown(a))
        + f"  before ({a.prev_published:%Y-%m-%d}, {a.from_stance}): \"{a.prev_evidence}\"\n"
        f"  source: {a.prev_url or a.prev_item}"
    )


def _shown(a: AlertView) -> list[tuple[str, str]]:
    shown = a.extra_sources[:MAX_COPIES_SHOWN]
    more = len(a.extra_sources) - len(shown)
    return shown + ([("and", f"{more} more")] if more > 0 else [])


def _also(name: str) -> str:
    return name if name in ("confirmed by", "and") else f"also reported by {name}"


def clip(quote: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """A quote short enough that an alert fits one chat message (Telegram: 4096 characters)."""
    return quote if len(quote) <= limit else quote[:limit - 1].rstrip() + "…"


def telegram_escape(text: str) -> str:
    """Plain text inside a Telegram HTML message."""
    return html.escape(text)


def shift_telegram_html(a: AlertView) -> str:
    e = html.escape
    link = f'<a href="{e(a.url, quote=True)}">source</a>' if a.url else e(a.item)
    prev_link = (f'<a href="{e(a.prev_url, quote=True)}">source</a>' if a.prev_url
                 else e(a.prev_item))
    return (
        f"<b>{e(a.actor)}</b> ({e(a.country)}) on <i>{e(a.topic)}</i>\n"
        f"<b>{e(a.from_stance)} → {e(a.to_stance)}</b> ({e(a.magnitude_word)})\n\n"
        f"<blockquote>{e(clip(a.evidence))}</blockquote>\n"
        f"{a.published:%Y-%m-%d} · {link}{_telegram_also(a)}\n\n"
        f"Before ({a.prev_published:%Y-%m-%d}, {e(a.from_stance)}):\n"
        f"<blockquote>{e(clip(a.prev_evidence))}</blockquote>\n{prev_link}"
    )


def _telegram_also(a: AlertView) -> str:
    e = html.escape
    parts = []
    for name, url in _shown(a):
        if url.startswith(("http://", "https://")):
            label = "confirmed by a second source" if name == "confirmed by" else name
            parts.append(f'<a href="{e(url, quote=True)}">{e(label)}</a>')
        else:
            parts.append(e(f"{name} {url}" if name in ("confirmed by", "and") else name))
    return "\nAlso: " + ", ".join(parts) if parts else ""


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters: & < > (this also defuses <!channel> and links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shift_slack(a: AlertView) -> tuple[str, list[dict[str, Any]]]:
    """Plain-text fallback and Block Kit blocks."""
    e = slack_escape
    header = f"{a.actor} ({a.country}): {a.from_stance} → {a.to_stance}"
    quote = e(a.evidence)[:2900]
    context = (f"{a.topic} · {a.magnitude_word} ({a.magnitude_steps}) · {a.published:%Y-%m-%d} · "
               f"before ({a.prev_published:%Y-%m-%d}): {a.from_stance} — "
               f"“{e(a.prev_evidence)[:600]}”")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"> {quote}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:2900]}]},
    ]
    links = [f"<{e(url)}|{label}>" for url, label in (
        (a.url, "Read the source"),
        (a.prev_url, f"The earlier statement ({a.prev_published:%Y-%m-%d})"))
        if url.startswith(("http://", "https://"))]
    if links:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": " · ".join(links)}})
    also = [f"<{e(url)}|{e('confirmed by a second source' if name == 'confirmed by' else name)}>"
            if url.startswith(("http://", "https://")) else e(f"{name} {url}")
            for name, url in _shown(a)]
    if also:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": ("Also: " + ", ".join(also))[:2900]}]})
    fallback = e(f"{header}: \"{a.evidence}\" ({a.url or a.item})")
    return fallback, blocks


def pending_note(p: Any) -> str:
    """Plain text for a position with a held shift: the stance stays until a second source
    confirms the move (escape it for the format it goes into)."""
    pending = getattr(p, "pending", None)
    if pending is None:
        return ""
    return (f" (unconfirmed: {pending.stance} since {pending.since:%Y-%m-%d}, one source,"
            " awaiting a second)")


def position_line(p: Any) -> str:
    line = (f"{p.actor_name} ({p.country}) on {p.topic}: {p.stance} since "
            f"{p.since:%Y-%m-%d}{pending_note(p)}\n  \"{p.evidence}\"\n  {p.url or p.item_guid}")
    pending = getattr(p, "pending", None)
    if pending is not None:
        line += f"\n  unconfirmed: \"{pending.evidence}\"\n  {pending.url}"
    return line


def position_json(p: Any) -> dict[str, Any]:
    pending = getattr(p, "pending", None)
    return {"actor": p.actor_name, "actor_id": p.actor_id, "country": p.country,
            "topic": p.topic, "stance": p.stance, "since": iso(p.since),
            "evidence": p.evidence, "url": p.url,
            "unconfirmed": None if pending is None else {
                "stance": pending.stance, "since": iso(pending.since),
                "evidence": pending.evidence, "url": pending.url}}


def statement_json(s: Any) -> dict[str, Any]:
    return {"type": "statement", "item": s.item_guid, "url": s.url,
            "published": iso(s.published), "actor": s.actor_name, "actor_id": s.actor_id,
            "country": s.country, "topic": s.topic, "stance": s.stance,
            "historical": s.historical, "confidence": s.confidence, "evidence": s.evidence,
            "said_on": iso(s.said_on), "attribution": s.attribution}


# ---------------------------------------------------------------------- answers to questions

def positions_text(answer: Positions) -> str:
    """`shiftwatch positions`."""
    lines = [position_line(p) for p in answer.positions] or [
        f"No positions recorded for {answer.where} yet."]
    return "\n".join([*lines, *answer.previous])


def history_text(h: History) -> str:
    """`shiftwatch history`: a heading, then each statement newest first."""
    scope = ", ".join([f"{h.actor.name} ({h.actor.country})",
                       f"on {h.topic}" if h.topic else "all topics",
                       *([f"since {h.since}"] if h.since else [])])
    if not h.statements:
        return f"{scope}: no statements recorded."
    shown = f", {len(h.statements)} shown" if h.more else ""
    lines = [f"{scope}: {plural(h.total, 'statement')}{shown}, newest first"]
    for s in h.statements:
        when = s.said_on or s.published.date()
        recalled = " (recalled)" if s.historical else ""
        lines.append(f"{when} {s.topic}: {s.stance}{recalled}\n  \"{s.evidence}\"\n  "
                     f"{s.url or s.item_guid}")
    if h.more:
        lines.append(history_cut(h))
    return "\n".join(lines)


def history_cut(h: History) -> str:
    return f"{h.more} more; use --limit {h.total} (or --limit 0) to see every one"


def history_json(s: Statement) -> dict[str, Any]:
    return {"actor": s.actor_name, "actor_id": s.actor_id, "country": s.country,
            "topic": s.topic, "stance": s.stance, "historical": s.historical,
            "published": s.published.isoformat(), "said_on": iso(s.said_on),
            "item": s.item_guid, "url": s.url, "confidence": s.confidence,
            "evidence": s.evidence}


def _html_source(url: str | None, guid: str | None) -> str:
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}">source</a>'
    return html.escape(url or guid or "")


def positions_telegram(answer: Positions) -> str:
    e = html.escape
    where = e(answer.where)
    on = f" on <i>{e(answer.topic)}</i>" if answer.topic else ""
    if not answer.positions:
        return f"No positions recorded for {where}{on} yet."
    blocks = [f"<b>Positions of {where}</b>{on}"]
    for p in answer.positions:
        blocks.append(
            f"<b>{e(p.actor_name)}</b> on <i>{e(p.topic)}</i>: <b>{e(p.stance)}</b> since "
            f"{p.since:%Y-%m-%d}{e(pending_note(p))}\n"
            f"<blockquote>{e(clip(p.evidence, CHAT_QUOTE_CHARS))}</blockquote>\n"
            f"{_html_source(p.url, p.item_guid)}")
    blocks += [f"<i>{e(line)}</i>" for line in answer.previous]
    return "\n\n".join(blocks)


def history_telegram(h: History) -> str:
    e = html.escape
    on = f" on <i>{e(h.topic)}</i>" if h.topic else ""
    name = e(h.actor.name)
    if not h.statements:
        return f"No statements recorded for {name}{on} yet."
    blocks = [f"<b>{name}</b>{on}: latest {len(h.statements)} statements"]
    for s in h.statements:
        recalled = f" (recalling {s.said_on:%Y-%m-%d})" if s.historical and s.said_on else ""
        blocks.append(
            f"{s.published:%Y-%m-%d}{recalled} · <i>{e(s.topic)}</i>: <b>{e(s.stance)}</b>\n"
            f"<blockquote>{e(clip(s.evidence, CHAT_QUOTE_CHARS))}</blockquote>\n"
            f"{_html_source(s.url, s.item_guid)}")
    return "\n\n".join(blocks)


def topics_telegram(topics: list[Topic]) -> str:
    return "\n".join(["<b>Topics tracked</b>", *(
        f"• <code>{html.escape(t.id)}</code> — {html.escape(t.name)}" for t in topics)])


def filters_telegram(filters: list[str]) -> str:
    return ("every stance shift" if not filters else
            ", ".join(f"<code>{html.escape(f)}</code>" for f in filters))


def _slack_quote(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) > SLACK_QUOTE_CHARS:
        text = text[:SLACK_QUOTE_CHARS - 1] + "…"
    return slack_escape(text)


def _slack_link(url: str, guid: str) -> str:
    if url and url.startswith(("http://", "https://")):
        return f"<{slack_escape(url)}|source>"
    return slack_escape(url or guid or "")


def positions_slack(answer: Positions) -> str:
    e = slack_escape
    where = e(answer.where)
    about = f" on _{e(answer.topic)}_" if answer.topic else ""
    if not answer.positions:
        return f"No positions recorded for {where}{about} yet."
    lines = [f"*Positions of {where}{about}*"]
    for p in answer.positions:
        lines.append(f"• *{e(p.actor_name)}* on _{e(p.topic)}_: *{e(p.stance)}* since "
                     f"{p.since:%Y-%m-%d}{e(pending_note(p))}\n"
                     f"> {_slack_quote(p.evidence)}\n{_slack_link(p.url, p.item_guid)}")
    lines += [f"_{e(line)}_" for line in answer.previous]
    return "\n".join(lines)


def history_slack(h: History) -> str:
    e = slack_escape
    about = f" on _{e(h.topic)}_" if h.topic else ""
    if not h.statements:
        return f"No statements recorded for {e(h.actor.name)}{about} yet."
    lines = [f"*Latest statements of {e(h.actor.name)}{about}*"]
    for s in h.statements:
        past = " (recalled)" if s.historical else ""
        lines.append(f"• {s.published:%Y-%m-%d} _{e(s.topic)}_: *{e(s.stance)}*{past}\n"
                     f"> {_slack_quote(s.evidence)}\n{_slack_link(s.url, s.item_guid)}")
    return "\n".join(lines)


def topics_slack(topics: list[Topic]) -> str:
    return "*Tracked topics*\n" + "\n".join(
        f"• `{slack_escape(t.id)}`: {slack_escape(t.name)}" for t in topics)


def filters_slack(filters: list[str], none: str) -> str:
    return ", ".join(f"`{slack_escape(f)}`" for f in filters) or none
