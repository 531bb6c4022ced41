"""Who spoke for a country when, from the rules' dated roles, and the predecessor's last stance."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.governments import (
    Tenure,
    current_and_previous,
    government_statements,
    previous_stances,
    voice_tenures,
)
from bot.rules import RuleSet
from bot.store.views import StatementRow

T = "troops-to-ukraine"


def said(actor: str, day: date, stance: str, topic: str = T, n: int = 0) -> StatementRow:
    return StatementRow(id=n, actor_id=actor, actor_name=actor.replace("-", " ").title(),
                        country="GB", topic=topic, stance=stance, day=day,
                        published=datetime(day.year, day.month, day.day, tzinfo=UTC),
                        historical=False, provisional=False, confidence=0.9, evidence=f"{actor} {stance}",
                        url="", item_guid=f"g{n}", attribution="name")


def test_the_uk_prime_ministers_in_order(rules: RuleSet) -> None:
    tenures = voice_tenures(rules, "GB")
    names = [t.actor_id for t in tenures]
    assert names.index("rishi-sunak") + 1 == names.index("keir-starmer")
    sunak = tenures[names.index("rishi-sunak")]
    assert (sunak.start, sunak.end) == (date(2022, 10, 25), date(2024, 7, 5))


@pytest.mark.parametrize(("country", "today", "current", "previous"), [
    ("GB", date(2025, 1, 1), "keir-starmer", "rishi-sunak"),
    ("GB", date(2024, 7, 4), "rishi-sunak", None),       # Truss, before him: listed or not
    ("GB", date(2024, 7, 5), "keir-starmer", "rishi-sunak"),
    ("DE", date(2025, 6, 1), "friedrich-merz", "olaf-scholz"),
    ("US", date(2025, 6, 1), "donald-trump", "joe-biden"),  # back for a second term
])
def test_current_and_previous_holder(rules: RuleSet, country: str, today: date, current: str,
                                     previous: str | None) -> None:
    now, before = current_and_previous(voice_tenures(rules, country), today)
    assert now is not None and now.actor_id == current
    if previous is None:
        assert before is None or before.actor_id not in ("rishi-sunak", "keir-starmer")
    else:
        assert before is not None and before.actor_id == previous


def test_a_country_without_a_voice_office_has_no_tenures(rules: RuleSet) -> None:
    assert voice_tenures(rules, "XX") == []


SUNAK = Tenure("rishi-sunak", "Rishi Sunak", "prime-minister", date(2022, 10, 25), date(2024, 7, 5))
STARMER = Tenure("keir-starmer", "Keir Starmer", "prime-minister", date(2024, 7, 5), None)


@pytest.mark.parametrize(("statements", "expected"), [
    ([], []),
    ([said("rishi-sunak", date(2024, 2, 27), "opposes", n=1)], [(T, "opposes", date(2024, 2, 27))]),
    # the last while in office wins; what he said in opposition does not count
    ([said("rishi-sunak", date(2024, 2, 27), "opposes", n=1),
      said("rishi-sunak", date(2024, 6, 1), "open", n=2),
      said("rishi-sunak", date(2024, 9, 1), "supports", n=3)], [(T, "open", date(2024, 6, 1))]),
    # another speaker's words are not his
    ([said("david-cameron", date(2024, 3, 1), "opposes", n=1)], []),
    # one line per topic, by topic
    ([said("rishi-sunak", date(2024, 2, 27), "opposes", "z-topic", n=1),
      said("rishi-sunak", date(2024, 3, 27), "open", "a-topic", n=2)],
     [("a-topic", "open", date(2024, 3, 27)), ("z-topic", "opposes", date(2024, 2, 27))]),
])
def test_previous_stances(statements: list[StatementRow], expected: list[tuple[str, str, date]]) -> None:
    got = previous_stances(SUNAK, statements)
    assert [(p.topic, p.stance, p.said_on) for p in got] == expected


def test_previous_stance_line_names_the_predecessor_and_the_day_they_left() -> None:
    [line] = previous_stances(SUNAK, [said("rishi-sunak", date(2024, 2, 27), "opposes", n=1)])
    assert line.line() == ("previous government on troops-to-ukraine: Rishi Sunak, until "
                           "2024-07-05: opposes (said 2024-02-27)")


def test_government_statements_keep_each_holder_to_their_tenure() -> None:
    rows = [said("rishi-sunak", date(2024, 2, 27), "opposes", n=1),
            said("rishi-sunak", date(2024, 9, 1), "open", n=2),        # out of office
            said("keir-starmer", date(2024, 3, 1), "open", n=3),       # not yet in office
            said("keir-starmer", date(2025, 3, 1), "supports", n=4)]
    assert [s.id for s in government_statements([SUNAK, STARMER], rows)] == [1, 4]
