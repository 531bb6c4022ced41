"""Cue families and topic conditions read as an analyst would. Every sentence here was written
for these tests."""

from __future__ import annotations

import pytest

from bot.extract import Extractor
from tests.extract.support import NATO, TROOPS, run, said

SPENDING = "nato-defence-spending"


@pytest.mark.parametrize(("sentence", "topic", "stance"), [
    ("Mette Frederiksen said Denmark was receptive to sending soldiers to Ukraine.", TROOPS, "open"),
    ("Mette Frederiksen said Denmark stands ready to send soldiers to Ukraine if a truce holds.",
     TROOPS, "conditional"),
    ("Mette Frederiksen said any Danish soldiers in Ukraine would need a clear mandate, and that "
     "Denmark was willing to send them.", TROOPS, "conditional"),
    ("Mette Frederiksen said Denmark was able to contribute troops to a force in Ukraine once a "
     "ceasefire deal is signed.", TROOPS, "conditional"),
    ("Mette Frederiksen said Denmark would back Ukraine's NATO membership at the right moment.",
     NATO, "conditional"),
    ("Mette Frederiksen said Denmark was pushing back the deadline for its NATO target of 5% of GDP "
     "to 2040.", SPENDING, "conditional"),
])
def test_cue_families_and_topic_conditions(extractor: Extractor, sentence: str, topic: str,
                                           stance: str) -> None:
    found = said(run(extractor, sentence, "2025-03-03"), topic)
    assert {s for _, s, _ in found} == {stance}, found


def test_a_name_inside_the_quotation_is_not_who_he_is(extractor: Extractor) -> None:
    text = ('Olaf Scholz spoke in Berlin on Monday.\n'
            '"Someone should tell Mr Macron that sending troops to Ukraine is unrealistic," he said.')
    assert said(run(extractor, text, "2024-03-01"), TROOPS) == {("olaf-scholz", "opposes", False)}


@pytest.mark.parametrize(("sentence", "topic"), [
    ("Olaf Scholz said a 5-percent target for NATO allies was unrealistic.", SPENDING),
    ("Olaf Scholz ruled out Ukraine entering the North Atlantic Alliance.", NATO),
])
def test_keywords_in_the_forms_real_copy_uses(extractor: Extractor, sentence: str, topic: str) -> None:
    assert said(run(extractor, sentence, "2025-03-03"), topic) == {("olaf-scholz", "opposes", False)}


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Olaf Scholz said Germany was ready to send troops to Ukraine if necessary.", "supports"),
    ("Olaf Scholz said Germany was ready to send troops to Ukraine even if Moscow objects.", "supports"),
    ("Olaf Scholz said Germany was ready to send troops to Ukraine if a truce holds.", "conditional"),
])
def test_condition_words_that_set_no_condition(extractor: Extractor, sentence: str, stance: str) -> None:
    assert said(run(extractor, sentence, "2025-03-03"), TROOPS) == {("olaf-scholz", stance, False)}


def test_a_cue_runs_on_across_a_comma() -> None:
    import re

    from bot.extract.patterns import compile_phrase
    from bot.textnorm import fold_lower
    rx = re.compile(compile_phrase("difficult if not impossible"))
    assert rx.search(fold_lower("It would be difficult, if not impossible, to send them."))


@pytest.mark.parametrize("negated", ["will not bless", "won't bless", "will never bless"])
def test_a_cue_opening_with_a_modal_reads_negated_without_a_second_cue(rules_dir_with_cue,
                                                                      negated: str) -> None:
    extractor = rules_dir_with_cue
    text = f"Olaf Scholz said Germany {negated} the plan for Western troops in Ukraine."
    assert said(run(extractor, text, "2024-03-01"), TROOPS) == {("olaf-scholz", "opposes", False)}


@pytest.fixture
def rules_dir_with_cue(tmp_path):
    import shutil

    from bot.rules import load_rules
    from tests.conftest import REPO
    target = tmp_path / "rules"
    shutil.copytree(REPO / "rules", target)
    topics = target / "topics.yaml"
    text = topics.read_text(encoding="utf-8")
    anchor = "    exclude: [Sahel,"
    topics.write_text(text.replace(anchor, "    cues:\n      - {stance: supports, phrases: "
                                           "[\"will bless the plan\"]}\n" + anchor, 1), encoding="utf-8")
    return Extractor(load_rules(target))
