"""Rules validation: every error class names file, line and field; the shipped rules load."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.extract import Extractor
from bot.rules import load_rules
from tests.conftest import REPO
from tests.extract.support import run


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


def test_a_full_alias_claimed_by_two_actors_is_an_error(rules_dir: Path) -> None:
    f = rules_dir / "actors.yaml"
    edit(f, "aliases: [Trump, Donald J. Trump]", "aliases: [Trump, Joseph R. Biden]")
    found = problems(rules_dir)
    assert any("actors[1].aliases[1]: 'Joseph R. Biden' is already claimed by actor 'joe-biden'"
               in p for p in found), found


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


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("auxiliaries: [is, are,", "auxiliaries: [is, Are,", "auxiliaries[1]",
     "'Are': words here are lower-case"),
    ("question_words: [who, whether,", "question_words: [who, (whether|if),", "question_words[1]",
     "'(whether|if)': plain words only"),
    ("day_names: [monday,", "day_names: ['  ',", "day_names[0]", "empty word"),
    ("month_abbreviations: [jan,", "month_abbreviations: [ju,", "month_abbreviations[0]",
     "'ju' is the start of 2 month names, not one"),
])
def test_a_malformed_word_in_a_word_list_names_file_line_and_field(
        rules_dir: Path, old: str, new: str, field: str, message: str) -> None:
    f = rules_dir / "language.yaml"
    edit(f, old, new)
    line = line_of(f, new)
    found = problems(rules_dir)
    assert any(p.startswith(f"{f}:{line}: {field}: {message}") for p in found), found


def test_the_grammar_is_read_from_language_yaml(rules_dir: Path) -> None:
    """A bare "No" answers the question put to the speaker because `answer_no` lists it."""
    text = "Asked whether Germany would send Taurus missiles to Kyiv, Scholz said: \"No.\""
    before = run(Extractor(load_rules(rules_dir)), text, "2024-03-01")
    assert [(s.actor_id, s.stance) for s in before] == [("olaf-scholz", "opposes")]
    f = rules_dir / "language.yaml"
    edit(f, 'answer_no: ["no", ', "answer_no: [")
    assert not run(Extractor(load_rules(rules_dir)), text, "2024-03-01")


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


# ------------------------------------------------------------------ ambiguous bare surnames

TINY_RULES = {
    "countries": """
countries:
  - {code: "PT", name: Portugal, demonyms: [Portuguese], capital: Lisbon, voice: prime-minister}
  - {code: "ME", name: Montenegro, demonyms: [Montenegrin], capital: Podgorica, voice: prime-minister}
  - {code: "US", name: United States, demonyms: [American], capital: Washington, voice: president}
  - {code: "IE", name: Ireland, demonyms: [Irish], capital: Dublin, voice: prime-minister}
  - {code: "NL", name: Netherlands, demonyms: [Dutch], voice: prime-minister}
""",
    "offices": """
offices:
  president: {phrases: [president]}
  vice-president: {phrases: [vice president]}
  prime-minister: {phrases: [prime minister, minister of state]}
""",
    "actors": """
actors:
  - id: luis-montenegro
    name: Luís Montenegro
    country: PT
    aliases: [Montenegro]
    roles: [{office: prime-minister, from: 2024-04-02}]
  - id: kamala-harris
    name: Kamala Harris
    country: US
    aliases: [Harris]
    roles: [{office: vice-president, from: 2021-01-20, to: 2025-01-20}]
  - id: simon-harris
    name: Simon Harris
    country: IE
    aliases: [Harris]
    roles: [{office: prime-minister, title: Taoiseach, from: 2024-04-09, to: 2025-01-23}]
  - id: dick-schoof
    name: Dick Schoof
    country: NL
    aliases: [Schoof]
    roles: [{office: prime-minister, from: 2024-07-02}]
""",
    "topics": """
topics:
  - {id: troops, name: Troops, keywords: [troops]}
""",
    "stances": """
labels: [opposes, supports]
cues:
  - {stance: supports, phrases: [ready to send]}
""",
    "language": """
