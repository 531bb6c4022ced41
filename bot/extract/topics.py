"""Which tracked topics a sentence is about (see rules/topics.yaml for the semantics)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extract.patterns import compile_phrases
from bot.rules import RuleSet, Topic


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
        everything = [k for t in rules.topics.values() for k in t.keywords]
        self._any = compile_phrases(everything)
        self.refer_back = compile_phrases(list(rules.language.refer_back))

    def item_topics(self, lower_text: str) -> list[str]:
        """Topics the item could be about: a keyword and a context phrase somewhere in it."""
        if self._any is None or not self._any.search(lower_text):
            return []
        return [t.id for t, kw, ctx, _, _ in self.topics
                if kw.search(lower_text) and (ctx is None or ctx.search(lower_text))]

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

    def excluded(self, lower: str, topic: str) -> bool:
        for t, _, _, exclude, _ in self.topics:
            if t.id == topic:
                return exclude is not None and exclude.search(lower) is not None
        return False
