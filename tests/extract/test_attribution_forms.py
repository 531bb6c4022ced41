"""Attribution in the forms real copy uses: honorifics, words between a subject and its verb, a
misspelt name after a role phrase. Every sentence here was written for these tests."""

from __future__ import annotations

import pytest

from bot.extract import Extractor
from tests.extract.support import LONG_RANGE, TROOPS, run, said


@pytest.mark.parametrize("honorific", ["Sir", "Mr", "Mr."])
def test_an_honorific_before_the_subject_keeps_the_speaker(extractor: Extractor, honorific: str) -> None:
    text = f"{honorific} Keir Starmer has restated that Britain is ready to send troops to Ukraine."
    assert said(run(extractor, text, "2025-03-03"), TROOPS) == {("keir-starmer", "supports", False)}


@pytest.mark.parametrize("between", ["first", "has up to now", "so far has", "for his part"])
def test_words_between_subject_and_verb_do_not_hide_the_subject(extractor: Extractor,
                                                                 between: str) -> None:
    text = f"Olaf Scholz {between} declined to ship Taurus missiles to Kyiv."
    assert said(run(extractor, text, "2024-03-01"), LONG_RANGE) == {("olaf-scholz", "opposes", False)}


@pytest.mark.parametrize(("written", "day", "actor"), [
    ("German Chancellor Olaf Scholtz", "2024-03-01", "olaf-scholz"),
    ("Chancellor Merc", "2025-09-01", "friedrich-merz"),
])
def test_a_misspelt_name_after_a_role_names_the_office_holder(extractor: Extractor, written: str,
                                                               day: str, actor: str) -> None:
    text = f"{written} said Germany would not deliver Taurus missiles to Ukraine."
    assert said(run(extractor, text, day), LONG_RANGE) == {(actor, "opposes", False)}


def test_a_name_far_from_the_holder_s_is_not_read_as_the_holder(extractor: Extractor) -> None:
    text = "German Chancellor Hans Zimmermann said Germany would not deliver Taurus missiles to Ukraine."
    found = run(extractor, text, "2024-03-01")
    assert {s.actor_id for s in found} == {"provisional:hans-zimmermann"}


def test_saying_no_to_something_opposes_it(extractor: Extractor) -> None:
    text = "Olaf Scholz said no to supplying Taurus missiles to Ukraine."
    assert said(run(extractor, text, "2024-03-01"), LONG_RANGE) == {("olaf-scholz", "opposes", False)}


def test_another_topic_named_later_in_the_item_does_not_stop_a_sentence_carrying_on(
        extractor: Extractor) -> None:
    text = ("The debate over Taurus missiles for Ukraine went on in Berlin on Monday. "
            "Olaf Scholz said Germany was not prepared to deliver them.\n"
            "Separately, NATO allies debated defence spending of 5% of GDP.")
    carried = said(run(extractor, text, "2025-03-01"), LONG_RANGE)
    assert ("olaf-scholz", "opposes", False) in carried


@pytest.mark.parametrize("recalled", [
    "Earlier this month, Olaf Scholz said Germany would not deliver Taurus missiles to Ukraine.",
    "Last year Olaf Scholz said Germany would not deliver Taurus missiles to Ukraine.",
    "Olaf Scholz had floated the idea that Germany would not deliver Taurus missiles to Ukraine.",
    "Olaf Scholz first refused to deliver Taurus missiles to Ukraine.",
])
def test_words_that_recall_an_earlier_statement_make_it_historical(extractor: Extractor,
                                                                    recalled: str) -> None:
    found = said(run(extractor, recalled, "2024-06-20"), LONG_RANGE)
    assert found and all(historical for _, _, historical in found)


def test_the_evidence_is_the_speaker_s_quoted_words(extractor: Extractor) -> None:
    text = '"We will not send German soldiers to Ukraine, full stop," Olaf Scholz told reporters.'
    [statement] = run(extractor, text, "2024-03-01")
    assert statement.evidence == "We will not send German soldiers to Ukraine, full stop"


def test_paraphrase_keeps_the_whole_sentence_as_evidence(extractor: Extractor) -> None:
    text = "Olaf Scholz said Germany would not send soldiers to Ukraine."
    [statement] = run(extractor, text, "2024-03-01")
    assert statement.evidence == text


def test_a_headline_the_body_repeats_is_not_the_evidence(extractor: Extractor) -> None:
    title = "Scholz rules out sending German troops to Ukraine"
    body = '"There will be no German soldiers in Ukraine," Olaf Scholz said on Monday.'
    found = run(extractor, body, "2024-03-01", title=title)
    assert [s.evidence for s in found] == ["There will be no German soldiers in Ukraine"]