reporting_verbs: [said]
""",
}


@pytest.fixture
def tiny_rules(tmp_path: Path) -> Path:
    for name, text in TINY_RULES.items():
        (tmp_path / f"{name}.yaml").write_text(text.lstrip(), encoding="utf-8")
    return tmp_path


def test_a_surname_that_is_also_a_country_or_another_actors_needs_a_title(tiny_rules: Path) -> None:
    rules = load_rules(tiny_rules)
    montenegro, kamala, simon, schoof = (rules.actors[i] for i in (
        "luis-montenegro", "kamala-harris", "simon-harris", "dick-schoof"))
    assert montenegro.ambiguous == ("Montenegro",) and "Montenegro" not in montenegro.aliases
    assert {"Prime Minister Montenegro", "Mr Montenegro"} <= set(montenegro.aliases)
    assert "Minister Of State Montenegro" not in montenegro.aliases
    assert kamala.ambiguous == simon.ambiguous == ("Harris",)
    assert "Vice President Harris" in kamala.aliases
    assert {"Taoiseach Harris", "Prime Minister Harris"} <= set(simon.aliases)
    assert not {"Mr Harris", "Ms Harris"} & (set(kamala.aliases) | set(simon.aliases))
    assert schoof.aliases == ("Schoof",) and schoof.ambiguous == ()


def test_a_bare_ambiguous_surname_names_nobody_but_its_titled_form_does(tiny_rules: Path) -> None:
    extractor = Extractor(load_rules(tiny_rules))
    text = ("Montenegro said it was ready to send troops.\n"
            "Prime Minister Montenegro said Portugal was ready to send troops.\n"
            "Harris said the US was ready to send troops.\n"
            "Schoof said the Netherlands was ready to send troops.")
    found = run(extractor, text, "2024-06-12")
    assert sorted(s.actor_id for s in found) == ["dick-schoof", "luis-montenegro"]
    assert [s.evidence for s in found if s.actor_id == "luis-montenegro"] == [
        "Prime Minister Montenegro said Portugal was ready to send troops."]


def test_the_shipped_rules_register_no_country_as_a_bare_surname() -> None:
    rules = load_rules(REPO / "rules")
    places = {w.lower() for c in rules.countries.values()
              for w in (c.name, *c.names, *c.demonyms, *([c.capital] if c.capital else []))}
    bare = {a.lower() for actor in rules.actors.values() for a in actor.aliases if " " not in a}
    assert not bare & places


def test_countries_yaml_is_what_its_script_generates() -> None:
    spec = importlib.util.spec_from_file_location("build_countries", REPO / "scripts" / "build_countries.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert (REPO / "rules" / "countries.yaml").read_text(encoding="utf-8") == script.build()


def _with_topic_language(rules_dir: Path, language: str) -> None:
    edit(rules_dir / "topics.yaml", "  - id: long-range-weapons-for-ukraine\n",
         "  - id: long-range-weapons-for-ukraine\n" + language)


def test_a_topic_adds_condition_words_of_its_own(rules_dir: Path) -> None:
    text = "Olaf Scholz said Germany would deliver Taurus missiles to Ukraine pending a Bundestag vote."
    before = run(Extractor(load_rules(rules_dir)), text, "2024-03-01")
    _with_topic_language(rules_dir, "    conditions: [pending a]\n")
    after = run(Extractor(load_rules(rules_dir)), text, "2024-03-01")
    assert [s.stance for s in before] == ["supports"]
    assert [s.stance for s in after] == ["conditional"]


def test_a_topic_switches_off_a_global_cue_that_misreads_it(rules_dir: Path) -> None:
    text = "Olaf Scholz said a decision on Taurus missiles for Ukraine was on the table."
    before = run(Extractor(load_rules(rules_dir)), text, "2024-03-01")
    _with_topic_language(rules_dir, "    drop_cues: [on the table]\n")
    after = run(Extractor(load_rules(rules_dir)), text, "2024-03-01")
    assert [s.stance for s in before] == ["open"]
    assert after == []


def test_switching_off_a_cue_stances_yaml_lacks_is_an_error(rules_dir: Path) -> None:
    _with_topic_language(rules_dir, "    drop_cues: [no such cue]\n")
    [problem] = problems(rules_dir)
    assert "topics.yaml" in problem and "drop_cues[0]" in problem
    assert "'no such cue' is not a cue phrase of stances.yaml" in problem
