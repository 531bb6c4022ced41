"""The stance a speaker's words take, from cue phrases (see rules/stances.yaml for the rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.extract.patterns import compile_phrase, compile_phrases, has_literals, one_of, required_literals
from bot.rules import CueSet, Language, RuleSet
from bot.textnorm import fold_lower


def _clause_break(lang: Language) -> re.Pattern[str]:
    """Where a clause ends: ; or :, a sentence end, ", but/while ...", "but", ", and it ..."."""
    return re.compile(rf"[;:]|[.!?](?:\s|$)|,\s+(?:{one_of(lang.clause_break_conjunctions)})\b"
                      rf"|\b(?:{one_of(lang.clause_break_words)})\b"
                      rf"|,\s+and\s+(?:{one_of(lang.clause_break_subjects)})\b")


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
    gapped: bool = False    # its phrase has a `...` gap, which may hold a negator
    implicit: bool = False  # read from a modal and an action, not from a cue phrase
    modal: bool = False     # built on a modal that may stand negated: "will approve" / "won't approve"


@dataclass(frozen=True)
class _CompiledCue:
    rx: re.Pattern[str]
    label: str
    weight: float
    keep: bool
    gapped: bool
    modal: bool
    units: tuple[tuple[str, ...], ...]    # literals a match must contain (a cheap prefilter)
    phrase: str                           # as written in the rules


# "rejected the U.S. president's push for", "turned down Trump's call to": another's demand
_OWNER = re.compile(r"^(?:the\s+)?(?:[\w.-]+\s+){0,2}[\w.-]+(?:'s|s')$")


def _links(between: str, link_words: frozenset[str]) -> bool:
    between = between.strip()
    return between in link_words or bool(_OWNER.match(between))


def _absorbed(text: str, cues: tuple[Cue, ...], link_words: frozenset[str]) -> list[Cue]:
    out: list[Cue] = []
    for c in cues:
        prev = out[-1] if out else None
        # Only a supporting cue: "ruling out any options would be a mistake" keeps its `open`.
        if prev is not None and prev.final == "opposes" and c.final == "supports" \
                and _links(text[prev.end:c.start], link_words):
            c = replace(c, final="opposes", negator=prev.text)
        out.append(c)
    return out


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
        self._negated = st.negated
        self._not_conditions = compile_phrases(list(st.not_conditions))
        # A topic owns its language: condition words of its own, global cues switched off for it.
        self._conditions = {t.id: compile_phrases([*st.conditions, *t.conditions])
                            for t in rules.topics.values()}
        self._conditions[""] = compile_phrases(list(st.conditions))
        every = self._compile(st.cues)
        self._global = {t.id: [c for c in every if c.phrase not in set(t.drop_cues)]
                        for t in rules.topics.values()}
        self._global[""] = every
        self._per_topic = {t.id: self._compile(t.cues) for t in rules.topics.values()}
        self._implicit = self._compile_implicit(rules)
        implicit = rules.stances.implicit
        # "do it": an action that holds its own object
        self._object_words = frozenset(fold_lower(o) for o in implicit.objects) if implicit else frozenset()
        lang = rules.language
        self._clause_break = _clause_break(lang)
        self._wh = frozenset(lang.question_words)
        self._link_words = frozenset((*lang.link_words, ""))   # nothing between links too
        # A bare answer right after the reporting verb: ': "No, not really."', ', "Yes."'.
        self._answer = re.compile(rf"""[\s:,'"]*(?:(?P<no>{one_of(lang.answer_no)})"""
                                  rf"""|(?P<yes>{one_of(lang.answer_yes)}))(?=\s*[,.!;"'-]|\s*$)""")
        self._head_shake = re.compile(rf"\b(?:{one_of(lang.head_shake_verbs)})\b")
        self._yes_no = re.compile(rf"\b(?:{one_of(lang.yes_no_question_words)})\b")

    def _object_follows(self, after: str, objects: re.Pattern[str]) -> bool:
        """The topic's object within two words after an action, in the same clause."""
        obj = objects.search(after)
        return obj is not None and not self._clause_break.search(after[:obj.start()]) \
            and len(after[:obj.start()].split()) <= 2

    def _negation_window(self, before: str) -> str:
        """The words just before a cue that a negator in them negates: at most four, in the same
        clause, after the last comma ("if there is no ceasefire, we may send them" is not negated)."""
        breaks = list(self._clause_break.finditer(before))
        if breaks:
            before = before[breaks[-1].end():]
        return " ".join(before.rsplit(",", 1)[-1].split()[-4:])

    def _in_whether(self, text: str, pos: int) -> bool:
        """"too early to say whether Sweden would send troops": a cue a few words after "whether",
        in the same clause, is inside an embedded question."""
        before = text[max(0, pos - 40):pos]
        words = re.split(r"\s+", before.strip())[-4:]
        return "whether" in words and not self._clause_break.search(before.rsplit("whether", 1)[-1])

    @staticmethod
    def _compile_implicit(rules: RuleSet) -> dict[str, tuple[list[tuple[re.Pattern[str], str]],
                                                             re.Pattern[str] | None]]:
        """Per topic: (modal ... action pattern, label) pairs, and what may stand as the action's
        object (the topic's keywords and words pointing back to it, or `objects`)."""
        imp = rules.stances.implicit
        if imp is None:
            return {}
        out = {}
        for t in rules.topics.values():
            actions = "|".join(dict.fromkeys((*imp.actions, *t.actions)))
            patterns = [(re.compile(compile_phrase(f"({'|'.join(modals)}) ... ({actions})")), label)
                        for label, modals in imp.modals.items() if modals and actions]
            objects = compile_phrases([*t.keywords, *t.refer_back, *rules.language.refer_back,
                                       *imp.objects])
            out[t.id] = (patterns, objects)
        return out

    def _compile(self, cuesets: tuple[CueSet, ...]) -> list[_CompiledCue]:
        out = []
        for cs in cuesets:
            for phrase in cs.phrases:
                # A cue that carries its own negation ("not an option", "never going to
                # happen") already says what it means; a negator before it does not flip it.
                own = self._negators is not None and self._negators.search(fold_lower(phrase)) is not None
                source, modal = phrase, False
                words = phrase.split()
                negated_forms = self.rules.stances.modal_negations.get(words[0].lower(), ())
                if not own and len(words) > 1 and negated_forms:
                    # "will approve" also reads "will not approve", "won't approve": negated.
                    source = f"({'|'.join((words[0], *negated_forms))}) (not|never)? {' '.join(words[1:])}"
                    modal = True
                out.append(_CompiledCue(re.compile(compile_phrase(source)), cs.stance, cs.weight,
                                        cs.keep_when_negated or own, "..." in phrase or modal, modal,
                                        required_literals(source), phrase))
        return out

    def read(self, lower: str, topic: str, span: tuple[int, int] | None = None) -> StanceReading:
        """Decide the stance of `lower[span]` (folded, lower-case text) on `topic`."""
        a, b = span or (0, len(lower))
        text = lower[a:b]
        labels = self.rules.labels_for(topic)
        raw: list[Cue] = []
        seen: dict[str, bool] = {}
        for cue in self._per_topic.get(topic, []) + self._global.get(topic, self._global[""]):
            # substring tests before the regex: a sentence holds few of the hundreds of cues
            if cue.label not in labels or not has_literals(cue.units, text, seen):
                continue
            for m in cue.rx.finditer(text):
                raw.append(Cue(m.start(), m.end(), m.group(0), cue.label, cue.label, cue.weight,
                               keep=cue.keep, gapped=cue.gapped, modal=cue.modal))
        # "who would take part", "whether it would send troops": an embedded question commits
        # nobody to anything.
        raw = [c for c in raw if c.label == "opposes" or (_word_before(text, c.start) not in self._wh
                                                          and not self._in_whether(text, c.start))]
        # Longest match wins where cues overlap; topic cues come first among equals.
        raw.sort(key=lambda c: (-(c.end - c.start), c.start))
        chosen: list[Cue] = []
        for c in raw:
            if all(c.end <= k.start or c.start >= k.end for k in chosen):
                chosen.append(c)
        chosen.sort(key=lambda c: c.start)
        cues = tuple(self._negate(text, c, chosen[i - 1].end if i else 0)
                     for i, c in enumerate(chosen))
        # What an opposing cue is directly against is opposed: "warned against allowing Ukraine
        # to fire", "refused to allow strikes".
        cues = tuple(_absorbed(text, cues, self._link_words))
        # What follows a refusal in the same clause is part of what is refused: "not prepared
        # to support joining NATO as part of a settlement" sets no condition.
        refused = [c for c in cues if c.final == "opposes" and (
            c.negator or (self._negators is not None and self._negators.search(c.text)))]

        def in_refusal(pos: int) -> bool:
            return any(r.end <= pos and not self._clause_break.search(text[r.end:pos]) for r in refused)

        cues = tuple(c for c in cues if not (c.label == "conditional" and in_refusal(c.start)))
        condition = ""
        conditions = self._conditions.get(topic, self._conditions[""])
        if conditions is not None:
            for m in conditions.finditer(text):
                # "the question is not if, but when": a condition word inside another cue's
                # words is part of that cue.
                inside = any(c.start <= m.start() < c.end and c.label != "conditional" for c in cues)
                # "difficult, if not impossible", "if necessary": the words of a condition that
                # set none (stances.yaml `not_conditions`)
                idle = self._not_conditions is not None and any(
                    n.start() <= m.start() < n.end() for n in self._not_conditions.finditer(text))
                if not in_refusal(m.start()) and not inside and not idle:
                    condition = m.group(0)
                    break
        if not cues:
            cues = self._read_implicit(text, topic, labels)
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

    def _read_implicit(self, text: str, topic: str, labels: tuple[str, ...]) -> tuple[Cue, ...]:
        """No cue: a modal before an action on the topic's object. "Canada would devote 5 % of
        GDP" supports, "we could send them" is open, "Germany won't hand Ukraine Taurus" opposes
        (a negator in the words or just before them flips the label, as for a cue)."""
        patterns, objects = self._implicit.get(topic, ([], None))
        if objects is None:
            return ()
        found: list[Cue] = []
        for rx, label in patterns:
            if label not in labels:
                continue
            for m in rx.finditer(text):
                if _word_before(text, m.start()) in self._wh or self._in_whether(text, m.start()):
                    continue
                # the action's object must be the topic's, within a few words, or be part of
                # the action itself ("do it")
                own_object = m.group(0).rsplit(None, 1)[-1] in self._object_words
                if not own_object and not self._object_follows(text[m.end():m.end() + 45], objects):
                    continue
                found.append(Cue(m.start(), m.end(), m.group(0), label, label, 1.0, implicit=True))
        if not found:
            return ()
        cue = min(found, key=lambda c: (c.start, -(c.end - c.start)))
        return (self._negate_implicit(text, cue),)

    def _negate_implicit(self, text: str, cue: Cue) -> Cue:
        if self._negators is None:
            return cue
        near = self._negation_window(text[max(0, cue.start - 40):cue.start])
        hit = self._negators.search(cue.text) or self._negators.search(near)
        flipped = self._negated.get(cue.label)
        if hit is None or not flipped:
            return cue
        return replace(cue, final=flipped, negator=hit.group(0))

    def read_answer(self, lower: str, topic: str, question: tuple[int, int], at: int,
                    gesture: str = "") -> StanceReading:
        """A bare yes or no at `at` answers the question in `lower[question]`: "Asked whether he
        was considering sending the missiles, Trump said: 'No, not really.'" A no negates what the
        question asks about (doing it: opposes; ruling it out: open); a yes takes it up."""
        m = self._answer.match(lower, at)
        shook = self._head_shake.search(gesture)
        if not m and not shook:
            return StanceReading(None, ())
        # The question's own "whether" does not make its words an embedded question here.
        q0, q1 = question
        plain = lower[:q0] + self._yes_no.sub(lambda w: " " * len(w.group(0)), lower[q0:q1]) + lower[q1:]
        asked = self.read(plain, topic, question)
        labels = self.rules.labels_for(topic)
        negative = bool(shook) if not m else bool(m.group("no"))
        word = gesture if not m else (m.group("no") or m.group("yes"))
        start = (at - len(gesture)) if not m else (m.start("no") if m.group("no") else m.start("yes"))
        if negative:
            final = self._negated.get(asked.stance or "", "") if asked.stance else "opposes"
        else:
            final = asked.stance or "supports"
        if not final or final not in labels:
            return StanceReading(None, ())
        cue = Cue(start, start + len(word), word, asked.stance or "supports", final, 1.0,
                  negator=word if negative else "")
        return StanceReading(final, (cue,), asked.condition, 1.0)

    def _negate(self, text: str, cue: Cue, after: int) -> Cue:
        """Apply a negator standing just before the cue (not one inside an earlier cue)."""
        if self._negators is None or cue.keep:
            return cue
        # a modal cue's own first word may be the negated form: "won't approve"
        first = 0 if cue.modal else len(cue.text.split(" ", 1)[0])
        inside = self._negators.search(cue.text, first) if cue.gapped else None
        if inside:
            # A negator in a cue's gap negates it: "I rule nothing out" is "rul* ... out" negated.
            flipped = self._negated.get(cue.label)
            if flipped:
                return replace(cue, final=flipped, negator=inside.group(0))
        near = self._negation_window(text[max(after, cue.start - 40):cue.start])
        hits = list(self._negators.finditer(near))
        if not hits:
            return cue
        flipped = self._negated.get(cue.label)
        if not flipped:
            return cue
        return replace(cue, final=flipped, negator=hits[-1].group(0))
