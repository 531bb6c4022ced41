"""Item x RuleSet -> Statements: sentences, topics, speakers, stance, time. Pure.

`Extractor.extract(item)` returns the statements; `Extractor.trace(item)` also returns, for
every sentence, why each decision was taken (what `shiftwatch rules explain` prints).

Provisional actors: a person nobody listed in actors.yaml, introduced with an office and a
country ("Swedish Prime Minister Ulf Kristersson"), speaks as actor `provisional:<slug of the
name>` (see `mentions.provisional_id`). Their statements carry `provisional=True`, the country
from the country name or demonym, and an `attribution` that starts with `role: <office as
written>; ` (e.g. "role: opposition leader; provisional 'Peter Dutton' introduced as ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from bot.extract.attribution import QUOTATION_RULES, AttributionRule, Report, ReportFinder
from bot.extract.confidence import Confidence, ConfidenceModel
from bot.extract.history import HistoryReader, TimeReading
from bot.extract.mentions import (
    INSTITUTIONAL,
    NAME_OR_ROLE,
    PERSONAL,
    PROVISIONAL_PREFIX,
    ItemContext,
    Mention,
    MentionFinder,
    MentionKind,
)
from bot.extract.patterns import compile_phrases, one_of
from bot.extract.sentences import Sentence, split_sentences
from bot.extract.stance import StanceClassifier, StanceReading
from bot.extract.topics import TopicHit, TopicMatcher
from bot.models import Item, Statement
from bot.rules import Actor, Language, RuleSet
from bot.textnorm import fold_lower

# How far back (sentences) a topic carries to a sentence without a keyword of its own.
CARRY_SENTENCES = 3


@dataclass(frozen=True)
class _Clauses:
    """Which words of a sentence are the speaker's (word classes of rules/language.yaml)."""

    # "Asked whether the US would provide a backstop, he said ...": the question is not his words.
    asked: re.Pattern[str]
    # The reporter's own background after the reported words: "..., days after Biden allowed ...".
    background: re.Pattern[str]
    # When the words were said, between a reporting verb and its clause: "said on Monday that".
    when_gap: re.Pattern[str]
    # Where one clause of reported words ends and the next begins ("..., and that ...").
    boundary: re.Pattern[str]

    @classmethod
    def of(cls, lang: Language) -> _Clauses:
        return cls(
            asked=re.compile(rf"\basked\b[^,;]{{0,80}}?\b(?:{one_of(lang.asked_question_words)})\b"
                             r"[^,;]*(?:[,;]|$)"),
            background=re.compile(
                rf",\s+(?:(?:{one_of(lang.background_restrictors)})\s+)?"
                rf"(?:(?:{one_of(lang.background_counts)}|\d+)\s+)?"
                rf"(?:(?:{one_of(lang.background_units)})s?)\s+(?:{one_of(lang.background_relations)})\b"),
            when_gap=re.compile(
                rf"^(?:(?:{one_of(lang.time_openers_after_verb)})\s+"
                rf"(?:{one_of((*lang.day_names, *lang.periods_after_verb))})|{one_of(lang.relative_days)})"
                rf"(?:\s+(?:{one_of(lang.parts_of_day)}))?\s*,?"),
            boundary=re.compile(rf",?\s+and\s+that\b|;|,\s+(?:{one_of(lang.clause_boundary_conjunctions)})\b"),
        )


