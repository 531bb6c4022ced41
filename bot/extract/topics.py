"""Which tracked topics a sentence is about (see rules/topics.yaml for the semantics)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.extract.patterns import compile_phrase, compile_phrases, has_literals, required_literals
from bot.rules import RuleSet, Topic


class _Prefilter:
    """Whether any of a list of phrases occurs in a whole item's text, fast.

    One alternation of every phrase over a long text is slow in `re` (each alternative is tried
    at each position), and most items of a feed match none. Plain substring tests of each
    phrase's required literals rule out nearly all of them; only phrases that survive run
    their own regex.
    """

    def __init__(self, phrases: list[str] | tuple[str, ...]):
        # Phrases grouped under each literal of their most selective unit: a text lacking that
        # literal rules out the whole group with one substring test.
        groups: dict[str, list[tuple[tuple[tuple[str, ...], ...], re.Pattern[str]]]] = {}
        for phrase in dict.fromkeys(phrases):
            units = required_literals(phrase)
            first, rest = (units[0], units[1:]) if units else (("",), ())
            for lit in first:
                groups.setdefault(lit, []).append((rest, re.compile(compile_phrase(phrase))))
        self.groups = list(groups.items())

    def _candidates(self, text: str, seen: dict[str, bool]) -> Iterator[re.Pattern[str]]:
        for lit, group in self.groups:
            present = seen.get(lit)
            if present is None:
                present = seen[lit] = lit in text
            if present:
                for rest, rx in group:
                    if has_literals(rest, text, seen):
                        yield rx

    def could_match(self, text: str, seen: dict[str, bool]) -> bool:
        """Substring tests only: False means no phrase occurs; True, that one might."""
        return next(self._candidates(text, seen), None) is not None

    def search(self, text: str, seen: dict[str, bool]) -> bool:
        return any(rx.search(text) is not None for rx in self._candidates(text, seen))


@dataclass(frozen=True)
class TopicHit:
    topic: str
    keywords: tuple[str, ...]


class TopicMatcher:
    def __init__(self, rules: RuleSet):
        self.topics: list[tuple[Topic, re.Pattern[str], re.Pattern[str] | None,
                                re.Pattern[str] | None, re.Pattern[str] | None]] = []
        for t in rules.topics.values():
            keywords = compile_phrases(list(t.keywords))
            assert keywords is not None  # validation requires keywords
            self.topics.append((t, keywords, compile_phrases(list(t.context)),
                                compile_phrases(list(t.exclude)), compile_phrases(list(t.ignore))))
        self._item_filters = [(t.id, _Prefilter(t.keywords), _Prefilter(t.context) if t.context else None)
                              for t, _, _, _, _ in self.topics]
        self.refer_back = compile_phrases(list(rules.language.refer_back))
        # substring tests first, as for item_topics: most teasers name no topic at all
        self._any_phrase = _Prefilter([p for t, _, _, _, _ in self.topics
                                       for p in (*t.keywords, *t.context)])

    def item_topics(self, lower_text: str) -> list[str]:
        """Topics the item could be about: a keyword and a context phrase somewhere in it."""
        seen: dict[str, bool] = {}  # literal -> in the text, shared by every topic's phrases
        out = []
        for topic, kw, ctx in self._item_filters:
            # Substring tests before any regex, the few context phrases first: most items
            # name none of a topic's context ("Ukraine", "Kyiv") and cost a handful of tests.
            if (ctx is not None and not ctx.could_match(lower_text, seen)) \
                    or not kw.could_match(lower_text, seen):
                continue
            if kw.search(lower_text, seen) and (ctx is None or ctx.search(lower_text, seen)):
                out.append(topic)
        return out

    def mentions_any(self, lower_text: str) -> bool:
        """A keyword or a context phrase of any topic somewhere in a short text (looser than
        `item_topics`, which needs both)."""
        return self._any_phrase.search(lower_text, {})

    def sentence_topics(self, lower: str, allowed: list[str]) -> list[TopicHit]:
        hits = []
        for t, kw, _, exclude, ignore in self.topics:
            if t.id not in allowed:
                continue
            if exclude is not None and exclude.search(lower):
                continue
            ignored = [m.span() for m in ignore.finditer(lower)] if ignore is not None else []
            found = tuple(m.group(0) for m in kw.finditer(lower)
                          if not any(a <= m.start() < b for a, b in ignored))
            if found:
                hits.append(TopicHit(t.id, found))
        return hits

    def why_not(self, lower: str, item_lower: str) -> list[str]:
        """Why a sentence holding a topic's keyword is on no topic (for `rules explain`): the item
        names none of the topic's context words, an `exclude` phrase is in the sentence, or the
        keyword stands inside an `ignore` phrase."""
        out = []
        for t, kw, ctx, exclude, ignore in self.topics:
            found = [m for m in kw.finditer(lower)]
            if not found:
                continue
            words = ", ".join(repr(m.group(0)) for m in found[:3])
            ignored = [m.span() for m in ignore.finditer(lower)] if ignore is not None else []
            if ctx is not None and not ctx.search(item_lower):
                out.append(f"{t.id}: keyword {words} found, but the item names no context word "
                           f"({', '.join(t.context[:6])})")
            elif exclude is not None and (ex := exclude.search(lower)):
                out.append(f"{t.id}: keyword {words} found, but {ex.group(0)!r} excludes the topic")
            elif all(any(a <= m.start() < b for a, b in ignored) for m in found):
                out.append(f"{t.id}: keyword {words} found, but only inside an ignored phrase "
                           f"({', '.join(repr(lower[a:b]) for a, b in ignored[:2])})")
        return out

    def excluded(self, lower: str, topic: str) -> bool:
        for t, _, _, exclude, _ in self.topics:
            if t.id == topic:
                return exclude is not None and exclude.search(lower) is not None
        return False
