"""What a stance timeline shows, as plain data: per topic a panel, per speaker a series of
points (statements), steps (the position) and marked shifts. Pure: bot/chart.py draws it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.governments import Tenure, government_statements

if TYPE_CHECKING:
    from bot.store.views import ShiftRow, StatementRow

MAX_SERIES = 6            # speakers per panel: more lines than this do not read on a phone
MAX_SHIFT_NOTES = 3       # annotated shifts per panel, the latest
QUOTE_WORDS = 5


@dataclass(frozen=True)
class Point:
    day: date
    stance: str
    recalled: bool = False      # said earlier than reported ("in February he said ...")
    unconfirmed: bool = False   # the statement behind a shift still waiting for a second source


@dataclass(frozen=True)
class Step:
    """The position from `day` on."""

    day: date
    stance: str


@dataclass(frozen=True)
class ShiftNote:
    day: date
    from_stance: str
    to_stance: str
    words: str                  # the start of the quote that moved it
    unconfirmed: bool = False


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]
    steps: tuple[Step, ...]
    shifts: tuple[ShiftNote, ...] = ()
    government: bool = False    # the voice office's holders joined into one line


@dataclass(frozen=True)
class Panel:
    topic: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    handovers: tuple[tuple[date, str], ...] = ()   # the voice office changed hands: (day, to whom)
    hidden: int = 0                                # speakers left out (MAX_SERIES)


@dataclass(frozen=True)
class Timeline:
    title: str
    panels: tuple[Panel, ...]
    start: date
    end: date

    @property
    def empty(self) -> bool:
        return not self.panels


def first_words(text: str, n: int = QUOTE_WORDS) -> str:
    words = " ".join(text.split()).strip("\"“”' ").split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def speaker_series(label: str, statements: Sequence[StatementRow], shifts: Sequence[ShiftRow]
                   ) -> Series:
    """One speaker on one topic: every statement a point, the position a step line that starts
    at the first statement (or before the first shift) and moves at each confirmed shift."""
    held = {s.item_guid for s in shifts if s.status == "unconfirmed"}
    points = tuple(Point(s.day, s.stance, s.historical, s.item_guid in held)
                   for s in sorted(statements, key=lambda s: (s.day, s.published, s.id)))
    moves = sorted((s for s in shifts if s.status == "confirmed"), key=lambda s: (s.published, s.id))
    steps: list[Step] = []
    if points and (not moves or points[0].day <= moves[0].published.date()):
        steps.append(Step(points[0].day, points[0].stance))
    elif moves:
        steps.append(Step(moves[0].prev_published.date(), moves[0].from_stance))
    for m in moves:
        if steps and steps[-1].stance == m.to_stance:
            continue
        steps.append(Step(m.published.date(), m.to_stance))
    notes = tuple(ShiftNote(s.published.date(), s.from_stance, s.to_stance, first_words(s.evidence),
                            s.status == "unconfirmed")
                  for s in sorted(shifts, key=lambda s: (s.published, s.id))
                  if s.status in ("confirmed", "unconfirmed"))
    return Series(label, points, tuple(steps), notes[-MAX_SHIFT_NOTES:])


def government_series(label: str, statements: Sequence[StatementRow]) -> Series:
    """The voice office as one line: each holder's statements while in office; the line moves
    where the stance said differs from the one before (holders have no shifts between them)."""
    ordered = sorted(statements, key=lambda s: (s.day, s.published, s.id))
    steps: list[Step] = []
    for s in ordered:
        if not steps or steps[-1].stance != s.stance:
            steps.append(Step(s.day, s.stance))
    return Series(label, tuple(Point(s.day, s.stance, s.historical) for s in ordered), tuple(steps),
                  government=True)


def _bounds(statements: Iterable[StatementRow], shifts: Iterable[ShiftRow]) -> tuple[date, date]:
    days = [s.day for s in statements] + [s.published.date() for s in shifts]
    return min(days), max(days)


def actor_timeline(name: str, statements: Sequence[StatementRow], shifts: Sequence[ShiftRow],
                   labels_for: Callable[[str], tuple[str, ...]]) -> Timeline:
    """One actor: a panel per topic they spoke on."""
    if not statements and not shifts:
        return Timeline(name, (), date.min, date.min)
    panels = []
    for topic in sorted({s.topic for s in statements} | {s.topic for s in shifts}):
        series = speaker_series(name, [s for s in statements if s.topic == topic],
                                [s for s in shifts if s.topic == topic])
        panels.append(Panel(topic, labels_for(topic), (series,)))
    start, end = _bounds(statements, shifts)
    return Timeline(name, tuple(panels), start, end)


def country_timeline(country: str, statements: Sequence[StatementRow],
                     shifts: Sequence[ShiftRow], labels_for: Callable[[str], tuple[str, ...]],
                     tenures: Sequence[Tenure] = (), voice_statements: Sequence[StatementRow] = ()
                     ) -> Timeline:
    """A country: per topic one line per actor who spoke for it (the most heard first), and,
    when its voice office changed hands, the office's holders joined into one line."""
    government = government_statements(tenures, voice_statements)
    if not statements and not government:
        return Timeline(country, (), date.min, date.min)
    changes_hands = len({t.actor_id for t in tenures}) > 1
    panels = []
    topics = {s.topic for s in statements} | {s.topic for s in government}
    for topic in sorted(topics):
        said = [s for s in statements if s.topic == topic]
        by_actor: dict[str, list[StatementRow]] = {}
        for s in said:
            by_actor.setdefault(s.actor_id, []).append(s)
        ranked = sorted(by_actor.values(), key=lambda rows: (-len(rows), rows[0].actor_name))
        series = [speaker_series(rows[-1].actor_name, rows,
                                 [x for x in shifts if x.topic == topic and x.actor_id == rows[0].actor_id])
                  for rows in ranked[:MAX_SERIES]]
        gov = [s for s in government if s.topic == topic]
        handovers: tuple[tuple[date, str], ...] = ()
        if changes_hands and gov:
            office = tenures[0].office.replace("-", " ")
            series.insert(0, government_series(f"government ({office})", gov))
            first, last = min(s.day for s in gov), max(s.day for s in gov)
            handovers = tuple((t.start, t.actor_name) for t in tenures
                              if t.start is not None and first < t.start <= last)
        panels.append(Panel(topic, labels_for(topic), tuple(series), handovers,
                            max(0, len(ranked) - MAX_SERIES)))
    start, end = _bounds([*statements, *government], shifts)
    return Timeline(country, tuple(panels), start, end)
