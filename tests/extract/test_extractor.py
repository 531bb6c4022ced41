"""Extraction phenomena, each with fixture sentences written for these tests."""

from __future__ import annotations

import pytest

from bot.extract import Extractor
from bot.models import Statement
from tests.extract.support import TROOPS, said
from tests.extract.support import run as run_at

TOPIC = TROOPS


def run(extractor: Extractor, text: str, day: str = "2024-03-10", title: str = "") -> list[Statement]:
    return run_at(extractor, text, day, title, hour=12)


# ------------------------------------------------------------------ stance: negation

def test_ruling_out_is_opposes(extractor: Extractor) -> None:
    found = run(extractor, "Chancellor Olaf Scholz on Sunday ruled out sending German troops "
                           "to Ukraine.")
    assert said(found) == {("olaf-scholz", "opposes", False)}


@pytest.mark.parametrize("phrase", [
    "did not rule out sending soldiers to Ukraine",
    "refused to rule out deploying troops to Ukraine",
    "said he was not ruling anything out on troops for Ukraine",
    "said a deployment of Western troops in Ukraine cannot be excluded",
    "said sending troops to Ukraine was not unthinkable",
])
def test_negated_opposition_is_open(extractor: Extractor, phrase: str) -> None:
    found = run(extractor, f"Emmanuel Macron {phrase}.")
    assert said(found) == {("emmanuel-macron", "open", False)}


@pytest.mark.parametrize("phrase", [
    "said Germany had no plans to send soldiers to Ukraine",
    "said that sending troops to Ukraine was not an option",
    "said Berlin would not send troops to Ukraine",
    "said Germany was not preparing to deploy soldiers to Ukraine",
])
def test_refusals_are_opposes(extractor: Extractor, phrase: str) -> None:
    found = run(extractor, f"Boris Pistorius {phrase}.")
    assert said(found) == {("boris-pistorius", "opposes", False)}


def test_two_negated_cues_in_a_row_both_stay_opposes(extractor: Extractor) -> None:
    text = ('Olaf Scholz said: "There will be no ground troops, no soldiers from our country in '
            'Ukraine."')
    assert said(run(extractor, text)) == {("olaf-scholz", "opposes", False)}


# ------------------------------------------------------------------ stance: conditions, commitments

@pytest.mark.parametrize("phrase", [
    "France would send troops to Ukraine if Russia broke through the front line",
    "British soldiers could be deployed to Ukraine as part of a peace deal",
    "troops could go to Ukraine after a ceasefire, with a US backstop",
])
def test_conditions_make_conditional(extractor: Extractor, phrase: str) -> None:
    found = run(extractor, f"Keir Starmer said {phrase}.", day="2025-03-02")
    assert said(found) == {("keir-starmer", "conditional", False)}


def test_commitment_is_supports(extractor: Extractor) -> None:
    found = run(extractor, "Keir Starmer said Britain is ready to deploy troops to Ukraine.",
                day="2025-03-02")
    assert said(found) == {("keir-starmer", "supports", False)}


def test_warning_with_if_stays_opposes(extractor: Extractor) -> None:
    found = run(extractor, "The Kremlin warned that a direct conflict with NATO would be "
                           "inevitable if Western troops went to Ukraine.")
    assert said(found) == {("dmitry-peskov", "opposes", False)}  # the Kremlin: its spokesman's voice


# ------------------------------------------------------------------ speakers

def test_role_phrase_resolves_to_the_holder_on_the_articles_date(extractor: Extractor) -> None:
    text = "The British prime minister said there were no plans to send troops to Ukraine."
    assert said(run(extractor, text, day="2024-02-27")) == {("rishi-sunak", "opposes", False)}
    assert said(run(extractor, text, day="2025-02-27")) == {("keir-starmer", "opposes", False)}


def test_title_and_name_without_diacritics(extractor: Extractor) -> None:
    text = ('"It is not unthinkable to send troops to Ukraine," said Polish Foreign Minister '
            "Radoslaw Sikorski.")
    assert said(run(extractor, text)) == {("radoslaw-sikorski", "open", False)}


