"""A period's digest: the shifts, the new provisional actors, the feeds failing; as plain data,
text, Telegram HTML and Slack mrkdwn; and which subscribed chats are due one. Pure."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from bot.timeline import first_words

if TYPE_CHECKING:
    from bot.store.digests import DigestSubscription
    from bot.store.views import FeedRow, NewActorRow, ShiftRow

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_LISTED = 15     # shifts, actors or feeds named in one digest; the rest are counted


@dataclass(frozen=True)
class Digest:
    start: datetime
    end: datetime
    shifts: tuple[ShiftRow, ...]
    new_actors: tuple[NewActorRow, ...]
    failing_feeds: tuple[FeedRow, ...]

    @property
    def empty(self) -> bool:
        return not (self.shifts or self.new_actors or self.failing_feeds)


@dataclass(frozen=True)
class DueDigest:
    subscription: DigestSubscription
    start: datetime
    end: datetime


def build_digest(start: datetime, end: datetime, shifts: Iterable[ShiftRow],
                 new_actors: Iterable[NewActorRow], feeds: Iterable[FeedRow]) -> Digest:
    """The shifts published in [start, end) (confirmed or awaiting a second source), the new
    actors first seen then, and the feeds failing or disabled now."""
    return Digest(
        start, end,
        tuple(sorted((s for s in shifts if start <= s.published < end
                      and s.status in ("confirmed", "unconfirmed")),
                     key=lambda s: (s.published, s.id))),
        tuple(a for a in new_actors if start <= a.first_seen < end),
        tuple(f for f in feeds if f.disabled or f.failures > 0))


def due_digests(now: datetime, subscriptions: Iterable[DigestSubscription]) -> list[DueDigest]:
    """The subscriptions whose period has passed since the last digest (or the subscription),
    each with the period its digest covers: from where the last one ended until now."""
    due = []
    for sub in subscriptions:
        period = PERIODS.get(sub.frequency)
        if period is None:
            continue
        last = sub.last_sent_at or sub.created_at
        if now - last >= period:
            due.append(DueDigest(sub, last, now))
    return due


def period_for(frequency: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The period `/digest` shows now: the chat's own frequency's, else a day."""
    return now - PERIODS.get(frequency or "daily", PERIODS["daily"]), now


def _title(d: Digest) -> str:
    return f"Digest {d.start:%Y-%m-%d %H:%M} to {d.end:%Y-%m-%d %H:%M} UTC"


T = TypeVar("T")


def _more(items: Sequence[object]) -> int:
    return max(0, len(items) - MAX_LISTED)


def digest_text(d: Digest) -> str:
    lines = [_title(d)]
    if d.empty:
        return lines[0] + ": no shifts, no new actors, every feed working."
    lines.append(f"Shifts: {len(d.shifts)}")
    lines += _listed(d.shifts, lambda s: (
        f"  {s.published:%Y-%m-%d} {s.actor_name} ({s.country}) on {s.topic}: {s.from_stance} -> "
        f"{s.to_stance}{' (unconfirmed)' if s.status == 'unconfirmed' else ''}: "
        f"\"{first_words(s.evidence, 12)}\""), more="  ")
    if d.new_actors:
        lines.append(f"New provisional actors: {len(d.new_actors)}")
        lines += _listed(d.new_actors, lambda a: (
            f"  {a.name} ({a.country}), {a.statements} statement"
            f"{'' if a.statements == 1 else 's'}, id {a.actor_id}"), more="  ")
    if d.failing_feeds:
        lines.append(f"Feeds failing: {len(d.failing_feeds)}")
        lines += _listed(d.failing_feeds, lambda f: f"  {f.name}: {_feed_state(f)}", more="  ")
    return "\n".join(lines)


def _listed(items: Sequence[T], line: Callable[[T], str], more: str = "") -> list[str]:
    """The first MAX_LISTED items, a line each, then how many more there are."""
    rows = [line(x) for x in items[:MAX_LISTED]]
    if _more(items):
        rows.append(f"{more}and {_more(items)} more")
    return rows


def _web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _feed_state(f: FeedRow) -> str:
    if f.disabled:
        return f"disabled ({f.disabled_reason or 'no reason recorded'})"
    error = (f.last_error or "").splitlines()[0][:200] if f.last_error else "no error recorded"
    return f"{f.failures} failure{'' if f.failures == 1 else 's'} in a row: {error}"


def digest_telegram_html(d: Digest) -> str:
    e = html.escape
    title = f"<b>{e(_title(d))}</b>"
    if d.empty:
        return title + "\nNo shifts, no new actors, every feed working."
    parts = [title]
    if d.shifts:
        rows = [f"<b>Shifts</b> ({len(d.shifts)})"]
        rows += _listed(d.shifts, lambda s: (
            f"• {s.published:%m-%d} <b>{e(s.actor_name)}</b> ({e(s.country)}) "
            f"<i>{e(s.topic)}</i>: {e(s.from_stance)} → <b>{e(s.to_stance)}</b>"
            f"{' <i>(unconfirmed)</i>' if s.status == 'unconfirmed' else ''}"
            + (f' <a href="{e(s.url, quote=True)}">source</a>' if _web(s.url) else "")))
        parts.append("\n".join(rows))
    if d.new_actors:
        rows = [f"<b>New provisional actors</b> ({len(d.new_actors)})"]
        rows += _listed(d.new_actors,
                        lambda a: f"• {e(a.name)} ({e(a.country)}): <code>{e(a.actor_id)}</code>")
        parts.append("\n".join(rows))
    if d.failing_feeds:
        rows = [f"<b>Feeds failing</b> ({len(d.failing_feeds)})"]
        rows += _listed(d.failing_feeds, lambda f: f"• {e(f.name)}: {e(_feed_state(f))}")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def digest_slack(d: Digest) -> str:
    from bot.render import slack_escape as e

    title = f"*{_title(d)}*"
    if d.empty:
        return title + "\nNo shifts, no new actors, every feed working."
    lines = [title]
    if d.shifts:
        lines.append(f"*Shifts* ({len(d.shifts)})")
        lines += _listed(d.shifts, lambda s: (
            f"• {s.published:%m-%d} *{e(s.actor_name)}* ({e(s.country)}) _{e(s.topic)}_: "
            f"{e(s.from_stance)} → *{e(s.to_stance)}*"
            f"{' _(unconfirmed)_' if s.status == 'unconfirmed' else ''}"
            + (f" <{e(s.url)}|source>" if _web(s.url) else "")))
    if d.new_actors:
        lines.append(f"*New provisional actors* ({len(d.new_actors)})")
        lines += _listed(d.new_actors, lambda a: f"• {e(a.name)} ({e(a.country)}): `{e(a.actor_id)}`")
    if d.failing_feeds:
        lines.append(f"*Feeds failing* ({len(d.failing_feeds)})")
        lines += _listed(d.failing_feeds, lambda f: f"• {e(f.name)}: {e(_feed_state(f))}")
    return "\n".join(lines)
