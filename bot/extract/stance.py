"""The stance a speaker's words take, from cue phrases (see rules/stances.yaml for the rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extract.patterns import compile_phrase, compile_phrases
from bot.rules import RuleSet

_CLAUSE_BREAK = re.compile(r"[;:]|,\s+(?:but|while|whereas|although)\b|\bbut\b")


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str
    label: str          # the cue's own label
    final: str          # after negation
    weight: float
    negator: str = ""


@dataclass(frozen=True)
class StanceReading:
    stance: str | None
    cues: tuple[Cue, ...]
    condition: str = ""
    certainty: float = 0.0


class StanceClassifier:
    def __init__(self, rules: RuleSet):
        self.rules = rules
        st = rules.stances
        self._negators = compile_phrases(list(st.negators))
        self._conditions = compile_phrases(list(st.conditions))
        self._negated = st.negated
        self._global = self._compile(st.cues)
        self._per_topic = {t.id: self._compile(t.cues) for t in rules.topics.values()}

    @staticmethod
    def _compile(cuesets: tuple) -> list[tuple[re.Pattern[str], str, float, str]]:
        out = []
        for cs in cuesets:
            for phrase in cs.phrases:
                out.append((re.compile(compile_phrase(phrase)), cs.stance, cs.weight, phrase))
        return out

    def read(self, lower: str, topic: str, span: tuple[int, int] | None = None) -> StanceReading:
        """Decide the stance of `lower[span]` (folded, lower-case text) on `topic`."""
        a, b = span or (0, len(lower))
        text = lower[a:b]
        labels = self.rules.labels_for(topic)
        raw: list[Cue] = []
        for rx, label, weight, _phrase in self._per_topic.get(topic, []) + self._global:
            if label not in labels:
                continue
            for m in rx.finditer(text):
                raw.append(Cue(m.start(), m.end(), m.group(0), label, label, weight))
        # Longest match wins where cues overlap; topic cues come first among equals.
        raw.sort(key=lambda c: (-(c.end - c.start), c.start))
        chosen: list[Cue] = []
        for c in raw:
            if all(c.end <= k.start or c.start >= k.end for k in chosen):
                chosen.append(c)
        chosen.sort(key=lambda c: c.start)
        cues = tuple(self._negate(text, c, chosen[i - 1].end if i else 0)
                     for i, c in enumerate(chosen))
        condition = ""
        if self._conditions is not None:
            m = self._conditions.search(text)
            condition = m.group(0) if m else ""
        if not cues:
            return StanceReading(None, (), condition)
        totals: dict[str, float] = {}
        last: dict[str, int] = {}
        for c in cues:
            final = c.final
            if condition and final in ("open", "supports") and "conditional" in labels:
                final = "conditional"
            totals[final] = totals.get(final, 0.0) + c.weight
            last[final] = c.start
        stance = max(totals, key=lambda k: (totals[k], last[k]))
        certainty = totals[stance] / sum(totals.values())
        return StanceReading(stance, cues, condition, certainty)

    def _negate(self, text: str, cue: Cue, after: int) -> Cue:
        """Apply a negator standing just before the cue (not one inside an earlier cue)."""
        if self._negators is None:
            return cue
        window_start = max(after, cue.start - 40)
        window = text[window_start:cue.start]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        if breaks:
            window = window[breaks[-1].end():]
        words = window.split()
        near = " ".join(words[-4:])
        hits = list(self._negators.finditer(near))
        if not hits:
            return cue
        flipped = self._negated.get(cue.label)
        if not flipped:
            return cue
        return Cue(cue.start, cue.end, cue.text, cue.label, flipped, cue.weight, hits[-1].group(0))
