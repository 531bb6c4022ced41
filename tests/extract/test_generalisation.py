"""Failure classes found on blind text, each reproduced with sentences written for these tests:
titled names as subjects, apposed names, spokespersons, cue families (capability, degree of
backing, rethinking, dismissive judgements), answers to questions, carry-over and dates that
look ahead."""

from __future__ import annotations

import pytest

from bot.extract import Extractor
from tests.extract.support import EV, LONG_RANGE, NATO, run, said

EV_CONTEXT = "\nThe row concerns electric vehicles built in China."


# ------------------------------------------------------------------ who speaks

@pytest.mark.parametrize("text", [
    # a titled name opening the sentence, with a predicate that is not a speech verb
    "Chancellor Olaf Scholz was firm on Monday that no German soldiers would go to Ukraine, "
    "and said the matter was closed.",
    # a titled name whose report is a participle after a comma
    "In Lisbon, Chancellor Olaf Scholz took a harder line, telling a radio station that there "
    "would be no German troops in Ukraine.",
])
def test_a_titled_name_opening_the_sentence_is_its_speaker(extractor: Extractor, text: str) -> None:
    assert said(run(extractor, text, "2024-03-05")) == {("olaf-scholz", "opposes", False)}


def test_an_apposed_name_after_an_office_speaks(extractor: Extractor) -> None:
    text = ("Estonia's foreign minister, Margus Kallaste, told journalists that Kyiv deserves "
            "an invitation to join NATO this year.")
    found = run(extractor, text, "2024-10-02")
    assert said(found, NATO) == {("provisional:margus-kallaste", "supports", False)}


def test_a_spokesperson_speaks_for_the_leader_whose_position_they_state(extractor: Extractor) -> None:
    text = ("A government spokesman said Chancellor Olaf Scholz's position on Taurus remained unchanged, "
            "whatever Kyiv asked for.")
    found = run(extractor, text, "2024-05-02")
    assert said(found, LONG_RANGE) == {("olaf-scholz", "opposes", False)}
    assert found[0].attribution.startswith("institutional: ")


def test_a_national_government_spokesperson_speaks_for_the_head_of_government(
        extractor: Extractor) -> None:
    text = "A German government spokeswoman said Berlin would not deliver Taurus cruise missiles to Kyiv."
    assert ("olaf-scholz", "opposes", False) in said(run(extractor, text, "2024-05-02"), LONG_RANGE)


def test_an_unnamed_spokesperson_alone_speaks_for_nobody(extractor: Extractor) -> None:
    text = "A spokesman said there would be no Western troops in Ukraine."
    assert said(run(extractor, text)) == set()


def test_a_country_inside_a_named_speakers_words_is_not_a_second_voice(extractor: Extractor) -> None:
    text = ("France wants Ukraine to be able to fire its SCALP missiles at bases inside Russia, "
            "Macron said, and will argue for it in Brussels.")
    assert said(run(extractor, text, "2024-05-20"), LONG_RANGE) == {("emmanuel-macron", "supports", False)}


def test_a_month_in_a_relative_clause_does_not_hide_the_speaker(extractor: Extractor) -> None:
    text = ("Emmanuel Macron, who in March argued that Ukraine should be able to strike airfields "
            "inside Russia, was not asked again.")
    assert said(run(extractor, text, "2024-09-20"), LONG_RANGE) == {("emmanuel-macron", "supports", True)}


# ------------------------------------------------------------------ cue families

