"""Stance mechanisms: implicit stance from modality, negators, cue scope. Every sentence here was
written for these tests."""

from __future__ import annotations

import pytest

from bot.explain import explain_item
from bot.extract import Extractor
from bot.rules import RuleSet
from tests.extract.support import LONG_RANGE, TROOPS, item, run, said


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Olaf Scholz said Germany would ship Taurus missiles to Kyiv next month.", "supports"),
    ("Olaf Scholz said Germany could ship Taurus missiles to Kyiv.", "open"),
    ("Olaf Scholz said Germany won't ship Taurus missiles to Kyiv.", "opposes"),
    ("Olaf Scholz said Germany won’t ship Taurus missiles to Kyiv.", "opposes"),
    ("Olaf Scholz said Germany would ship Taurus missiles to Kyiv if the allies agreed.", "conditional"),
])
def test_a_modal_before_an_action_on_the_topic_gives_a_stance(extractor: Extractor, sentence: str,
                                                              stance: str) -> None:
    assert said(run(extractor, sentence), LONG_RANGE) == {("olaf-scholz", stance, False)}


def test_the_action_must_be_on_the_topic_s_object(extractor: Extractor) -> None:
    text = "Olaf Scholz said Germany would ship grain to Africa, on a day of talk about Taurus missiles."
    assert said(run(extractor, text), LONG_RANGE) == set()


def test_an_implicit_stance_is_less_confident_and_explained(extractor: Extractor,
                                                           rules: RuleSet) -> None:
    text = "Olaf Scholz said Germany would ship Taurus missiles to Kyiv next month."
    explicit = "Olaf Scholz said Germany will deliver Taurus missiles to Kyiv next month."
    [implicit_statement] = run(extractor, text)
    [cue_statement] = run(extractor, explicit)
    assert implicit_statement.confidence < cue_statement.confidence
    trace = explain_item(rules, item(text, "2024-06-12"))
    assert "(implicit: modal + action)" in trace
    assert "implicit stance (modal + action) 0.80" in trace


@pytest.mark.parametrize("contraction", ["doesn't", "doesn’t", "isn't", "won't"])
def test_a_contraction_negates_the_cue_after_it(extractor: Extractor, contraction: str) -> None:
    verb = {"doesn't": "rule", "doesn’t": "rule", "isn't": "ruling", "won't": "rule"}[contraction]
    text = f"Olaf Scholz said Germany {contraction} {verb} out sending troops to Ukraine."
    assert said(run(extractor, text), TROOPS) == {("olaf-scholz", "open", False)}


def test_a_negator_before_a_comma_does_not_negate_the_next_clause(extractor: Extractor) -> None:
    text = "Olaf Scholz said that if there is no ceasefire, Germany could send troops to Ukraine."
    assert said(run(extractor, text), TROOPS) == {("olaf-scholz", "conditional", False)}


def test_a_word_that_only_begins_like_a_cue_is_no_cue(extractor: Extractor) -> None:
    text = "Olaf Scholz said Germany had considerably raised its aid, and would not send troops to Ukraine."
    assert said(run(extractor, text), TROOPS) == {("olaf-scholz", "opposes", False)}


def test_providing_something_is_no_condition(extractor: Extractor) -> None:
    text = "Olaf Scholz said Germany was providing air defence and would send troops to Ukraine."
    assert said(run(extractor, text), TROOPS) == {("olaf-scholz", "supports", False)}


@pytest.mark.parametrize("refusal", ["turned down", "brushed aside", "rejected"])
def test_refusing_another_s_demand_opposes_what_was_demanded(extractor: Extractor, refusal: str) -> None:
    text = f"Olaf Scholz {refusal} the French president's call to send troops to Ukraine."
    assert said(run(extractor, text), TROOPS) == {("olaf-scholz", "opposes", False)}


def test_do_counts_only_with_its_own_object(extractor: Extractor) -> None:
    assert said(run(extractor, "On Taurus missiles for Ukraine, Olaf Scholz said Germany could do it soon."),
                LONG_RANGE) == {("olaf-scholz", "open", False)}
    assert said(run(extractor, "Olaf Scholz said Germany will do whatever it takes, speaking of "
                               "Taurus missiles for Ukraine."), LONG_RANGE) == set()


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Volodymyr Zelensky has asked that Germany ship Taurus missiles to Ukraine.", "supports"),
    ("Volodymyr Zelensky renewed his appeals for Germany to supply Taurus missiles to Ukraine.",
     "supports"),
    ("Olaf Scholz said the delivery of Taurus missiles to Ukraine was still being weighed.", "open"),
    ("Olaf Scholz said Germany was weighing Kyiv's request for Taurus missiles.", "open"),
    ("Olaf Scholz said giving Taurus missiles to Ukraine could end badly.", "opposes"),
    ("Olaf Scholz said he had approved the delivery of Taurus missiles to Ukraine.", "supports"),
])
def test_requests_deliberation_and_foretold_consequences_read_as_stances(
        extractor: Extractor, sentence: str, stance: str) -> None:
    speakers = said(run(extractor, sentence), LONG_RANGE)
    assert {s for _, s, _ in speakers} == {stance}
