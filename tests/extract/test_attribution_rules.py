"""The named rules that find a reporting verb's subject (bot/extract/attribution.py), one
sentence each, tried the way `reports` tries them: in order, the first that answers decides.
Every sentence here was written for these tests."""

from __future__ import annotations

from datetime import date

import pytest

from bot.extract import Extractor
from bot.extract.attribution import (
    VERB_RULES,
    AttributionRule,
    VerbSite,
    attribute_verb,
    tokens_of,
    verb_site,
)
from bot.extract.mentions import ItemContext
from bot.extract.sentences import split_sentences
from bot.textnorm import fold_lower

DAY = "2024-06-12"


def site_of(extractor: Extractor, text: str, verb: str, day: str = DAY) -> VerbSite:
    """The verb `verb` (its first occurrence, folded lower-case) in the one sentence `text`."""
    sentence = split_sentences(text, abbreviations=frozenset())[0]
    mentions = extractor.mentions.mentions(sentence, ItemContext(day=date.fromisoformat(day)))
    lower = fold_lower(sentence.text)
    start = lower.index(verb)
    return verb_site(extractor.attribution.grammar, start, start + len(verb), lower,
                     tokens_of(lower), mentions, earlier=[])


def speakers(extractor: Extractor, site: VerbSite, day: str = DAY) -> list[str | None]:
    answer, _ = attribute_verb(site)
    ctx = ItemContext(day=date.fromisoformat(day))
    out = []
    for m in answer.speakers:
        resolved = extractor.mentions.resolve(m, ctx, 0)
        out.append(resolved.actor_id if resolved else None)
    return out


@pytest.mark.parametrize(("rule", "text", "verb", "who"), [
    (AttributionRule.RELATIVE_CLAUSE_ANTECEDENT,
     "Donald Tusk, who has previously said Poland would not send soldiers, repeated it on Monday.",
     "said", ["donald-tusk"]),
    (AttributionRule.NOTHING_BEFORE_THE_VERB,
     "Speaking in Kyiv, Olaf Scholz ruled out sending soldiers.", "speaking", ["olaf-scholz"]),
    (AttributionRule.PLACE_AFTER_PREPOSITION_IS_NOT_THE_SPEAKER,
     "Pedro Sanchez in Beijing calls for a ceasefire.", "calls for", ["pedro-sanchez"]),
    (AttributionRule.SUBJECT_BEFORE_VERB,
     "Olaf Scholz and Emmanuel Macron on Monday ruled out sending soldiers.", "ruled out",
     ["olaf-scholz", "emmanuel-macron"]),
    (AttributionRule.INVERTED_AFTER_QUOTE,
     '"We will not send soldiers," said Emmanuel Macron.', "said", ["emmanuel-macron"]),
    (AttributionRule.APPOSED_NAME,
     "Latvia's defence minister, Maris Kalnins, said the plan was premature.", "said",
     ["provisional:maris-kalnins"]),
    (AttributionRule.SUBJECT_BEFORE_PARENTHESIS,
     "Warsaw, which borders Ukraine, still rules out sending soldiers.", "rules out", ["donald-tusk"]),
    (AttributionRule.INVERTED_AFTER_COMMA,
     "Sending soldiers is not on the table, said Emmanuel Macron.", "said", ["emmanuel-macron"]),
    (AttributionRule.UNTRACKED_SUBJECT,
     "Analysts said the plan would fail.", "said", []),
])
def test_the_first_rule_that_answers_names_the_speaker(extractor: Extractor, rule: AttributionRule,
                                                       text: str, verb: str, who: list[str]) -> None:
    site = site_of(extractor, text, verb)
    assert attribute_verb(site)[1] == rule
    assert speakers(extractor, site) == who


def test_a_place_after_a_preposition_speaks_for_nobody_when_nobody_stands_before_it(
        extractor: Extractor) -> None:
    site = site_of(extractor, "Talks in Beijing said little about a ceasefire.", "said")
    assert attribute_verb(site)[1] == AttributionRule.PLACE_AFTER_PREPOSITION_IS_NOT_THE_SPEAKER
    assert speakers(extractor, site) == []


def test_a_rule_that_does_not_apply_passes_to_the_next(extractor: Extractor) -> None:
    """"Macron said": only `subject_before_verb` and the rules after it can answer."""
    site = site_of(extractor, "Emmanuel Macron said France would not send soldiers.", "said")
    answers = {AttributionRule(rule.__name__): rule(site) is not None for rule in VERB_RULES}
    first = next(name for name, answered in answers.items() if answered)
    assert first == AttributionRule.SUBJECT_BEFORE_VERB
    assert not answers[AttributionRule.RELATIVE_CLAUSE_ANTECEDENT]
    assert not answers[AttributionRule.INVERTED_AFTER_QUOTE]


def test_every_rule_is_named_in_the_enum_and_its_docstring_gives_an_example() -> None:
    for rule in VERB_RULES:
        assert AttributionRule(rule.__name__)
        assert rule.__doc__ and '"' in rule.__doc__, rule.__name__