@dataclass
class SentenceTrace:
    sentence: Sentence
    topics: list[TopicHit] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    time: TimeReading | None = None
    readings: list[tuple[str, str, StanceReading]] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    confidences: list[tuple[str, Confidence]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (actor, topic) whose words here state only a condition ("But it must come with a backstop")
    conditions: list[tuple[tuple[str, str], bool, date | None]] = field(default_factory=list)
    weak: set[str] = field(default_factory=set)   # topics carried only as "the next sentence"


@dataclass
class _Carry:
    """What the sentences so far say about which topic the next one may be on."""

    on_topic: dict[str, tuple[int, int, frozenset[str]]] = field(default_factory=dict)
    # actor -> (topic, sentence index, paragraph) of the last on-topic sentence they spoke or were named in
    by_actor: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    quote_topics: tuple[list[str], int] | None = None   # topics of the quotation still open
    keyworded: dict[str, int] = field(default_factory=dict)   # topic -> last sentence naming it


class Extractor:
    """Compiled once per RuleSet; `extract` is then a pure function of the item."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.topics = TopicMatcher(rules)
        self.mentions = MentionFinder(rules)
        self.attribution = ReportFinder(rules, self.mentions)
        self.stance = StanceClassifier(rules)
        self.history = HistoryReader(rules)
        self.confidence = ConfidenceModel(rules)
        self._refer_back = {t.id: compile_phrases(list(t.refer_back)) for t in rules.topics.values()}
        self._clauses = _Clauses.of(rules.language)
        self._abbreviations = frozenset(rules.language.abbreviations)

    def extract(self, item: Item) -> list[Statement]:
        return [s for t in self.trace(item, quick=True) for s in t.statements]

    def actor(self, actor_id: str, ctx: ItemContext) -> Actor:
        if actor_id.startswith(PROVISIONAL_PREFIX):
            return ctx.provisional[actor_id]
        return self.rules.actors[actor_id]

    def trace(self, item: Item, quick: bool = False) -> list[SentenceTrace]:
        possible = self.topics.item_topics(fold_lower(item.title + "\n" + item.text))
        if quick and not possible:
            return []
        day = item.published.date()
        ctx = ItemContext(day=day, dateline=self.mentions.dateline(item.text))
        traces: list[SentenceTrace] = []
        carry = _Carry()
        last_time: dict[str, tuple[TimeReading, int]] = {}
        prev_time: TimeReading | None = None
        prev_paragraph = -1
        quote_speaker: tuple[tuple[Mention, ...], int] | None = None
        # (actor, topic) -> (sentence index, trace, statement position) of the last statement
        recent: dict[tuple[str, str], tuple[int, SentenceTrace, int]] = {}

        sentences = split_sentences(item.text, title=item.title, abbreviations=self._abbreviations)
        for pos, s in enumerate(sentences):
            trace = SentenceTrace(s)
            traces.append(trace)
            lower = fold_lower(s.text)
            raw = self.mentions.mentions(s, ctx)
            reports = self.attribution.reports(s, raw, ctx)
            resolved = {id(m): self._resolve(m, raw, reports, ctx, s) for m in raw}
            if not reports and s.starts_in_quote and quote_speaker \
                    and s.paragraph - quote_speaker[1] <= 1:
                reports = [Report(quote_speaker[0], 0, 0, 0, "continues the quotation of "
                                  + ", ".join(m.via for m in quote_speaker[0]),
                                  AttributionRule.QUOTATION_CONTINUES)]
            if not reports and not s.is_title and s.quotes and s.quotes[-1][1] >= len(s.text) - 1:
                reports = self._quote_closed_later(sentences, pos, ctx)
            trace.reports = reports
            speakers_of: list[tuple[Report, list[Mention]]] = []
            for r in reports:
                actors = []
                for m in r.speakers:
                    res = resolved.get(id(m), m) if id(m) in resolved else m
                    if res is not None and res.actor_id:
                        actors.append(res)
                speakers_of.append((r, actors))

            # What this sentence establishes for the next ones.
            ctx.mentioned.extend(m.actor_id for m in resolved.values()
                                 if m and m.actor_id and m.kind in PERSONAL)
            named = frozenset(m.actor_id for m in resolved.values()
                              if m and m.actor_id and m.kind in PERSONAL)
            if not reports and not s.starts_in_quote:
                # "Stoltenberg repeated his call ..." names who the next "he said" is.
                subject = self.attribution.subject(lower, raw)
                res = resolved.get(id(subject)) if subject is not None else None
                if res is not None and res.actor_id and res.kind in NAME_OR_ROLE:
                    ctx.last_speaker, ctx.last_speaker_paragraph = res, s.paragraph
            if reports:
                # He/she goes back to the sentence's main speaker: a tracked first report keeps
                # the chain through an untracked clause after it ("..., the conditions allies agreed").
                tracked = [acts for _, acts in speakers_of if acts]
                last_actors = tracked[-1] if tracked and speakers_of[0][1] else speakers_of[-1][1]
                ctx.last_speaker = last_actors[0] if last_actors else None
                ctx.last_speaker_paragraph = s.paragraph
                if s.quotes:
                    quote_speaker = (tuple(last_actors), s.paragraph) if last_actors else None

            time = self.history.read(lower, day, list(s.quotes))
            time = self._inherit_time(time, s, reports, speakers_of, last_time, prev_time,
                                      prev_paragraph, trace)
            trace.time = time
            prev_time, prev_paragraph = time, s.paragraph

            if s.text.rstrip(" \"'\u201d\u2019").endswith("?"):
                trace.notes.append("a question: no statement")
                continue
            if not possible:
                continue
            hits = self.topics.sentence_topics(lower, possible)
            speaker_ids = frozenset(a.actor_id or "" for _, acts in speakers_of for a in acts)
            hits += self._carried(lower, s, possible, carry, speaker_ids, reports, hits, trace)
            trace.topics = hits
            open_quote = bool(s.quotes) and s.quotes[-1][1] >= len(s.text) - 1
            carry.quote_topics = ([h.topic for h in hits], s.paragraph) if open_quote and hits else None
            for hit in hits:
                if hit.keywords:
                    carry.keyworded[hit.topic] = s.index
                if hit.topic not in trace.weak:
                    carry.on_topic[hit.topic] = (s.index, s.paragraph, speaker_ids | named)
                    for actor_id in speaker_ids | named:
                        carry.by_actor[actor_id] = (hit.topic, s.index, s.paragraph)
                else:
                    # "Blinken was more guarded." then '"...," he said.': a weakly carried
                    # sentence does not carry on by itself, but its speaker may go on.
                    for actor_id in speaker_ids:
                        carry.by_actor[actor_id] = (hit.topic, s.index, s.paragraph)
                self._statements(item, s, lower, hit, speakers_of, raw, time, trace, ctx)
            self._qualify_earlier(trace, recent, s)
            for _, actors in speakers_of:
                for a in actors:
                    if a.actor_id:
                        last_time[a.actor_id] = (time, s.paragraph)
        _prefer_the_body(traces)
        return traces

    def _resolve(self, m: Mention, raw: list[Mention], reports: list[Report], ctx: ItemContext,
                 s: Sentence) -> Mention | None:
        """He/she is the speaker of a report earlier in the sentence, else the person named just
        before it in the sentence ("... and Emmanuel Macron, a day after he declined ..."), else
        the item's last speaker."""
        if m.kind == MentionKind.PRONOUN:
            for r in reports:
                if r.verb_end <= m.start and r.speakers and r.speakers[0].kind != MentionKind.PRONOUN:
                    head = self.mentions.resolve(r.speakers[0], ctx, s.paragraph)
                    if head is not None and head.actor_id:
                        return Mention(m.start, m.end, MentionKind.PRONOUN, head.actor_id,
                                       f"pronoun {s.text[m.start:m.end]!r} -> {head.via}, "
                                       "speaking earlier in the sentence")
                    break
            else:
                # a name inside the quotation is not who says it: '"... explain to Mr Trump
                # that ...," he said'
                near = [x for x in raw if x.kind in NAME_OR_ROLE and x.actor_id
                        and x.end <= m.start and not x.possessive
                        and (s.inside_quote(m.start) or not s.inside_quote(x.start))]
                if near:
                    return Mention(m.start, m.end, MentionKind.PRONOUN, near[-1].actor_id,
                                   f"pronoun {s.text[m.start:m.end]!r} -> {near[-1].via}, "
                                   "named just before")
        return self.mentions.resolve(m, ctx, s.paragraph)

    def _quote_closed_later(self, sentences: list[Sentence], pos: int, ctx: ItemContext
                            ) -> list[Report]:
        """A quotation left open ('"Tariffs are not the answer. They hurt us," he said.') belongs
        to whoever the sentence that closes it names."""
        here = sentences[pos]
        for nxt in sentences[pos + 1:pos + 4]:
            if nxt.paragraph != here.paragraph:
                return []
            closes = bool(nxt.quotes) and nxt.quotes[0][0] == 0 and nxt.quotes[0][1] < len(nxt.text)
            if not closes:
                continue
            mentions = self.mentions.mentions(nxt, ctx)
            found = []
            for r in self.attribution.reports(nxt, mentions, ctx):
                if r.verb_start < nxt.quotes[0][1]:
                    continue
                for m in r.speakers:
                    res = self.mentions.resolve(m, ctx, nxt.paragraph)
                    if res is not None and res.actor_id:
                        found.append(Mention(0, 0, MentionKind.QUOTE, res.actor_id,
                                             f"the quotation closes in the next sentence: {res.via}"))
            found = list({f.actor_id: f for f in found}.values())
            return [Report(tuple(found), 0, 0, 0, "quotation attributed where it closes",
                           AttributionRule.QUOTATION_CLOSES_LATER)] if found else []
        return []

    def _carried(self, lower: str, s: Sentence, possible: list[str], carry: _Carry,
                 speaker_ids: frozenset[str], reports: list[Report], hits: list[TopicHit],
                 trace: SentenceTrace) -> list[TopicHit]:
        """Topics a sentence inherits: it refers back ("such a move", "these missiles"), its
        speaker goes on about what they were just saying, or it continues a quotation."""
        out = []
        have = {h.topic for h in hits}
        general = self.topics.refer_back.search(lower) if self.topics.refer_back else None
        continues_quote = bool(reports) and reports[0].rule in QUOTATION_RULES
        for topic in possible:
            weak = False
            prev = carry.on_topic.get(topic)
            if topic in have or prev is None or s.paragraph - prev[1] > 1 \
                    or self.topics.excluded(lower, topic):
                continue
            gap = s.index - prev[0]
            why = ""
            own = self._refer_back.get(topic)
            refer = (own.search(lower) if own else None) or general
            if have:
                continue  # a sentence with a topic of its own does not inherit another
            if refer and gap <= CARRY_SENTENCES:
                why = f"refers back with {refer.group(0)!r}"
            elif continues_quote and carry.quote_topics and topic in carry.quote_topics[0]:
                why = "continues a quotation on the topic"
            elif speaker_ids and all(self._spoke_on(carry, a, topic, s) for a in speaker_ids):
                why = "same speaker goes on"
            elif speaker_ids and gap == 1 and set(carry.keyworded) == {topic} \
                    and carry.keyworded[topic] == prev[0] and any(r.verb_end > r.verb_start for r in reports):
                # Weakest: the sentence right after one that names the topic, in an item that so
                # far named no other topic (another topic's words further on take nothing away).
                # It does not carry further itself.
                why = "the next sentence of an article on the topic"
                weak = True
            if why:
                trace.carried.append(f"{topic}: {why}")
                out.append(TopicHit(topic, ()))
                if weak:
                    trace.weak.add(topic)
        return out

    @staticmethod
    def _spoke_on(carry: _Carry, actor_id: str, topic: str, s: Sentence) -> bool:
        last = carry.by_actor.get(actor_id)
        return (last is not None and last[0] == topic and s.index - last[1] <= CARRY_SENTENCES
                and s.paragraph - last[2] <= 1)

    @staticmethod
    def _inherit_time(time: TimeReading, s: Sentence, reports: list[Report],
                      speakers_of: list[tuple[Report, list[Mention]]],
                      last_time: dict[str, tuple[TimeReading, int]], prev_time: TimeReading | None,
                      prev_paragraph: int, trace: SentenceTrace) -> TimeReading:
        """A sentence with no time of its own continues the report before it ("..., he added")."""
        if time.historical or not reports:
            return time
        verbs = " ".join(trace.sentence.text[r.verb_start:r.verb_end].lower() for r in reports)
        if prev_time and prev_time.historical and prev_paragraph == s.paragraph and "add" in verbs:
            return TimeReading(True, prev_time.said_on, ("continues the previous sentence",))
        for report, actors in speakers_of:
            # A quotation running on from a recalled one is recalled too.
            running_on = report.rule == AttributionRule.QUOTATION_CONTINUES
            for a in actors:
                if (a.kind in {MentionKind.PRONOUN, MentionKind.QUOTE} or running_on) \
                        and a.actor_id in last_time:
                    earlier, paragraph = last_time[a.actor_id]
                    if earlier.historical and s.paragraph - paragraph <= 1:
                        return TimeReading(True, earlier.said_on,
                                           ("continues the speaker's earlier statement",))
        return time

    def _statements(self, item: Item, s: Sentence, lower: str, hit: TopicHit,
                    speakers_of: list[tuple[Report, list[Mention]]], mentions: list[Mention],
                    time: TimeReading, trace: SentenceTrace, ctx: ItemContext) -> None:
        # The words of a question put to the speaker are not the speaker's.
        words = self._clauses.asked.sub(lambda m: " " * len(m.group(0)), lower)
        kept = self._outer_reports(speakers_of, trace, self._clauses.when_gap)
        anchors = [r.anchor for r, _ in kept]
        # The best way each actor is named in this sentence ("Olaf Scholz said Germany ...").
        factor = self.rules.stances.confidence.attribution
        best: dict[str, Mention] = {}
        for _, actors in speakers_of:
            for a in actors:
                if a.actor_id and factor.get(a.kind, 0) > factor.get(
                        best[a.actor_id].kind if a.actor_id in best else "", -1):
                    best[a.actor_id] = a
        seen: dict[tuple[str, str], int] = {}
        for i, (report, actors) in enumerate(kept):
            if not actors:
                continue
            start = 0 if i == 0 else anchors[i]
            end = anchors[i + 1] if i + 1 < len(anchors) else len(lower)
            if end <= start:
                end = len(lower)
            background = self._clauses.background.search(lower, max(start, report.verb_end), end)
            if background and not s.inside_quote(background.start()):
                end = background.start()
            reading = self.stance.read(words, hit.topic, (start, end))
            asked = self._clauses.asked.search(lower, start, end)
            if reading.stance is None and asked and asked.end() <= report.verb_end:
                # "Asked whether ..., Trump said: 'No.'": the answer takes its stance from the question.
                answer = self.stance.read_answer(lower, hit.topic, (asked.start(), asked.end()),
                                                 report.verb_end, lower[report.verb_start:report.verb_end])
                if answer.stance is not None:
                    reading = StanceReading(answer.stance, tuple(
                        replace(c, start=c.start - start, end=c.end - start) for c in answer.cues),
                        answer.condition, answer.certainty)
                    trace.notes.append(f"answer {answer.cues[0].text!r} to the question "
                                       f"{lower[asked.start():asked.end()].strip()!r}")
            names = ", ".join(self.actor(a.actor_id, ctx).name for a in actors if a.actor_id)
            trace.readings.append((hit.topic, names, reading))
            if reading.stance is None:
                if reading.condition:
                    said_on = time.said_on if time.historical else None
                    trace.conditions.extend(((a.actor_id or "", hit.topic), time.historical, said_on)
                                            for a in actors)
                continue
            if _claim_about_other(report, actors, mentions, reading, start, s, lower, self._clauses.boundary):
                trace.notes.append(f"{names}: the words are about another actor")
                continue
            for a in actors:
                actor = self.actor(a.actor_id or "", ctx)
                a = best.get(actor.id, a)
                conf = self.confidence.score(a, report, reading, s, start, carried=not hit.keywords)
                key = (actor.id, reading.stance)
                if key in seen:  # the same stance twice in one sentence is one statement
                    k = seen[key]
                    if conf.value > trace.statements[k].confidence:
                        trace.statements[k] = replace(trace.statements[k], confidence=conf.value)
                    continue
                seen[key] = len(trace.statements)
                trace.confidences.append((actor.name, conf))
                via = ("institutional: " if a.kind in INSTITUTIONAL else "") + a.via
                if actor.provisional:
                    via = f"role: {ctx.provisional_roles.get(actor.id, '')}; {via}"
                trace.statements.append(Statement(
                    item_guid=item.guid, url=item.url, published=item.published,
                    actor_id=actor.id, actor_name=actor.name, country=actor.country,
                    topic=hit.topic, stance=reading.stance, historical=time.historical,
                    confidence=conf.value, evidence=_evidence(s, reading, start),
                    said_on=time.said_on if time.historical else ctx.day,
                    attribution=via, provisional=actor.provisional,
                ))

    @staticmethod
    def _outer_reports(speakers_of: list[tuple[Report, list[Mention]]], trace: SentenceTrace,
                       when_gap: re.Pattern[str]) -> list[tuple[Report, list[Mention]]]:
        """Drop reports embedded in another speaker's words: in "Trump said Macron wanted ...",
        what Macron wanted is Trump's claim, and Trump's words run on past it."""
        kept: list[tuple[Report, list[Mention]]] = []
        for report, actors in speakers_of:
            if kept and report.speakers:
                outer, outer_actors = kept[-1]
                first = min(m.start for m in report.speakers)
                text = trace.sentence.text
                gap = text[outer.verb_end:first].strip().lower() if first >= outer.verb_end else None
                ids = {a.actor_id for a in actors}
                if gap is not None:
                    gap = when_gap.sub("", gap).strip()   # "said on Monday that Portugal ..."
                if gap is not None and gap in {"", "that"} and outer.verb_end > outer.verb_start:
                    who = ", ".join(m.via for m in report.speakers)
                    if ids != {a.actor_id for a in outer_actors}:
                        trace.notes.append(f"{who}: inside another speaker's words, a claim about them")
                    # "Scholz said Germany had voted against": still Scholz's own words.
                    continue
            kept.append((report, actors))
        return kept

    @staticmethod
    def _qualify_earlier(trace: SentenceTrace,
                         recent: dict[tuple[str, str], tuple[int, SentenceTrace, int]],
                         s: Sentence) -> None:
        """A condition the speaker adds right after a commitment qualifies it: "We are ready to
        send troops. But it must come with a US backstop." is one conditional stance."""
        qualifiers = [((st.actor_id, st.topic), st.historical, st.said_on) for st in trace.statements
                      if st.stance == "conditional"]
        qualifiers += trace.conditions
        for key, historical, said_on in qualifiers:
            earlier = recent.get(key)
            if earlier and s.index - earlier[0] <= 2:
                _, prev_trace, idx = earlier
                prev = prev_trace.statements[idx]
                # A condition recalled from another date ("In October, he had proposed ...")
                # does not qualify what was said in March.
                same_time = not historical or said_on is None or prev.said_on == said_on
                if prev.stance in {"supports", "open"} and prev.historical == historical and same_time:
                    prev_trace.statements[idx] = replace(prev, stance="conditional")
                    prev_trace.notes.append(f"{prev.actor_name}: qualified by the condition the "
                                            f"speaker sets next ({s.text[:40]!r}...) -> conditional")
        for k, st in enumerate(trace.statements):
            recent[(st.actor_id, st.topic)] = (s.index, trace, k)


def _prefer_the_body(traces: list[SentenceTrace]) -> None:
    """A headline that only sums up what the body says in the speaker's own words is not the
    evidence: the body's statement stands for it."""
    body = {(st.actor_id, st.topic, st.stance, st.historical)
            for t in traces if not t.sentence.is_title for st in t.statements}
    for t in traces:
        if not t.sentence.is_title:
            continue
        kept = [st for st in t.statements
                if (st.actor_id, st.topic, st.stance, st.historical) not in body]
        if len(kept) < len(t.statements):
            t.notes.append("the body says the same in the speaker's words: its sentence is the evidence")
            t.statements = kept


def _evidence(s: Sentence, reading: StanceReading, start: int) -> str:
    """The words an analyst would quote: the quotation that holds every cue of the reading when
    there is one (the speaker's own words), else the sentence."""
    holding = [[span for span in s.quotes if span[0] <= start + c.start < span[1]]
               for c in reading.cues]
    spans = {span for found in holding for span in found}
    if len(spans) == 1 and all(holding):   # every cue inside one and the same quotation
        a, b = spans.pop()
        quoted = s.text[a:b].strip(" \"'\u201c\u201d\u2018\u2019\u00ab\u00bb").rstrip(",;:")
        if len(quoted.split()) >= 4:
            return quoted
    return s.text


def _claim_about_other(report: Report, actors: list[Mention], mentions: list[Mention],
                       reading: StanceReading, start: int, s: Sentence, lower: str,
                       clause_boundary: re.Pattern[str]) -> bool:
    """'Scholz said Macron wants ...': the words are a claim about Macron, nobody's own stance."""
    if not reading.cues:
        return False
    first_cue = start + reading.cues[0].start
    speakers = {a.actor_id for a in actors}
    others = [m for m in mentions
              if m.kind in NAME_OR_ROLE and m.actor_id and m.actor_id not in speakers
              and report.verb_end <= m.start < first_cue and not m.possessive
              and not s.inside_quote(m.start)]
    # "..., and that Ukraine still needed ..." starts a clause of the speaker's own.
    return any(not clause_boundary.search(lower[m.end:first_cue]) for m in others)
