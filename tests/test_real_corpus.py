"""The floor under the figures on real news (../shared/corpus/real; skips when it is absent).

Each split's figures must stay within 0.02 of the row recorded in tests/corpus/README.md; the
rows are raised by hand whenever the figures rise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SHARED

REAL = SHARED / "corpus" / "real"
README = Path(__file__).parent / "corpus" / "README.md"
TOLERANCE = 0.02
NAMES = ("statements P", "statements R", "shifts P", "shifts R")


def recorded_floor() -> dict[str, tuple[float, ...]]:
    rows = re.findall(r"^\| (dev|test) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
                      README.read_text(encoding="utf-8"), re.MULTILINE)
    return {split: tuple(float(x) for x in figures) for split, *figures in rows}


def test_the_readme_records_a_floor_for_both_splits() -> None:
    assert set(recorded_floor()) == {"dev", "test"}


@pytest.mark.shared
@pytest.mark.skipif(not (REAL / "gold.yaml").is_file(),
                    reason="../shared/corpus/real is absent (a user's clone has none)")
@pytest.mark.parametrize("split", ["dev", "test"])
def test_real_news_figures_stay_above_the_recorded_floor(split: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    feeds = sorted(str(p) for p in (REAL / "feeds").glob("*.xml"))
    assert main(["eval", "--split", split, "--summary", "--gold", str(REAL / "gold.yaml"),
                 "--shifts", str(REAL / "shifts.yaml"), *feeds]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    m = re.fullmatch(r"statements P=(\S+) R=(\S+) shifts P=(\S+) R=(\S+)", last)
    assert m, last
    floor = recorded_floor()[split]
    fallen = [f"{name} {float(now):.2f} < {was:.2f}" for name, now, was in zip(NAMES, m.groups(), floor,
                                                                                strict=True)
              if round(float(now) - was, 2) < -TOLERANCE]
    assert not fallen, f"{split} split fell below the floor in tests/corpus/README.md: {fallen}"