@pytest.mark.parametrize(("sentence", "stance"), [
    ("Scholz said a deployment of German soldiers in Ukraine was out of the question.", "opposes"),
    ("Scholz said he would not say it was impossible that German troops go to Ukraine.", "open"),
    ("Scholz said sending German troops to Ukraine would be irresponsible.", "opposes"),
    ("Scholz said Germany was not going to send its soldiers to Ukraine.", "opposes"),
    ("Scholz said German troops could one day be present in Ukraine.", "open"),
    ("Scholz said Germany was going to send troops to Ukraine.", "supports"),
    ("Scholz said he would send troops to Ukraine, but only with a mandate from the Bundestag.",
     "conditional"),
])
def test_troop_cue_families(extractor: Extractor, sentence: str, stance: str) -> None:
    assert said(run(extractor, sentence, "2024-03-05")) == {("olaf-scholz", stance, False)}


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Sanchez said Spain fully backs the Commission's duties.", "supports"),
    ('Sanchez said he backed the duties "without reservation."', "supports"),
    ("Sanchez said Europe had to rethink the duties before they did lasting harm to trade.", "opposes"),
])
def test_degree_of_backing_and_rethinking(extractor: Extractor, sentence: str, stance: str) -> None:
    assert said(run(extractor, sentence + EV_CONTEXT, "2024-07-01"), EV) == {("pedro-sanchez", stance, False)}


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Zelensky said Ukraine must be able to hit launch sites inside Russia with long-range missiles.",
     "supports"),
    ("Zelensky said the allies want Ukraine to be allowed to use the ATACMS against bases in Russia.",
     "supports"),
    ("Zelensky said Kyiv may now fire the ATACMS at airfields inside Russia.", "supports"),
])
def test_capability_that_should_be_granted_supports(extractor: Extractor, sentence: str,
                                                    stance: str) -> None:
    assert said(run(extractor, sentence, "2024-06-01"), LONG_RANGE) == {("volodymyr-zelensky", stance, False)}


@pytest.mark.parametrize("sentence", [
    "Zelensky said Ukraine had earned an invitation to join NATO.",
    "Zelensky said the alliance should invite Ukraine to join NATO without further delay.",
    '"The question is not whether Ukraine joins NATO, but when," Zelensky said.',
])
def test_merit_urgency_and_inevitability_support_membership(extractor: Extractor, sentence: str) -> None:
    assert said(run(extractor, sentence, "2024-06-01"), NATO) == {("volodymyr-zelensky", "supports", False)}


def test_a_negator_inside_a_gapped_cue_negates_it(extractor: Extractor) -> None:
    found = run(extractor, '"We rule nothing out on troops for Ukraine," Macron said.', "2024-03-01")
    assert said(found) == {("emmanuel-macron", "open", False)}


def test_a_nato_membership_that_will_never_happen(extractor: Extractor) -> None:
    found = run(extractor, "Orban said Ukraine joining NATO was not going to happen.", "2024-06-01")
    assert ("viktor-orban", "opposes", False) in said(found, NATO)


# ------------------------------------------------------------------ answers to questions

@pytest.mark.parametrize(("sentence", "stance"), [
    ('Asked by a reporter whether Tomahawk missiles were headed to Ukraine, Trump said: "No."',
     "opposes"),
    ('Asked whether he was considering Tomahawk missiles for Kyiv, Trump replied: "Absolutely."', "open"),
    ('Asked whether he would rule out Tomahawk missiles for Kyiv, Trump said: "No, not at all."', "open"),
    ("Asked whether Washington would send Tomahawk missiles to Kyiv, Trump shook his head.", "opposes"),
])
def test_a_bare_answer_takes_its_stance_from_the_question(extractor: Extractor, sentence: str,
                                                         stance: str) -> None:
    assert said(run(extractor, sentence, "2025-10-20"), LONG_RANGE) == {("donald-trump", stance, False)}


def test_a_no_that_opens_a_longer_sentence_is_not_an_answer(extractor: Extractor) -> None:
    text = "Asked about Tomahawk missiles for Kyiv, Trump said no decision had been taken."
    assert said(run(extractor, text, "2025-10-20"), LONG_RANGE) == set()


# ------------------------------------------------------------------ topics and time

def test_a_speaker_carried_weakly_can_go_on_in_the_next_quotation(extractor: Extractor) -> None:
    text = ("Britain wants Ukraine to be able to fire Storm Shadow missiles at Russian airfields. "
            "Blinken signalled more caution.\n"
            '"We keep adapting to the war," he said. "Every option stays on the table."')
    assert ("antony-blinken", "open", False) in said(run(extractor, text, "2024-09-11"), LONG_RANGE)


