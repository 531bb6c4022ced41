"""Scoring by split and topic, and the causes eval puts each miss and false alarm down to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.evaluate import (
    COPY,
    NO_PREVIOUS,
    SPEAKER_MISSED,
    STANCE_WRONG,
    STATEMENT_FALSE,
    STATEMENT_MISSED,
    TOPIC_MISSED,
    SentenceFacts,
    cause_table,
    classify,
    score_shifts,
    score_statements,
    statement_key,
    summary_line,
)
from bot.gold import load_gold
from bot.models import Statement

T = "fish-quotas"
GOLD = f"""\
items:
  d1:
    split: dev
    statements:
      - {{actor: Ana Example, topic: {T}, stance: opposes, evidence: ana said no}}
  d2:
    split: dev
    statements:
      - {{actor: Ana Example, topic: {T}, stance: supports, evidence: ana now agrees}}
      - {{actor: Bo Example, topic: {T}, stance: open, evidence: bo may agree}}
  d3:
    split: dev
    duplicate_of: d2
  t1:
    split: test
    statements:
      - {{actor: Bo Example, topic: {T}, stance: supports, evidence: bo agrees}}
"""
SHIFTS = f"""\
shifts:
  - {{actor: Ana Example, topic: {T}, from: opposes, to: supports, guid: d2}}
  - {{actor: Bo Example, topic: {T}, from: open, to: supports, guid: t1}}
"""
DAY = datetime(2025, 1, 1, tzinfo=UTC)


def statement(guid: str, actor: str, stance: str, day: int, *, historical: bool = False) -> Statement:
    return Statement(guid, "", DAY + timedelta(days=day), actor.lower().replace(" ", "-"), actor,
                     "XX", T, stance, historical, 0.9, "words")


def gold_of(tmp_path: Path):
    (tmp_path / "gold.yaml").write_text(GOLD)
    (tmp_path / "shifts.yaml").write_text(SHIFTS)
    return load_gold(tmp_path / "gold.yaml", tmp_path / "shifts.yaml")


def shift(actor: str, frm: str, to: str, guid: str) -> dict[str, Any]:
    return {"actor_name": actor, "topic": T, "from_stance": frm, "to_stance": to,
            "item_guid": guid, "evidence": ""}


def test_a_split_scores_only_its_own_items(tmp_path: Path) -> None:
    gold = gold_of(tmp_path)
    system = [statement("d1", "Ana Example", "opposes", 0), statement("t1", "Bo Example", "open", 5)]
    pairs = [(statement_key(s), s) for s in system]
    dev = score_statements(gold, pairs, guids=gold.guids("dev"))
    test = score_statements(gold, pairs, guids=gold.guids("test"))
    assert (dev.matched, dev.system, dev.gold) == (1, 1, 3)
    assert (test.matched, test.system, test.gold) == (0, 1, 1)
    everything = score_statements(gold, pairs)
    assert (everything.matched, everything.system, everything.gold) == (1, 2, 4)


def test_shifts_are_scored_by_the_split_of_their_item(tmp_path: Path) -> None:
    gold = gold_of(tmp_path)
    from bot.evaluate import shift_key
    system = [(shift_key(r), r) for r in [shift("Ana Example", "opposes", "supports", "d2")]]
    assert score_shifts(gold, system, guids=gold.guids("dev")).recall == 1.0
    assert score_shifts(gold, system, guids=gold.guids("test")).recall == 0.0


def test_recall_against_no_gold_is_not_a_perfect_score() -> None:
    from bot.evaluate import Score
    assert summary_line(Score(), Score(system=2)) == "statements P=n/a R=n/a shifts P=0.00 R=n/a"


def test_each_miss_and_false_alarm_gets_its_cause(tmp_path: Path) -> None:
    gold = gold_of(tmp_path)
    system = [
        statement("d1", "Ana Example", "opposes", 0),
        statement("d2", "Ana Example", "open", 1),          # stance wrong (gold: supports)
        statement("d3", "Ana Example", "open", 1),          # a syndicated copy
    ]
    facts = {"bo may agree": SentenceFacts(frozenset({T}), frozenset(), frozenset())}

    def probe(guid: str, evidence: str) -> SentenceFacts | None:
        return facts.get(evidence, SentenceFacts(frozenset(), frozenset(), frozenset()))

    causes = classify(gold, system, [shift("Ana Example", "opposes", "open", "d2")], probe,
                      gold.guids("dev"))
    assert causes.statement_misses == {STANCE_WRONG: 1, SPEAKER_MISSED: 1}
    assert causes.confusion == {("supports", "open"): 1}
    assert causes.statement_false == {STANCE_WRONG: 1, COPY: 1}
    assert causes.shift_false == {STATEMENT_FALSE + STANCE_WRONG: 1}
    assert causes.shift_misses == {STATEMENT_MISSED + STANCE_WRONG: 1}
    table = "\n".join(cause_table(causes, ("opposes", "open", "conditional", "supports")))
    assert f"     1  {COPY}   [d3]" in table


def test_a_shift_missed_for_want_of_an_earlier_position_says_so(tmp_path: Path) -> None:
    gold = gold_of(tmp_path)
    system = [statement("d2", "Ana Example", "supports", 1)]

    def probe(guid: str, evidence: str) -> SentenceFacts | None:
        return SentenceFacts(frozenset(), frozenset(), frozenset())

    causes = classify(gold, system, [], probe, gold.guids("dev"))
    assert causes.statement_misses[TOPIC_MISSED] == 2      # d1's "no" and Bo in d2
    assert causes.shift_misses == {NO_PREVIOUS: 1}
