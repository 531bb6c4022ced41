"""Labelled corpora are validated like the rules: file, line and field for every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.gold import check_guids, load_gold

LABELS = ("opposes", "open", "conditional", "supports")
TOPICS = {"troops-to-ukraine", "fish-quotas"}

GOLD = """\
items:
  a1:
    split: dev
    kind: stance
    url: https://example.org/a1
    statements:
      - {actor: Ana Example, country: FR, topic: fish-quotas, stance: open, historical: false, evidence: x}
  a2:
    split: test
    duplicate_of: a1
    statements: []
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(call) -> str:
    with pytest.raises(ConfigError) as exc:
        call()
    return str(exc.value)


def test_a_valid_corpus_loads_with_its_splits_and_copies(tmp_path: Path) -> None:
    gold = load_gold(write(tmp_path, "gold.yaml", GOLD), None, labels=LABELS, topics=TOPICS)
    assert gold.guids("dev") == {"a1"} and gold.guids("test") == {"a2"}
    assert gold.items["a2"].duplicate_of == "a1"
    assert gold.statements == {("a1", "ana example", "fish-quotas", "open")}


def test_a_shifts_file_given_as_gold_is_refused_with_a_hint(tmp_path: Path) -> None:
    shifts = write(tmp_path, "shifts.yaml", "shifts:\n  - {actor: A, to: open, guid: a1}\n")
    message = problems_of(lambda: load_gold(shifts, None))
    assert f"{shifts}" in message and "needs an `items:` mapping" in message
    assert "pass it as --shifts" in message


def test_an_unknown_stance_names_its_line_and_field(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.yaml", GOLD.replace("stance: open", "stance: maybe"))
    message = problems_of(lambda: load_gold(gold, None, labels=LABELS, topics=TOPICS))
    assert f"{gold}:7: items.a1.statements[0].stance: 'maybe': not a stance label" in message


def test_an_unknown_topic_is_refused(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.yaml", GOLD.replace("topic: fish-quotas", "topic: fish"))
    message = problems_of(lambda: load_gold(gold, None, labels=LABELS, topics=TOPICS))
    assert "items.a1.statements[0].topic: 'fish': no such topic in the rules" in message


def test_a_statement_without_actor_or_topic_is_refused(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.yaml", "items:\n  a1:\n    statements:\n      - {stance: open}\n")
    message = problems_of(lambda: load_gold(gold, None))
    assert "items.a1.statements[0].actor: required" in message


def test_a_shift_in_an_item_the_gold_lacks_is_refused(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.yaml", GOLD)
    shifts = write(tmp_path, "shifts.yaml", "topic: fish-quotas\nshifts:\n"
                                            "  - {actor: Ana Example, from: open, to: supports, guid: zz}\n")
    message = problems_of(lambda: load_gold(gold, shifts, labels=LABELS, topics=TOPICS))
    assert f"{shifts}:3: shifts[0].guid: 'zz': no such item in {gold}" in message


def test_a_shift_to_an_unknown_label_is_refused(tmp_path: Path) -> None:
    gold = write(tmp_path, "gold.yaml", GOLD)
    shifts = write(tmp_path, "shifts.yaml", "topic: fish-quotas\nshifts:\n"
                                            "  - {actor: Ana Example, from: shut, to: maybe, guid: a1}\n")
    message = problems_of(lambda: load_gold(gold, shifts, labels=LABELS, topics=TOPICS))
    assert "shifts[0].to: 'maybe': not a stance label" in message
    assert "shifts[0].from: 'shut': not a stance label" in message


def test_items_missing_from_the_feeds_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "gold.yaml", GOLD)
    gold = load_gold(path, None)
    message = problems_of(lambda: check_guids(gold, path, {"a1"}))
    assert f"{path}:9: items.a2: 'a2': no item with this guid in the feeds given" in message
    check_guids(gold, path, {"a1", "a2", "other"})