def test_such_action_refers_back_to_the_topic(extractor: Extractor) -> None:
    text = ("Donald Tusk was asked about Polish troops in Ukraine.\n"
            '"Poland is not considering such action at present," he told reporters.')
    assert said(run(extractor, text, "2024-03-05")) == {("donald-tusk", "opposes", False)}


def test_a_month_that_looks_ahead_does_not_make_a_statement_historical(extractor: Extractor) -> None:
    text = ('"Ukraine will become a member of NATO," Stoltenberg said, adding that allies should '
            "settle the wording at the summit in July.")
    assert said(run(extractor, text, "2024-04-04"), NATO) == {("jens-stoltenberg", "supports", False)}


def test_a_condition_recalled_from_another_date_does_not_qualify_a_quote(extractor: Extractor) -> None:
    text = ('In March 2024 Merz told parliament: "Ukraine needs Taurus missiles now."\n'
            "In October 2024 he had suggested an ultimatum to Moscow, after which Germany would "
            "deliver the missiles.")
    found = said(run(extractor, text, "2025-04-10"), LONG_RANGE)
    assert ("friedrich-merz", "supports", True) in found


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Fiala said Prague flatly rejects the idea of Czech troops in Ukraine.", "opposes"),
    ("Fiala said Prague refused to deploy soldiers to Ukraine.", "opposes"),
    ("Fiala said there was no appetite for sending Czech troops to Ukraine.", "opposes"),
    ("Fiala said he had closed the door on Czech troops in Ukraine.", "opposes"),
    ("Fiala said he had not closed the door on Czech troops in Ukraine.", "open"),
    ("Fiala said he left the door open to Czech troops in Ukraine.", "open"),
    ("Fiala said Czech soldiers in Ukraine were not impossible.", "open"),
    ("Fiala said Prague was pushing for a European troop presence in Ukraine.", "supports"),
    ("Fiala said sending Czech troops to Ukraine would be the right decision.", "supports"),
])
def test_everyday_stance_lexicon(extractor: Extractor, sentence: str, stance: str) -> None:
    assert said(run(extractor, sentence, "2024-03-05")) == {("petr-fiala", stance, False)}


@pytest.mark.parametrize("sentence", [
    "Fiala said it was impossible to say whether Czech troops would go to Ukraine.",
    "Fiala said it was premature to talk about Czech troops in Ukraine.",
])
def test_declining_to_answer_is_no_stance(extractor: Extractor, sentence: str) -> None:
    assert said(run(extractor, sentence, "2024-03-05")) == set()


@pytest.mark.parametrize(("sentence", "topic"), [
    ('Zelensky said Ukraine "would never give up" its goal of NATO membership.', NATO),
    ("Zelensky said NATO membership would bring a lasting peace closer.", NATO),
    ("Zelensky said an invitation now would tell Moscow that NATO stands firm.", NATO),
    ("Zelensky said the ban on strikes inside Russia makes it very hard for Ukraine to defend its cities.",
     LONG_RANGE),
])
def test_arguments_for_a_course_support_it(extractor: Extractor, sentence: str, topic: str) -> None:
    assert said(run(extractor, sentence, "2024-06-01"), topic) == {("volodymyr-zelensky", "supports", False)}


def test_a_dateline_does_not_hide_the_sentence_subject(extractor: Extractor) -> None:
    text = ("BERLIN - The German chancellor has ruled out sending Taurus missiles to Ukraine, "
            "government sources said on Monday.")
    assert said(run(extractor, text, "2024-03-05"), LONG_RANGE) == {("olaf-scholz", "opposes", False)}


