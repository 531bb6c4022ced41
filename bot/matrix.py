"""Where each country stands: a country x topic matrix of current positions, as plain data.

A cell holds the stance of the office that speaks for the country (its `voice`, whoever holds it
today) and those of its other actors, each with the day it was taken. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.governments import current_and_previous, voice_tenures
from bot.rules import RuleSet

if TYPE_CHECKING:
    from bot.store.views import PositionRow

VOICE, FORMER_VOICE, OTHER = "voice", "previous government", "other"

MATRIX_COLUMNS = ("country", "country_name", "topic", "role", "actor_id", "actor", "stance",
                  "since", "unconfirmed", "evidence", "url")


@dataclass(frozen=True)
class Cell:
    actor_id: str
    actor_name: str
    role: str                 # VOICE, FORMER_VOICE or OTHER
    stance: str
    since: date
    evidence: str = ""
    url: str = ""
    unconfirmed: str | None = None   # the stance of a shift away from it, awaiting a second source


@dataclass(frozen=True)
class Entry:
    """One country on one topic."""

    voice: Cell | None
    others: tuple[Cell, ...] = ()

    @property
    def lead(self) -> Cell | None:
        """The stance the country is shown with: its voice's, else its latest other actor's."""
        if self.voice is not None:
            return self.voice
        return max(self.others, key=lambda c: (c.since, c.actor_name), default=None)

    @property
    def cells(self) -> tuple[Cell, ...]:
        return ((self.voice,) if self.voice else ()) + self.others


@dataclass(frozen=True)
class Row:
    country: str
    name: str
    entries: tuple[Entry | None, ...]    # one per topic of the matrix, None: nothing recorded


@dataclass(frozen=True)
class Matrix:
    topics: tuple[str, ...]
    labels: tuple[str, ...]              # the stance scale, for colours and the legend
    rows: tuple[Row, ...]

    @property
    def empty(self) -> bool:
        return not self.rows


def actor_roles(rules: RuleSet, today: date) -> dict[tuple[str, str], str]:
    """(country, actor id) -> VOICE or FORMER_VOICE for the holders of each voice office."""
    roles: dict[tuple[str, str], str] = {}
    for code in rules.countries:
        tenures = voice_tenures(rules, code)
        current, _ = current_and_previous(tenures, today)
        for t in tenures:
            roles[(code, t.actor_id)] = FORMER_VOICE
        if current is not None:
            roles[(code, current.actor_id)] = VOICE
    return roles


def build_matrix(positions: Iterable[PositionRow], topics: Sequence[str], labels: Sequence[str],
                 names: Mapping[str, str], roles: Mapping[tuple[str, str], str]) -> Matrix:
    """Rows: every country with a position on one of `topics`, by name; `names` maps a code to
    the country's name, `roles` (country, actor id) to VOICE or FORMER_VOICE (see actor_roles)."""
    cells: dict[tuple[str, str], list[Cell]] = {}
    for p in positions:
        if p.topic not in topics:
            continue
        cells.setdefault((p.country, p.topic), []).append(Cell(
            p.actor_id, p.actor_name, roles.get((p.country, p.actor_id), OTHER), p.stance,
            p.since.date(), p.evidence, p.url, p.pending_stance))
    rows = []
    for code in sorted({c for c, _ in cells}, key=lambda c: (names.get(c, c), c)):
        entries: list[Entry | None] = []
        for topic in topics:
            found = cells.get((code, topic))
            if not found:
                entries.append(None)
                continue
            voice = next((c for c in found if c.role == VOICE), None)
            others = sorted((c for c in found if c is not voice),
                            key=lambda c: (c.role != FORMER_VOICE, c.actor_name))
            entries.append(Entry(voice, tuple(others)))
        rows.append(Row(code, names.get(code, code), tuple(entries)))
    return Matrix(tuple(topics), tuple(labels), tuple(rows))


def matrix_records(m: Matrix) -> list[dict[str, str]]:
    """One record per country, topic and actor (MATRIX_COLUMNS), for CSV."""
    out = []
    for row in m.rows:
        for topic, entry in zip(m.topics, row.entries, strict=True):
            for c in entry.cells if entry else ():
                out.append({"country": row.country, "country_name": row.name, "topic": topic,
                            "role": c.role, "actor_id": c.actor_id, "actor": c.actor_name,
                            "stance": c.stance, "since": c.since.isoformat(),
                            "unconfirmed": c.unconfirmed or "", "evidence": c.evidence,
                            "url": c.url})
    return out


def _surname(name: str) -> str:
    return name.split()[-1] if name.split() else name


def _cell_text(c: Cell, *, full_name: bool) -> str:
    who = c.actor_name if full_name else _surname(c.actor_name)
    held = f", unconfirmed: {c.unconfirmed}" if c.unconfirmed else ""
    return f"{who} {c.stance} ({c.since.isoformat()}{held})"


def matrix_lines(m: Matrix) -> list[str]:
    """The matrix as text: per topic, a line per country, the voice first."""
    lines: list[str] = []
    for i, topic in enumerate(m.topics):
        rows = [(row, row.entries[i]) for row in m.rows if row.entries[i] is not None]
        if not rows:
            continue
        if lines:
            lines.append("")
        lines.append(f"{topic}:")
        for row, entry in rows:
            assert entry is not None
            head = (f"{entry.voice.stance:<11} since {entry.voice.since.isoformat()} "
                    f"({entry.voice.actor_name})" if entry.voice else "no stance from its voice")
            if entry.voice and entry.voice.unconfirmed:
                head += f", unconfirmed: {entry.voice.unconfirmed}"
            others = "; ".join(("previous government: " if c.role == FORMER_VOICE else "")
                               + _cell_text(c, full_name=True) for c in entry.others)
            lines.append(f"  {row.country:<4} {head}" + (f"; {others}" if others else ""))
    return lines


def matrix_compact(m: Matrix, width: int = 8) -> list[str]:
    """A table narrow enough for a chat message in a fixed-width font: country, lead stance,
    since, who; one block per topic."""
    lines: list[str] = []
    for i, topic in enumerate(m.topics):
        rows = [(row, row.entries[i]) for row in m.rows if row.entries[i] is not None]
        if not rows:
            continue
        if lines:
            lines.append("")
        lines.append(topic)
        for row, entry in rows:
            assert entry is not None
            lead = entry.lead
            assert lead is not None
            mark = "" if lead.role == VOICE else "*"
            more = f" +{len(entry.cells) - 1}" if len(entry.cells) > 1 else ""
            lines.append(f"{row.country:<4} {lead.stance[:11]:<11} {lead.since:%Y-%m} "
                         f"{_surname(lead.actor_name)[:width + 4]}{mark}{more}")
    if any(e is not None and e.voice is None for r in m.rows for e in r.entries):
        lines += ["", "* not the office that speaks for the country"]
    return lines
