"""Governments that change: who held the office that speaks for a country (its `voice`), and
when, from the actors' dated roles in the rules; the predecessor's last stance on each topic.

Pure, but for `previous_government_lines`, which reads the store for the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from bot.rules import RuleSet

if TYPE_CHECKING:
    from bot.store import Store
    from bot.store.views import StatementRow


@dataclass(frozen=True)
class Tenure:
    """One holder of a country's voice office, from `start` (None: not listed) until `end`
    (None: still in office; the day the successor took over otherwise)."""

    actor_id: str
    actor_name: str
    office: str
    start: date | None
    end: date | None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class PreviousStance:
    """The last stance a former holder of the voice office took on a topic while in office."""

    topic: str
    tenure: Tenure
    stance: str
    said_on: date
    evidence: str
    url: str

    def line(self) -> str:
        until = self.tenure.end.isoformat() if self.tenure.end else "now"
        return (f"previous government on {self.topic}: {self.tenure.actor_name}, until {until}: "
                f"{self.stance} (said {self.said_on.isoformat()})")


def voice_tenures(rules: RuleSet, country: str) -> list[Tenure]:
    """Every listed holder of `country`'s voice office, in the order they took it."""
    found = rules.countries.get(country)
    if found is None or not found.voice:
        return []
    tenures = [Tenure(actor.id, actor.name, role.office, role.start, role.end)
               for actor in rules.actors.values() for role in actor.roles
               if role.country == country and role.office == found.voice]
    return sorted(tenures, key=lambda t: (t.start or date.min, t.end or date.max, t.actor_id))


def current_and_previous(tenures: Iterable[Tenure], today: date
                         ) -> tuple[Tenure | None, Tenure | None]:
    """The tenure covering `today`, and the last one to end before it, held by someone else
    (a holder back in office for a second time is not their own predecessor)."""
    listed = list(tenures)
    current = next((t for t in reversed(listed) if t.covers(today)), None)
    ended = [t for t in listed if t.end is not None and t.end <= today
             and (current is None or t.actor_id != current.actor_id)]
    previous = max(ended, key=lambda t: t.end or date.min, default=None)
    return current, previous


def previous_stances(previous: Tenure, statements: Iterable[StatementRow],
                     topic: str | None = None) -> list[PreviousStance]:
    """Per topic, the last statement `previous` made while in office (by the day said)."""
    last: dict[str, StatementRow] = {}
    for s in statements:
        if s.actor_id != previous.actor_id or not previous.covers(s.day):
            continue
        if topic and s.topic != topic:
            continue
        held = last.get(s.topic)
        if held is None or (s.day, s.published, s.id) >= (held.day, held.published, held.id):
            last[s.topic] = s
    return [PreviousStance(t, previous, s.stance, s.day, s.evidence, s.url)
            for t, s in sorted(last.items())]


def government_statements(tenures: Iterable[Tenure], statements: Iterable[StatementRow]
                          ) -> list[StatementRow]:
    """The statements of whoever held the voice office, each made while its speaker held it:
    the country's government as one line through its changes of hands."""
    spans: dict[str, list[Tenure]] = {}
    for t in tenures:
        spans.setdefault(t.actor_id, []).append(t)
    return [s for s in statements if any(t.covers(s.day) for t in spans.get(s.actor_id, ()))]


def previous_government_lines(store: Store, rules: RuleSet, country: str, topic: str | None,
                              today: date | None = None) -> list[str]:
    """`positions`' closing lines: the previous holder of the country's voice office and
    their last stance on each topic while in office (none when the office never changed hands
    or the predecessor said nothing on record)."""
    from bot.store.views import read_statements

    day = today or datetime.now(UTC).date()
    _current, previous = current_and_previous(voice_tenures(rules, country), day)
    if previous is None:
        return []
    found = read_statements(store, actor_ids=[previous.actor_id], topic=topic, until=previous.end)
    return [p.line() for p in previous_stances(previous, found, topic)]