@pytest.mark.parametrize(("sentence", "stance"), [
    ('Fico dismissed the talk of NATO soldiers in Ukraine as "folly".', "opposes"),
    ('Fico said he was "not a big fan" of sending soldiers to Ukraine.', "opposes"),
    ("Fico said Slovakia could contribute to a reassurance force in Ukraine, but only after a truce.",
     "conditional"),
    ("Fico said any Slovak troop presence in Ukraine would require a mandate from parliament.",
     "conditional"),
    ("Fico said Slovak soldiers could join a post-war mission in Ukraine.", "conditional"),
    ("Fico said Slovakia was ready to play its part alongside European forces in Ukraine.", "supports"),
])
def test_more_troop_phrasings(extractor: Extractor, sentence: str, stance: str) -> None:
    assert said(run(extractor, sentence, "2025-03-05")) == {("robert-fico", stance, False)}


@pytest.mark.parametrize("sentence", [
    "Biden has approved the use of ATACMS by Ukraine against military targets inside Russia.",
    "Biden gave Kyiv the green light to fire ATACMS at targets inside Russia.",
    "Biden said it was up to Ukraine how to use the ATACMS against targets in Russia.",
])
def test_decisions_and_leaving_it_to_kyiv_support_long_range_use(extractor: Extractor,
                                                                 sentence: str) -> None:
    assert said(run(extractor, sentence, "2024-11-20"), LONG_RANGE) == {("joe-biden", "supports", False)}


def test_sanchez_urging_a_rethink_opposes_the_duties(extractor: Extractor) -> None:
    found = run(extractor, "Sanchez urged Brussels to reconsider the duties." + EV_CONTEXT, "2024-09-12")
    assert said(found, EV) == {("pedro-sanchez", "opposes", False)}


def test_a_recalled_quotation_stays_recalled_and_takes_its_condition(extractor: Extractor) -> None:
    text = ('Two months ago Starmer had written: "Britain will play a role with troops in Ukraine. '
            'That means, if a ceasefire holds, British troops in Ukraine alongside our allies."')
    assert said(run(extractor, text, "2025-05-01")) == {("keir-starmer", "conditional", True)}


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Frederiksen said she would not hesitate to send Danish troops to Ukraine.", "supports"),
    ("Frederiksen said a Danish troop presence in Ukraine was conceivable.", "open"),
    ("Frederiksen said a Danish troop presence in Ukraine was inconceivable.", "opposes"),
    ("Frederiksen voiced scepticism about sending Danish soldiers to Ukraine.", "opposes"),
    ("Frederiksen warned that sending soldiers to Ukraine could drag Denmark into the war.", "opposes"),
])
def test_hesitation_conceivability_doubt_and_being_drawn_in(extractor: Extractor, sentence: str,
                                                            stance: str) -> None:
    assert said(run(extractor, sentence, "2025-02-20")) == {("mette-frederiksen", stance, False)}


def test_a_cue_inside_an_embedded_whether_clause_commits_nobody(extractor: Extractor) -> None:
    text = "Frederiksen said it was too soon to tell whether Denmark would send troops to Ukraine."
    assert said(run(extractor, text, "2025-02-20")) == set()


def test_a_lower_case_particle_name_opening_a_sentence_is_found(extractor: Extractor) -> None:
    text = "Von der Leyen defended the duties on electric cars from China."
    assert said(run(extractor, text, "2024-10-04"), EV) == {("ursula-von-der-leyen", "supports", False)}


def test_a_compromise_instead_of_tariffs_opposes_them(extractor: Extractor) -> None:
    text = "Sanchez called for a negotiated compromise instead of the tariffs." + EV_CONTEXT
    assert said(run(extractor, text, "2024-10-04"), EV) == {("pedro-sanchez", "opposes", False)}


def test_permission_to_strike_supports_long_range_use(extractor: Extractor) -> None:
    text = "Biden quietly granted Ukraine permission to strike targets inside Russia with ATACMS."
    assert said(run(extractor, text, "2024-05-31"), LONG_RANGE) == {("joe-biden", "supports", False)}


