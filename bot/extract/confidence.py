"""How much one extracted statement can be trusted, from its evidence (rules: stances.yaml
`confidence:`; semantics in rules/README.md).

confidence = attribution x evidence x cue agreement [x carried topic] [x hedge], in [0, 1]:
- attribution: how the speaker was named (a name in the sentence > a pronoun or a quotation
  running on > a role phrase > an institutional voice: "the Élysée", "Macron's office");
- evidence: a direct quotation holding the cue > indirect speech > no reporting verb at all;
- cue agreement: 0.6 + 0.4 x the winning label's share of the cue weight (mixed cues lower it);
- carried topic: the sentence names no topic keyword of its own;
- hedge: "may", "perhaps", "reportedly" in the speaker's words;
- implicit stance: read from a modal and an action, with no cue (stances.yaml `implicit:`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.extract.attribution import QUOTATION_RULES, AttributionRule, Report
from bot.extract.mentions import Mention, MentionKind
from bot.extract.patterns import compile_phrases
from bot.extract.sentences import Sentence
from bot.extract.stance import StanceReading
from bot.rules import RuleSet
from bot.textnorm import fold_lower


@dataclass(frozen=True)
class Confidence:
    value: float
    factors: tuple[tuple[str, float], ...]

    def explain(self) -> str:
        return f"{self.value:.2f} = " + " x ".join(f"{name} {v:.2f}" for name, v in self.factors)


class ConfidenceModel:
    def __init__(self, rules: RuleSet):
        self.c = rules.stances.confidence
        self.implicit = rules.stances.implicit.confidence if rules.stances.implicit else None
        self._hedges = compile_phrases(list(self.c.hedges))

    def score(self, mention: Mention, report: Report, reading: StanceReading, s: Sentence,
              start: int = 0, carried: bool = False) -> Confidence:
        att = self.c.attribution
        kind = mention.kind
        if report.rule in QUOTATION_RULES:
            kind = MentionKind.QUOTE
        factors: list[tuple[str, float]] = [(f"attribution {kind}", att.get(kind, att["institution"]))]
        quoted = bool(reading.cues) and all(s.inside_quote(start + c.start) for c in reading.cues)
        if quoted:
            factors.append(("direct quote", self.c.evidence["direct_quote"]))
        elif report.rule == AttributionRule.SENTENCE_SUBJECT:
            factors.append(("no reporting verb", self.c.evidence["no_reporting_verb"]))
        else:
            factors.append(("indirect speech", self.c.evidence["indirect"]))
        factors.append(("cue agreement", round(0.6 + 0.4 * reading.certainty, 3)))
        if reading.cues and all(c.implicit for c in reading.cues) and self.implicit is not None:
            factors.append(("implicit stance (modal + action)", self.implicit))
        if carried:
            factors.append(("topic carried over", self.c.carried_topic))
        if self._hedges is not None and reading.cues:
            lower = list(fold_lower(s.text))
            # A modal that a cue is built on is its meaning, not a hedge on top of it: "could
            # send" is an `open` cue, "could now use" a permission granted. An adverb inside a
            # cue ("would probably not send") still hedges.
            for c in reading.cues:
                end = c.end if c.label == "open" else c.start + len(c.text.split(" ", 1)[0])
                lower[start + c.start:start + end] = " " * (end - c.start)
            a = start + reading.cues[0].start
            window = "".join(lower[max(start, a - 60):start + reading.cues[-1].end])
            hedge = self._hedges.search(window)
            if hedge:
                factors.append((f"hedge {hedge.group(0)!r}", self.c.hedge))
        value = 1.0
        for _, v in factors:
            value *= v
        return Confidence(round(min(1.0, max(0.0, value)), 3), tuple(factors))
