"""The country x topic matrix as data: the voice first, the others after, each with its day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.matrix import (
    FORMER_VOICE,
    OTHER,
    VOICE,
    actor_roles,
    build_matrix,
    matrix_compact,
    matrix_lines,
    matrix_records,
)
from bot.rules import RuleSet
from bot.store.views import PositionRow

LABELS = ("opposes", "open", "conditional", "supports")
T, N = "troops-to-ukraine", "ukraine-nato-membership"
NAMES = {"FR": "France", "GB": "United Kingdom", "DE": "Germany"}
ROLES = {("FR", "emmanuel-macron"): VOICE, ("GB", "keir-starmer"): VOICE,
         ("GB", "rishi-sunak"): FORMER_VOICE, ("DE", "friedrich-merz"): VOICE,
         ("DE", "olaf-scholz"): FORMER_VOICE}


def pos(actor: str, country: str, topic: str, stance: str, day: date,
        pending: str | None = None) -> PositionRow:
    return PositionRow(actor_id=actor, actor_name=actor.replace("-", " ").title(), country=country,
                       topic=topic, stance=stance, since=datetime(day.year, day.month, day.day, tzinfo=UTC),
                       evidence="words", url="https://news.example.org/1", confidence=0.9,
                       pending_stance=pending)


@pytest.mark.parametrize(("positions", "expected"), [
    ([], []),
    # the voice first, then the former voice, then the others by name
    ([pos("stephane-sejourne", "FR", T, "open", date(2024, 3, 1)),
      pos("emmanuel-macron", "FR", T, "conditional", date(2024, 5, 2))],
     [("FR", T, "emmanuel-macron", ["stephane-sejourne"])]),
    ([pos("david-lammy", "GB", T, "conditional", date(2025, 2, 18)),
      pos("rishi-sunak", "GB", T, "opposes", date(2024, 2, 27)),
      pos("keir-starmer", "GB", T, "supports", date(2025, 3, 2))],
     [("GB", T, "keir-starmer", ["rishi-sunak", "david-lammy"])]),
    # no word from the current voice: the country still has a row, led by the others
    ([pos("olaf-scholz", "DE", N, "conditional", date(2024, 7, 11))],
     [("DE", N, None, ["olaf-scholz"])]),
    # countries by name, topics in the order asked
    ([pos("keir-starmer", "GB", N, "supports", date(2024, 7, 9)),
      pos("emmanuel-macron", "FR", T, "conditional", date(2024, 5, 2))],
     [("FR", T, "emmanuel-macron", []), ("GB", N, "keir-starmer", [])]),
])
def test_rows_and_cells(positions: list[PositionRow], expected: list[tuple]) -> None:
    m = build_matrix(positions, (T, N), LABELS, NAMES, ROLES)
    got = []
    for row in m.rows:
        for topic, entry in zip(m.topics, row.entries, strict=True):
            if entry is not None:
                got.append((row.country, topic, entry.voice.actor_id if entry.voice else None,
                            [c.actor_id for c in entry.others]))
    assert got == expected


def test_positions_on_other_topics_are_left_out() -> None:
    m = build_matrix([pos("emmanuel-macron", "FR", N, "supports", date(2024, 7, 10))], (T,),
                     LABELS, NAMES, ROLES)
    assert m.empty


def test_lead_is_the_voice_else_the_latest_other() -> None:
    m = build_matrix([pos("olaf-scholz", "DE", T, "opposes", date(2024, 2, 26)),
                      pos("annalena-baerbock", "DE", T, "open", date(2024, 3, 1))], (T,), LABELS,
                     NAMES, ROLES)
    [row] = m.rows
    assert row.entries[0] is not None and row.entries[0].lead is not None
    assert row.entries[0].lead.actor_id == "annalena-baerbock"


def test_records_lines_and_compact_table() -> None:
    m = build_matrix([pos("emmanuel-macron", "FR", T, "conditional", date(2024, 5, 2), "supports"),
                      pos("stephane-sejourne", "FR", T, "open", date(2024, 3, 1))], (T,), LABELS,
                     NAMES, ROLES)
    records = matrix_records(m)
    assert [(r["role"], r["actor_id"], r["since"], r["unconfirmed"]) for r in records] == [
        (VOICE, "emmanuel-macron", "2024-05-02", "supports"),
        (OTHER, "stephane-sejourne", "2024-03-01", "")]
    assert matrix_lines(m) == [
        "troops-to-ukraine:",
        "  FR   conditional since 2024-05-02 (Emmanuel Macron), unconfirmed: supports; "
        "Stephane Sejourne open (2024-03-01)"]
    assert matrix_compact(m) == ["troops-to-ukraine", "FR   conditional 2024-05 Macron +1"]


def test_roles_from_the_rules(rules: RuleSet) -> None:
    roles = actor_roles(rules, date(2025, 6, 1))
    assert roles[("GB", "keir-starmer")] == VOICE
    assert roles[("GB", "rishi-sunak")] == FORMER_VOICE
    assert ("GB", "david-lammy") not in roles