def test_pronoun_follows_the_named_speaker(extractor: Extractor) -> None:
    text = ("Giorgia Meloni spoke to reporters in Rome on Friday.\n"
            "Sending Italian soldiers to Ukraine is not on the table, she said.")
    assert said(run(extractor, text)) == {("giorgia-meloni", "opposes", False)}


def test_two_speakers_in_one_sentence(extractor: Extractor) -> None:
    text = "Olaf Scholz and Rishi Sunak both ruled out sending troops to Ukraine on Tuesday."
    assert said(run(extractor, text)) == {("olaf-scholz", "opposes", False),
                                          ("rishi-sunak", "opposes", False)}


def test_office_of_a_leader_speaks_for_the_leader(extractor: Extractor) -> None:
    text = "Sunak's office said Britain had no plans for a large-scale deployment of troops in Ukraine."
    found = run(extractor, text)
    assert said(found) == {("rishi-sunak", "opposes", False)}
    assert found[0].attribution.startswith("institutional")


def test_a_capital_as_speaker_speaks_for_its_government(extractor: Extractor) -> None:
    text = "Prague is not preparing to send any soldiers to Ukraine."
    assert ("petr-fiala", "opposes", False) in said(run(extractor, text))


# ------------------------------------------------------------------ not the speaker's own stance

def test_a_claim_about_another_leader_is_nobodys_stance(extractor: Extractor) -> None:
    text = "Olaf Scholz said Emmanuel Macron wants to send troops to Ukraine."
    assert said(run(extractor, text)) == set()


def test_an_analyst_quoted_about_a_leader_is_not_the_leader(extractor: Extractor) -> None:
    text = ('"Macron will never send troops to Ukraine," said Anna Kowalska, a researcher at a '
            "Warsaw think tank.")
    assert said(run(extractor, text)) == set()


def test_questions_are_not_statements(extractor: Extractor) -> None:
    found = run(extractor, "Will Macron send troops to Ukraine?",
                title="Is Macron ready to deploy troops to Ukraine?")
    assert said(found) == set()


def test_words_on_another_topic_are_not_on_this_topic(extractor: Extractor) -> None:
    text = "Emmanuel Macron said France would not raise taxes on fuel this year."
    assert said(run(extractor, text)) == set()


def test_troops_of_other_armies_do_not_put_a_sentence_on_topic(extractor: Extractor) -> None:
    text = "Volodymyr Zelensky said Russian troops would never take Kharkiv in Ukraine."
    assert said(run(extractor, text)) == set()


# ------------------------------------------------------------------ time

@pytest.mark.parametrize("text", [
    "In late January, Olaf Scholz said there would be no German troops in Ukraine.",
    "Olaf Scholz had said there would be no German troops in Ukraine.",
    "Two years ago, Olaf Scholz ruled out sending troops to Ukraine.",
    "At the time, Olaf Scholz ruled out sending troops to Ukraine.",
])
def test_recalled_statements_are_historical(extractor: Extractor, text: str) -> None:
    assert said(run(extractor, text, day="2024-05-20")) == {("olaf-scholz", "opposes", True)}


def test_a_recent_day_is_not_history(extractor: Extractor) -> None:
    text = "On Monday, Olaf Scholz ruled out sending troops to Ukraine."
    assert said(run(extractor, text, day="2024-02-28")) == {("olaf-scholz", "opposes", False)}


def test_an_explicit_past_date_dates_the_statement(extractor: Extractor) -> None:
    found = run(extractor, "In March 2024, Olaf Scholz ruled out sending troops to Ukraine.",
                day="2025-01-15")
    assert [(s.historical, s.said_on and s.said_on.isoformat()[:7]) for s in found] == \
        [(True, "2024-03")]


# ------------------------------------------------------------------ other topics

def test_nothing_is_specific_to_the_first_topic(extractor: Extractor) -> None:
    text = ("Olaf Scholz said Germany would not deliver Taurus cruise missiles to Ukraine, "
            "citing the risk of escalation.")
    found = run(extractor, text)
    assert said(found, "long-range-weapons-for-ukraine") == {("olaf-scholz", "opposes", False)}
