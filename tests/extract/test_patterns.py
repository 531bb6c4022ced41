"""Phrase lists compiled into one alternation (bot/extract/patterns.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.extract.patterns import compile_phrase, compile_phrases
from bot.parse import parse_feed
from bot.rules import RuleSet
from bot.textnorm import fold_lower

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def phrase_lists(rules: RuleSet) -> dict[str, list[str]]:
    lang = rules.language
    lists = {"reporting_verbs": list(lang.reporting_verbs), "report_nouns": list(lang.report_nouns),
             "refer_back": list(lang.refer_back)}
    for topic in rules.topics.values():
        for field in ("keywords", "context", "exclude", "ignore", "refer_back"):
            lists[f"{topic.id}.{field}"] = list(getattr(topic, field))
    return {name: phrases for name, phrases in lists.items() if phrases}


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*.xml")):
        for item in parse_feed(path.read_bytes(), path.as_uri(), now=datetime.now(UTC)).items:
            texts += [fold_lower(item.title), *map(fold_lower, item.text.splitlines())]
    return texts


def test_an_alternation_matches_exactly_where_its_phrases_joined_one_by_one_do(
        rules: RuleSet) -> None:
    """The shared word boundary is tested once for the whole alternation; the matches must be
    those of the plain alternation of each phrase's own regex, same spans, same order."""
    texts = corpus_texts()
    assert len(texts) > 200
    compared = 0
    for name, phrases in phrase_lists(rules).items():
        ordered = sorted(set(phrases), key=len, reverse=True)
        plain = re.compile("|".join(f"(?:{compile_phrase(p)})" for p in ordered))
        joined = compile_phrases(phrases)
        assert joined is not None
        for text in texts:
            expected = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in joined.finditer(text)] == expected, (name, text)
            compared += len(expected)
    assert compared > 500  # the corpus exercises the lists, not only their misses


@pytest.mark.parametrize("text, found", [
    ("the minister said so", ["said"]),
    ("she was unsaid", []),                  # inside a word: no boundary before it
    ("o'said", []),                          # nor after an apostrophe
    ("he said, she says", ["said", "says"]),
])
def test_an_alternation_starts_only_at_a_word_boundary(text: str, found: list[str]) -> None:
    rx = compile_phrases(["(said|says)", "told"])
    assert rx is not None
    assert [m.group(0) for m in rx.finditer(text)] == found


@pytest.mark.parametrize(("text", "matches"), [
    ("a target of 5% of output", True),
    ("a target of 5 % of output", True),
    ("a target of 25% of output", False),
    ("a target of 5 of output", False),
])
def test_a_symbol_may_touch_the_word_before_it(text: str, matches: bool) -> None:
    for phrase in ("5 % of output", "(5|five) (%|percent) of output"):
        assert bool(re.search(compile_phrase(phrase), fold_lower(text))) is matches, phrase