def test_a_country_in_the_speakers_own_clause_after_a_day_is_their_words(extractor: Extractor) -> None:
    text = ("Portuguese Prime Minister Rui Tavares said on Monday that Portugal supported lifting "
            "restrictions on Ukraine's use of long-range weapons against Russia.")
    found = said(run(extractor, text, "2031-04-07"), LONG_RANGE)
    assert found == {("provisional:rui-tavares", "supports", False)}


@pytest.mark.parametrize("text", [
    "In Tusk's view, Polish soldiers in Ukraine are out of the question.",
    "For Tusk, Polish soldiers in Ukraine remain out of the question.",
    "Tusk's position is clear: Polish soldiers will not be sent to Ukraine.",
    "Tusk: no Polish soldiers will be sent to Ukraine.",
])
def test_words_framed_as_a_named_persons_view(extractor: Extractor, text: str) -> None:
    assert said(run(extractor, text, "2024-03-05")) == {("donald-tusk", "opposes", False)}


def test_a_view_framing_does_not_override_a_reporting_verb(extractor: Extractor) -> None:
    text = "For Tusk, the summit was a success, but Macron said troops could go to Ukraine."
    assert said(run(extractor, text, "2024-03-05")) == {("emmanuel-macron", "open", False)}


@pytest.mark.parametrize("text", [
    "Putin cautioned the West against allowing Kyiv to fire long-range missiles at Russian cities.",
    "Scholz refused to allow Ukraine to strike Russian airfields with Taurus missiles.",
])
def test_what_an_opposing_cue_is_directly_against_is_opposed(extractor: Extractor, text: str) -> None:
    actor = "vladimir-putin" if text.startswith("Putin") else "olaf-scholz"
    assert said(run(extractor, text, "2024-09-12"), LONG_RANGE) == {(actor, "opposes", False)}


def test_a_contrast_marker_carries_the_topic_to_another_speaker(extractor: Extractor) -> None:
    text = ("Biden said Ukraine's road to NATO membership could not be reversed. "
            "The summit ended without a date.\n"
            "Orban, by contrast, said he would never agree to it.")
    assert ("viktor-orban", "opposes", False) in said(run(extractor, text, "2024-07-11"), NATO)


@pytest.mark.parametrize(("sentence", "stance"), [
    ("Scholz said Brussels should not impose punitive duties.", "opposes"),
    ('Orban called the duties "economic suicide".', "opposes"),
    ("Scholz said a negotiated deal was preferable to tariffs.", "opposes"),
    ("Von der Leyen said Brussels was ready to impose duties if the talks failed.", "conditional"),
])
def test_tariff_phrasings(extractor: Extractor, sentence: str, stance: str) -> None:
    found = said(run(extractor, sentence + EV_CONTEXT, "2024-06-13"), EV)
    assert len(found) == 1 and next(iter(found))[1] == stance


@pytest.mark.parametrize(("sentence", "topic", "stance"), [
    ("Zelensky said Ukraine deserved to be a member of NATO.", NATO, "supports"),
    ("Zelensky said Ukraine would become a NATO member, but not before the war ends.", NATO, "conditional"),
    ("Zelensky said Kyiv welcomed Turkey's support for its bid to join NATO.", NATO, "supports"),
    ("Zelensky said Germany did not want to give Ukraine Taurus missiles.", LONG_RANGE, "opposes"),
    ("Zelensky said Britain would not stand in the way of Ukraine firing Storm Shadow at Russia.",
     LONG_RANGE, "supports"),
    ("Zelensky said it was for Kyiv to decide where to fire the ATACMS inside Russia.", LONG_RANGE,
     "supports"),
])
def test_membership_and_long_range_phrasings(extractor: Extractor, sentence: str, topic: str,
                                             stance: str) -> None:
    assert said(run(extractor, sentence, "2024-11-20"), topic) == {("volodymyr-zelensky", stance, False)}


def test_not_changing_ones_mind_keeps_a_refusal(extractor: Extractor) -> None:
    text = "Scholz said he would not change his mind on Taurus missiles for Ukraine."
    assert said(run(extractor, text, "2024-11-20"), LONG_RANGE) == {("olaf-scholz", "opposes", False)}
