"""The item-level topic prefilter: substring tests first, each phrase's regex only after.

It must answer exactly what one regex alternation of every phrase answers; the fixture texts
are written for these tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.extract.patterns import compile_phrase, compile_phrases, required_literals
from bot.extract.topics import TopicMatcher
from bot.parse import parse_feed
from bot.rules import RuleSet
from bot.textnorm import fold_lower

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

TEXTS = [
    "The mayor opened a new bus depot on Tuesday; the weather stayed dry.",
    "Paris ruled out sending ground troops to Ukraine, officials said.",
    "Soldiers paraded through the town to mark the anniversary.",            # keyword, no context
    "Kyiv asked for more air defence. Russian troops shelled the city again.",  # only ignored troops
    "Grain exports from Ukraine rose; steel tariffs went up too.",            # context, no keyword
    "Berlin would not deliver Taurus cruise missiles to Kyiv, the chancellor said.",
    "The EU voted to impose duties on Chinese electric vehicles from China's makers.",
    "France may send peacekeepers to Ukraine after a cease-fire, the minister said.",
    "Ukraine's NATO membership bid was discussed in Vilnius, where allies met.",
    "Le président Macron a évoqué l'envoi de troupes en Ukraine.",
    "",
]


def _single_regex(rules: RuleSet, lower: str) -> list[str]:
    """The reference: one alternation per topic's keywords and one per its context."""
    out = []
    for t in rules.topics.values():
        kw, ctx = compile_phrases(list(t.keywords)), compile_phrases(list(t.context))
        assert kw is not None
        if kw.search(lower) and (ctx is None or ctx.search(lower)):
            out.append(t.id)
    return out


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.xml")):
        for item in parse_feed(path.read_bytes(), str(path), now=datetime(2025, 1, 1, tzinfo=UTC)).items:
            texts.append(item.title + "\n" + item.text)
            texts.extend(item.text.split(". "))  # short texts too
    return texts


@pytest.mark.parametrize("phrase, units", [
    ("troops", {("troops",)}),
    ("rul* ... out", {("rul",), ("out",)}),
    ("(american|u.s.|us) forces", {("forces",), ("american", "u.s.", "us")}),
    ("(large-scale|ground) deployment", {("deployment",), ("ground", "large")}),
    ("(a|an)? option", {("option",)}),
    ("cease-fire", {("cease",)}),
    ("Radosław", {("radoslaw",)}),
])
def test_required_literals_take_the_longest_piece_of_each_required_word(
        phrase: str, units: set[tuple[str, ...]]) -> None:
    assert set(required_literals(phrase)) == units


def test_item_topics_agree_with_one_alternation_of_all_phrases(rules: RuleSet) -> None:
    matcher = TopicMatcher(rules)
    texts = TEXTS + _corpus_texts()
    found_any = 0
    for text in texts:
        lower = fold_lower(text)
        expected = _single_regex(rules, lower)
        assert matcher.item_topics(lower) == expected, text
        found_any += bool(expected)
    assert 0 < found_any < len(texts)  # the texts exercise both answers


def test_mentions_any_agrees_with_one_alternation_of_every_keyword_and_context(
        rules: RuleSet) -> None:
    matcher = TopicMatcher(rules)
    everything = compile_phrases([p for t in rules.topics.values() for p in (*t.keywords, *t.context)])
    assert everything is not None
    answers = []
    for text in TEXTS + _corpus_texts():
        lower = fold_lower(text)
        answers.append(matcher.mentions_any(lower))
        assert answers[-1] == (everything.search(lower) is not None), text
    assert any(answers) and not all(answers)


def test_no_phrase_of_the_rules_matches_a_text_lacking_its_literals(rules: RuleSet) -> None:
    phrases = {p for t in rules.topics.values() for p in (*t.keywords, *t.context, *t.ignore)}
    phrases |= {p for c in rules.stances.cues for p in c.phrases}
    lowers = [fold_lower(t) for t in TEXTS + _corpus_texts()]
    matched = 0
    for phrase in sorted(phrases):
        rx = re.compile(compile_phrase(phrase))
        units = required_literals(phrase)
        for lower in lowers:
            if rx.search(lower):
                matched += 1
                assert all(any(lit in lower for lit in unit) for unit in units), phrase
    assert matched > 100
