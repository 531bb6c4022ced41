"""The stance a speaker's words take, from cue phrases (see rules/stances.yaml for the rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extract.patterns import compile_phrase, compile_phrases
from bot.rules import RuleSet
from bot.textnorm import fold_lower

_CLAUSE_BREAK = re.compile(r"[;:]|[.!?](?:\s|$)|,\s+(?:but|while|whereas|although)\b|\bbut\b"
                           r"|,\s+and\s+(?:it|he|she|we|they|i|this|that)\b")


_WH = frozenset({"who", "whether", "which", "what", "how", "where", "when"})


def _word_before(text: str, pos: int) -> str:
    words = text[max(0, pos - 20):pos].split()
    return words[-1] if words else ""


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str
    label: str          # the cue's own label
    final: str          # after negation
    weight: float
    negator: str = ""
    keep: bool = False      # not flipped by a negator (a warning, or a cue with its own negation)


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

    def _compile(self, cuesets: tuple) -> list[tuple[re.Pattern[str], str, float, bool]]:
        out = []
        for cs in cuesets:
            for phrase in cs.phrases:
                # A cue that carries its own negation ("not an option", "never going to
                # happen") already says what it means; a negator before it does not flip it.
                own = self._negators is not None and self._negators.search(fold_lower(phrase)) is not None
                out.append((re.compile(compile_phrase(phrase)), cs.stance, cs.weight,
                            cs.keep_when_negated or own))
        return out

    def read(self, lower: str, topic: str, span: tuple[int, int] | None = None) -> StanceReading:
        """Decide the stance of `lower[span]` (folded, lower-case text) on `topic`."""
        a, b = span or (0, len(lower))
        text = lower[a:b]
        labels = self.rules.labels_for(topic)
        raw: list[Cue] = []
        for rx, label, weight, keep in self._per_topic.get(topic, []) + self._global:
            if label not in labels:
                continue
            for m in rx.finditer(text):
                raw.append(Cue(m.start(), m.end(), m.group(0), label, label, weight, keep=keep))
        # "who would take part", "whether it would send troops": an embedded question commits
        # nobody to anything.
        raw = [c for c in raw if c.label == "opposes" or _word_before(text, c.start) not in _WH]
        # Longest match wins where cues overlap; topic cues come first among equals.
        raw.sort(key=lambda c: (-(c.end - c.start), c.start))
        chosen: list[Cue] = []
        for c in raw:
            if all(c.end <= k.start or c.start >= k.end for k in chosen):
                chosen.append(c)
        chosen.sort(key=lambda c: c.start)
        cues = tuple(self._negate(text, c, chosen[i - 1].end if i else 0)
                     for i, c in enumerate(chosen))
        # What follows a refusal in the same clause is part of what is refused: "not prepared
        # to support joining NATO as part of a settlement" sets no condition.
        refused = [c for c in cues if c.final == "opposes" and (
            c.negator or (self._negators is not None and self._negators.search(c.text)))]

        def in_refusal(pos: int) -> bool:
            return any(r.end <= pos and not _CLAUSE_BREAK.search(text[r.end:pos]) for r in refused)

        cues = tuple(c for c in cues if not (c.label == "conditional" and in_refusal(c.start)))
        condition = ""
        if self._conditions is not None:
            for m in self._conditions.finditer(text):
                if not in_refusal(m.start()):
                    condition = m.group(0)
                    break
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
        if self._negators is None or cue.keep:
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
        return Cue(cue.start, cue.end, cue.text, cue.label, flipped, cue.weight, hits[-1].group(0),
                   cue.keep)
