"""Plain data shared by every stage of the pipeline: frozen records, and the tally of a cycle.

feed -> Item -> Statement -> Position -> Shift -> outbox -> destinations
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

STANCES_DEFAULT: tuple[str, ...] = ("opposes", "open", "conditional", "supports")


@dataclass(frozen=True)
class FeedSpec:
    """One entry of feeds.yaml."""

    url: str
    name: str
    interval_seconds: int
    tags: tuple[str, ...] = ()
    full_text: bool = False     # always fetch the linked article page (the feed only teases)


@dataclass(frozen=True)
class Item:
    """One feed entry, as parsed: text is plain (HTML removed), published is UTC."""

    feed_url: str
    guid: str
    url: str
    title: str
    text: str
    published: datetime
    # Set when the linked article page was fetched (bot/fulltext.py): the text extraction ran
    # on (also in `text`), or why the page could not be used. Stored with the item.
    full_text: str | None = None
    full_text_error: str | None = None


@dataclass(frozen=True)
class Statement:
    """An actor's stance on a topic, as one sentence of one item expresses it.

    `said_on` is the date the words were said: the item's date, or an earlier one
    when the text recalls a past statement (`historical`).
    """

    item_guid: str
    url: str
    published: datetime
    actor_id: str
    actor_name: str
    country: str
    topic: str
    stance: str
    historical: bool
    confidence: float
    evidence: str
    said_on: date | None = None
    attribution: str = ""
    provisional: bool = False


@dataclass(frozen=True)
class Pending:
    """A new stance held unconfirmed: one source, less confident than the alerting threshold."""

    stance: str
    since: datetime
    evidence: str
    url: str


@dataclass(frozen=True)
class Position:
    """An actor's current stance on a topic and the statement that set it (`pending`: a shift
    away from it that waits for a second source; the stance stays until one confirms it)."""

    actor_id: str
    actor_name: str
    country: str
    topic: str
    stance: str
    since: datetime
    evidence: str
    url: str
    item_guid: str
    confidence: float = 1.0
    pending: Pending | None = None


@dataclass(frozen=True)
class HeldShift:
    """A stored shift still waiting for a second source: the move, and the words that made it."""

    id: int
    from_stance: str
    to_stance: str
    published: datetime
    evidence: str
    url: str
    item_guid: str
    confidence: float


@dataclass(frozen=True)
class Shift:
    """A change of stance: the statement that moved it and the position it moved from."""

    statement: Statement
    previous: Position
    magnitude: int = 1
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def from_stance(self) -> str:
        return self.previous.stance

    @property
    def to_stance(self) -> str:
        return self.statement.stance

    @property
    def key(self) -> str:
        """Stable identity: the position it moves from and where it goes. The same move found
        twice (a restart, two copies of a story in two workers, a second source) is one shift."""
        s, p = self.statement, self.previous
        return f"{s.actor_id}|{s.topic}|{p.stance}>{s.stance}|{p.item_guid}|{p.since.isoformat()}"


@dataclass
class CycleSummary:
    """What one polling cycle did, counted as it goes (logged, and fed to the metrics)."""

    feeds: int = 0
    not_modified: int = 0
    failed: int = 0
    unreachable: int = 0    # failed feeds whose server never answered (no HTTP status)
    items: int = 0
    new_items: int = 0
    statements: int = 0
    shifts: int = 0
    too_old: int = 0        # shifts that raised no alert: older than SHIFTWATCH_ALERT_MAX_AGE
    delivered: int = 0

    @property
    def idle(self) -> bool:
        """No feed was due and nothing was delivered: most ticks of a running bot."""
        return self.feeds == 0 and self.delivered == 0

    def line(self) -> str:
        too_old = (f" ({self.too_old} too old to alert: SHIFTWATCH_ALERT_MAX_AGE)"
                   if self.too_old else "")
        return (f"cycle: {_plural(self.feeds, 'feed')} ({self.not_modified} not modified,"
                f" {self.failed} failed), {self.new_items} new of {_plural(self.items, 'item')},"
                f" {_plural(self.statements, 'statement')}, {_plural(self.shifts, 'shift')}{too_old},"
                f" {_plural(self.delivered, 'alert')} delivered")


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else word + 's'}"
