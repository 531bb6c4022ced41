"""The seed development set (../shared/corpus/seeds): acceptance figures. Skips when absent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SEEDS, needs_shared

pytestmark = needs_shared()


def test_replay_raises_exactly_the_one_expected_alert(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "seeds.db")
    assert main(["replay", "--json", "--db", db, str(SEEDS / "feed.xml")]) == 0
    shifts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(s["actor"], s["country"], s["from"], s["to"], s["item"]) for s in shifts] == [
        ("Emmanuel Macron", "FR", "open", "conditional", "s000")]
    assert main(["positions", "FR", "--json", "--db", db]) == 0
    positions = json.loads(capsys.readouterr().out)
    assert [(p["actor"], p["stance"]) for p in positions] == [("Emmanuel Macron", "conditional")]


def test_eval_meets_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--gold", str(SEEDS / "gold.yaml"), "--shifts",
                 str(SEEDS / "shifts.yaml"), str(SEEDS / "feed.xml")]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    m = re.fullmatch(r"statements P=(\S+) R=(\S+) shifts P=(\S+) R=(\S+)", last)
    assert m, last
    sp, sr, hp, hr = map(float, m.groups())
    assert (hp, hr) == (1.0, 1.0)
    assert sp >= 0.9 and sr >= 0.85
