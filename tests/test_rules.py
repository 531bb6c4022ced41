"""Rules validation: every error class names file, line and field; the shipped rules load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.rules import load_rules
from tests.conftest import REPO


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(REPO / "rules", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture edit: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def problems(rules_dir: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_rules(rules_dir)
    return [str(p) for p in err.value.problems]


def test_shipped_rules_are_valid_and_large_enough() -> None:
    rules = load_rules(REPO / "rules")
    assert len(rules.actors) >= 60
    assert "troops-to-ukraine" in rules.topics
    assert rules.stances.labels == ("opposes", "open", "conditional", "supports")


def test_bad_country_code_names_file_line_and_field(rules_dir: Path) -> None:
    f = rules_dir / "actors.yaml"
    edit(f, "    country: US\n", "    country: XX\n")
    line = line_of(f, "country: XX")
    assert f"{f}:{line}: actors[0].country: 'XX' is not a country code" in problems(rules_dir)


def test_unknown_key_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "topics.yaml"
    edit(f, "    name: Western troops in Ukraine\n",
         "    name: Western troops in Ukraine\n    keywordz: [x]\n")
    found = problems(rules_dir)
    assert any("topics[0].keywordz: unknown key" in p for p in found), found


def test_duplicate_actor_id_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "actors.yaml"
    edit(f, "  - id: donald-trump\n", "  - id: joe-biden\n")
    assert any("actors[1].id: duplicate id 'joe-biden'" in p for p in problems(rules_dir))


def test_an_alias_claimed_by_two_actors_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "actors.yaml"
    edit(f, "aliases: [Trump, Donald J. Trump]", "aliases: [Biden, Donald J. Trump]")
    found = problems(rules_dir)
    assert any("actors[1].aliases[0]: 'Biden' is already claimed by actor 'joe-biden'" in p
               for p in found), found


def test_a_topic_with_no_keywords_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "topics.yaml"
    (f).write_text("topics:\n  - id: empty-topic\n    name: Nothing\n    keywords: []\n")
    assert any("topics.yaml:4: topics[0].keywords: a topic needs at least one keyword" in p
               for p in problems(rules_dir))


def test_a_malformed_yaml_file_names_its_line(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    f.write_text("labels: [opposes, open\ncues: {\n")
    assert any(p.startswith(f"{f}:") and "invalid YAML" in p for p in problems(rules_dir))


def test_a_bad_cue_phrase_is_reported_where_it_is(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    edit(f, "      - rul* ... out\n", "      - (rul* ... out\n")
    line = line_of(f, "(rul* ... out")
    assert any(p.startswith(f"{f}:{line}: cues[0].phrases[0]") and "unbalanced" in p
               for p in problems(rules_dir))


def test_an_unknown_stance_label_in_a_cue_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    edit(f, "  - stance: supports\n", "  - stance: enthusiastic\n")
    assert any("'enthusiastic' is not a label" in p for p in problems(rules_dir))


def test_every_problem_is_reported_at_once(rules_dir: Path) -> None:
    edit(rules_dir / "actors.yaml", "    country: US\n", "    country: XX\n")
    edit(rules_dir / "stances.yaml", "  - stance: supports\n", "  - stance: keen\n")
    assert len(problems(rules_dir)) >= 2


def test_a_missing_rules_file_is_named(rules_dir: Path) -> None:
    (rules_dir / "language.yaml").unlink()
    assert any("language.yaml: file not found" in p for p in problems(rules_dir))


def test_confidence_factors_are_read_from_stances_yaml(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    edit(f, "    institution: 0.65 ", "    institution: 0.5 ")
    rules = load_rules(rules_dir)
    assert rules.stances.confidence.attribution["institution"] == 0.5
    assert rules.stances.confidence.attribution["name"] == 0.95


def test_a_confidence_factor_above_one_names_file_line_and_field(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    edit(f, "    pronoun: 0.85 ", "    pronoun: 1.5 ")
    line = line_of(f, "pronoun: 1.5")
    found = problems(rules_dir)
    assert any(p.startswith(f"{f}:{line}: confidence.attribution.pronoun") for p in found), found


def test_an_unknown_attribution_kind_is_rejected(rules_dir: Path) -> None:
    f = rules_dir / "stances.yaml"
    edit(f, "    pronoun: 0.85 ", "    rumour: 0.85 ")
    assert any("confidence.attribution" in p for p in problems(rules_dir))


def test_a_topic_refer_back_phrase_must_compile(rules_dir: Path) -> None:
    f = rules_dir / "topics.yaml"
    edit(f, "    refer_back: [the mission,", "    refer_back: [(the mission,")
    assert any("refer_back" in p and "unbalanced" in p for p in problems(rules_dir))
