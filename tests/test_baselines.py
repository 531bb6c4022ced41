"""Baseline positions in rules/baselines.yaml: validated like the rules, file, line and field."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.rules import load_rules
from tests.conftest import REPO

ENTRY = """\
baselines:
  - actor: {actor}
    topic: {topic}
    stance: {stance}
    since: {since}
    source: https://example.org/a
    analyst: desk A
"""


def rules_with(tmp_path: Path, **fields: str) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(REPO / "rules", target)
    values = {"actor": "olaf-scholz", "topic": "troops-to-ukraine", "stance": "opposes",
              "since": "2024-02-27", **fields}
    (target / "baselines.yaml").write_text(ENTRY.format(**values), encoding="utf-8")
    return target


def test_a_baseline_loads_with_its_actor_by_id_or_name(tmp_path: Path) -> None:
    by_name = load_rules(rules_with(tmp_path, actor="Olaf Scholz"))
    [baseline] = by_name.baselines
    assert (baseline.actor_id, baseline.topic, baseline.stance, baseline.since) == (
        "olaf-scholz", "troops-to-ukraine", "opposes", dt.date(2024, 2, 27))
    assert baseline.analyst == "desk A"


def test_the_shipped_rules_hold_no_baseline() -> None:
    assert load_rules(REPO / "rules").baselines == ()


def test_a_rules_folder_without_baselines_loads(tmp_path: Path) -> None:
    target = rules_with(tmp_path)
    (target / "baselines.yaml").unlink()
    assert load_rules(target).baselines == ()


@pytest.mark.parametrize(("fields", "expected"), [
    ({"actor": "nobody-at-all"}, "baselines[0].actor: 'nobody-at-all': no such actor"),
    ({"topic": "fish"}, "baselines[0].topic: 'fish': no such topic"),
    ({"stance": "maybe"}, "baselines[0].stance: 'maybe': not a stance label"),
    ({"since": "last spring"}, "baselines[0].since:"),
])
def test_a_bad_baseline_names_file_line_and_field(tmp_path: Path, fields: dict[str, str],
                                                  expected: str) -> None:
    target = rules_with(tmp_path, **fields)
    with pytest.raises(ConfigError) as err:
        load_rules(target)
    message = str(err.value)
    assert f"{target / 'baselines.yaml'}:" in message and expected in message


def test_the_first_statement_that_differs_from_a_baseline_is_a_shift(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]
                                                                      ) -> None:
    import json

    from bot.cli import main
    from tests.feedfactory import Entry, rss

    rules = rules_with(tmp_path, stance="opposes", since="2024-01-10")
    feed = tmp_path / "feed.xml"
    day = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    feed.write_text(rss([Entry("b1", day, "Olaf Scholz said Germany could send troops to Ukraine.")]))
    db = str(tmp_path / "b.db")
    assert main(["replay", "--json", "--rules", str(rules), "--db", db, str(feed)]) == 0
    [shift] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (shift["actor_id"], shift["from"], shift["to"]) == ("olaf-scholz", "opposes", "open")
    assert shift["previous"]["evidence"].startswith("baseline (desk A, 2024-01-10)")


def test_positions_shows_a_baseline_nothing_was_said_after(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main
    from tests.feedfactory import Entry, rss

    rules = rules_with(tmp_path)
    feed = tmp_path / "feed.xml"
    day = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)
    feed.write_text(rss([Entry("p1", day, "Emmanuel Macron said France could send troops to Ukraine.")]))
    db = str(tmp_path / "p.db")
    assert main(["replay", "--rules", str(rules), "--db", db, str(feed)]) == 0
    capsys.readouterr()
    assert main(["positions", "DE", "--rules", str(rules), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Olaf Scholz (DE) on troops-to-ukraine: opposes since 2024-02-27" in out
    assert "baseline (desk A, 2024-02-27)" in out
