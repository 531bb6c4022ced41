"""Item x RuleSet -> Statements: sentences, topics, speakers, stance, time. Pure.

`Extractor.extract(item)` returns the statements; `Extractor.trace(item)` also returns, for
every sentence, why each decision was taken (what `shiftwatch rules explain` prints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.extract.history import HistoryReader, TimeReading
from bot.extract.sentences import Sentence, split_sentences
from bot.extract.speakers import INSTITUTIONAL, ItemContext, Mention, Report, SpeakerFinder
from bot.extract.stance import StanceClassifier, StanceReading
from bot.extract.topics import TopicHit, TopicMatcher
from bot.models import Item, Statement
from bot.rules import RuleSet
from bot.textnorm import fold_lower

CARRIED_TOPIC_FACTOR = 0.9


@dataclass
class SentenceTrace:
    sentence: Sentence
    topics: list[TopicHit] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    time: TimeReading | None = None
    readings: list[tuple[str, str, StanceReading]] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Extractor:
    """Compiled once per RuleSet; `extract` is then a pure function of the item."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.topics = TopicMatcher(rules)
        self.speakers = SpeakerFinder(rules)
        self.stance = StanceClassifier(rules)
        self.history = HistoryReader(rules)

    def extract(self, item: Item) -> list[Statement]:
        return [s for t in self.trace(item, quick=True) for s in t.statements]

    def trace(self, item: Item, quick: bool = False) -> list[SentenceTrace]:
        possible = self.topics.item_topics(fold_lower(item.title + "\n" + item.text))
        if quick and not possible:
            return []
        day = item.published.date()
        ctx = ItemContext(day=day)
        traces: list[SentenceTrace] = []
        on_topic: dict[str, tuple[int, int, frozenset[str]]] = {}
        last_time: dict[str, tuple[TimeReading, int]] = {}
        prev_time: TimeReading | None = None
        prev_paragraph = -1
        quote_speaker: tuple[tuple[Mention, ...], int] | None = None

        for s in split_sentences(item.text, title=item.title):
            trace = SentenceTrace(s)
            traces.append(trace)
            lower = fold_lower(s.text)
            raw = self.speakers.mentions(s, ctx)
            resolved = {id(m): self.speakers.resolve(m, ctx, s.paragraph) for m in raw}
            reports = self.speakers.reports(s, raw, ctx)
            if not reports and s.starts_in_quote and quote_speaker \
                    and s.paragraph - quote_speaker[1] <= 1:
                reports = [Report(quote_speaker[0], 0, 0, 0, "continues the quotation of "
                                  + ", ".join(m.via for m in quote_speaker[0]))]
            trace.reports = reports
            speakers_of: list[tuple[Report, list[Mention]]] = []
            for r in reports:
                actors = []
                for m in r.speakers:
                    res = resolved.get(id(m), m) if m.kind != "quote" else m
                    if res is not None and res.actor_id:
                        actors.append(res)
                speakers_of.append((r, actors))

            # What this sentence establishes for the next ones.
            ctx.mentioned.extend(m.actor_id for m in resolved.values()
                                 if m and m.actor_id and m.kind in {"name", "role", "bare-role"})
            named = frozenset(m.actor_id for m in resolved.values() if m and m.actor_id)
            if reports:
                last_actors = speakers_of[-1][1]
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
            if not hits:
                hits = self._carried(lower, s, possible, on_topic, speaker_ids, reports, trace)
            trace.topics = hits
            for hit in hits:
                on_topic[hit.topic] = (s.index, s.paragraph, speaker_ids | named)
                self._statements(item, s, lower, hit, speakers_of, raw, time, trace, ctx)
            for _, actors in speakers_of:
                for a in actors:
                    if a.actor_id:
                        last_time[a.actor_id] = (time, s.paragraph)
        return traces

    def _carried(self, lower: str, s: Sentence, possible: list[str],
                 on_topic: dict[str, tuple[int, int, frozenset[str]]], speaker_ids: frozenset[str],
                 reports: list[Report], trace: SentenceTrace) -> list[TopicHit]:
        out = []
        refer = self.topics.refer_back.search(lower) if self.topics.refer_back else None
        for topic in possible:
            prev = on_topic.get(topic)
            if prev is None or s.paragraph - prev[1] > 1 or self.topics.excluded(lower, topic):
                continue
            adjacent = s.index - prev[0] == 1
            same_speaker = bool(speaker_ids) and speaker_ids <= prev[2] and s.index - prev[0] <= 2
            if (refer and adjacent) or same_speaker:
                why = f"refers back with {refer.group(0)!r}" if refer else "same speaker goes on"
                trace.carried.append(f"{topic}: {why}")
                out.append(TopicHit(topic, ()))
        return out

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
        for _, actors in speakers_of:
            for a in actors:
                if a.kind in {"pronoun", "quote"} and a.actor_id in last_time:
                    earlier, paragraph = last_time[a.actor_id]
                    if earlier.historical and s.paragraph - paragraph <= 1:
                        return TimeReading(True, earlier.said_on,
                                           ("continues the speaker's earlier statement",))
        return time

    def _statements(self, item: Item, s: Sentence, lower: str, hit: TopicHit,
                    speakers_of: list[tuple[Report, list[Mention]]], mentions: list[Mention],
                    time: TimeReading, trace: SentenceTrace, ctx: ItemContext) -> None:
        anchors = [r.anchor for r, _ in speakers_of]
        for i, (report, actors) in enumerate(speakers_of):
            if not actors:
                continue
            start = 0 if i == 0 else anchors[i]
            end = anchors[i + 1] if i + 1 < len(anchors) else len(lower)
            if end <= start:
                end = len(lower)
            reading = self.stance.read(lower, hit.topic, (start, end))
            names = ", ".join(self.rules.actors[a.actor_id].name for a in actors if a.actor_id)
            trace.readings.append((hit.topic, names, reading))
            if reading.stance is None:
                continue
            if _claim_about_other(report, actors, mentions, reading, start, s):
                trace.notes.append(f"{names}: the words are about another actor")
                continue
            factor = CARRIED_TOPIC_FACTOR if not hit.keywords else 1.0
            for a in actors:
                actor = self.rules.actors[a.actor_id or ""]
                confidence = round(a.confidence * factor * (0.6 + 0.4 * reading.certainty), 3)
                trace.statements.append(Statement(
                    item_guid=item.guid, url=item.url, published=item.published,
                    actor_id=actor.id, actor_name=actor.name, country=actor.country,
                    topic=hit.topic, stance=reading.stance, historical=time.historical,
                    confidence=confidence, evidence=s.text,
                    said_on=time.said_on if time.historical else ctx.day,
                    attribution=("institutional: " if a.kind in INSTITUTIONAL else "") + a.via,
                    provisional=actor.provisional,
                ))



def _claim_about_other(report: Report, actors: list[Mention], mentions: list[Mention],
                       reading: StanceReading, start: int, s: Sentence) -> bool:
    """'Scholz said Macron wants ...': the words are a claim about Macron, nobody's own stance."""
    if not reading.cues:
        return False
    first_cue = start + reading.cues[0].start
    speakers = {a.actor_id for a in actors}
    return any(
        m.kind in {"name", "role"} and m.actor_id and m.actor_id not in speakers
        and report.verb_end <= m.start < first_cue and not m.possessive
        and not s.inside_quote(m.start)
        for m in mentions)
