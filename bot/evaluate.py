"""Scoring extraction against a labelled corpus (bot/gold.py), and where its errors come from. Pure.

Statements are (guid, actor, topic, stance) units; shifts are (actor, topic, to, guid) units;
names compare case-, accent- and punctuation-insensitively; actors listed as `ambiguous` in an
item are dropped from both sides for that item; a syndicated copy (`duplicate_of`) expects no
statements of its own. A split scores only its own items, after a replay of every item, so that
positions carry across splits as they would in a live run.

Each miss and false alarm is put down to one cause (`Causes`), so a round of extraction work can
go after the largest: the sentence holding the gold evidence had no topic, or no tracked speaker,
or no stance; the stance was another label (a confusion matrix); the speaker or topic was another;
a recalled statement read as current or the reverse; a syndicated copy counted again. A false or
missed shift is put down to the statement behind it, or to the position it compares against.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.gold import Gold, ShiftKey, StatementKey
from bot.models import Statement
from bot.textnorm import squash

K = TypeVar("K", bound=tuple[str, ...])   # a statement or shift unit


@dataclass
class Score:
    matched: int = 0
    system: int = 0
    gold: int = 0
    misses: list[Any] = field(default_factory=list)
    false_alarms: list[Any] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.system if self.system else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0


def _keep(gold: Gold, guid: str, actor: str, topic: str, guids: Collection[str] | None,
          topic_filter: str | None) -> bool:
    if guids is not None and guid not in guids:
        return False
    if topic_filter is not None and topic != topic_filter:
        return False
    return actor not in gold.ambiguous.get(guid, set())


def score_statements(gold: Gold, system: Iterable[tuple[StatementKey, Any]], *,
                     guids: Collection[str] | None = None, topic: str | None = None) -> Score:
    """`system`: (key, payload) pairs; payload is reported for false alarms. `guids` limits both
    sides to some items (a split), `topic` to one topic."""
    def keep(key: StatementKey) -> bool:
        return _keep(gold, key[0], key[1], key[2], guids, topic)

    return _compare(gold.statements, system, lambda k: keep(k) and k[2] in gold.topics, keep)


def score_shifts(gold: Gold, system: Iterable[tuple[ShiftKey, Any]], *,
                 guids: Collection[str] | None = None, topic: str | None = None) -> Score:
    def keep(key: ShiftKey) -> bool:
        return ((guids is None or key[3] in guids) and (topic is None or key[1] == topic)
                and key[1] in gold.topics)

    return _compare(gold.shifts, system, keep, keep)


def _compare(gold_keys: Iterable[K], system: Iterable[tuple[K, Any]], keep_system: Callable[[K], bool],
             keep_gold: Callable[[K], bool]) -> Score:
    """Matched, missed and false units between the gold's keys and the system's (each unit once;
    the first payload of a system unit is the one reported)."""
    expected = {k for k in gold_keys if keep_gold(k)}
    found: dict[K, Any] = {}
    for key, payload in system:
        if keep_system(key):
            found.setdefault(key, payload)
    score = Score(system=len(found), gold=len(expected))
    score.matched = len(expected & set(found))
    score.misses = sorted(expected - set(found))
    score.false_alarms = [(k, found[k]) for k in sorted(set(found) - expected)]
    return score


def statement_key(s: Statement) -> StatementKey:
    return (s.item_guid, squash(s.actor_name), s.topic, s.stance)


def shift_key(record: dict[str, Any]) -> ShiftKey:
    return (squash(record["actor_name"]), record["topic"], record["to_stance"],
            record["item_guid"])


def _figure(value: float, denominator: int) -> str:
    return f"{value:.2f}" if denominator else "n/a"


def summary_line(statements: Score, shifts: Score) -> str:
    """The last line `eval` prints; "n/a" where nothing could be counted (no gold for recall,
    nothing extracted and nothing expected for precision)."""
    return (f"statements P={_figure(statements.precision, statements.system or statements.gold)} "
            f"R={_figure(statements.recall, statements.gold)} "
            f"shifts P={_figure(shifts.precision, shifts.system or shifts.gold)} "
            f"R={_figure(shifts.recall, shifts.gold)}")


def topic_table(gold: Gold, statements: Sequence[tuple[StatementKey, Any]],
                shifts: Sequence[tuple[ShiftKey, Any]], guids: Collection[str] | None) -> list[str]:
    """One line per topic: statements and shifts, P and R, with their counts."""
    width = max((len(t) for t in gold.topics), default=5)
    lines = [f"{'topic':<{width}}  statements P    R  (matched/system/gold)   shifts P    R  "
             f"(matched/system/gold)"]
    for topic in sorted(gold.topics):
        st = score_statements(gold, statements, guids=guids, topic=topic)
        sh = score_shifts(gold, shifts, guids=guids, topic=topic)
        lines.append(f"{topic:<{width}}  {_figure(st.precision, st.system or st.gold):>12} "
                     f"{_figure(st.recall, st.gold):>4}  ({st.matched}/{st.system}/{st.gold})"
                     f"{'':<{max(0, 21 - len(f'({st.matched}/{st.system}/{st.gold})'))}}"
                     f"{_figure(sh.precision, sh.system or sh.gold):>10} {_figure(sh.recall, sh.gold):>4}"
                     f"  ({sh.matched}/{sh.system}/{sh.gold})")
    return lines


# ------------------------------------------------------------------------------------- causes

@dataclass(frozen=True)
class SentenceFacts:
    """What extraction found in the sentence that holds a gold statement's evidence."""

    topics: frozenset[str]          # topics found (by keyword or carried over)
    speakers: frozenset[str]        # squashed names of the tracked speakers of its reports
    stated: frozenset[tuple[str, str]]   # (squashed actor, topic) with a statement


# guid, evidence -> the facts of the sentence holding it (None: no sentence holds it)
Probe = Callable[[str, str], SentenceFacts | None]

TOPIC_MISSED = "topic missed (the sentence is on no topic, or on another)"
SPEAKER_MISSED = "speaker missed (no tracked speaker found for the words)"
SPEAKER_WRONG = "speaker wrong (the words given to someone else)"
STANCE_MISSED = "stance missed (speaker and topic found, no stance read)"
STANCE_WRONG = "stance wrong (another label)"
TOPIC_WRONG = "topic wrong (the statement put on another topic)"
NO_SENTENCE = "evidence in no single sentence (sentence split)"
DROPPED = "extracted, but the pipeline stored nothing (the item taken for a syndicated copy)"
NOT_STATEMENT = "not a statement (nothing of the kind in the gold item)"
DISTRACTOR = "not a statement (a distractor item)"
COPY = "syndicated copy counted again"
SAME_ITEM_OTHER = "another statement of the item (other stance or speaker)"
READ_AS_CURRENT = "recalled read as current"
READ_AS_RECALLED = "current read as recalled"
STATEMENT_FALSE = "its statement is false: "
STATEMENT_MISSED = "its statement is missed: "
PREVIOUS_WRONG = "the previous position differs from the gold's"
NO_PREVIOUS = "no previous position (the earlier statement was missed)"
PREVIOUS_SAME = "the previous position already had that stance"
HELD = "held back (unconfirmed or a lower-confidence reading)"


@dataclass
class Causes:
    statement_misses: Counter[str] = field(default_factory=Counter)
    statement_false: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)   # (gold, system)
    time: Counter[str] = field(default_factory=Counter)    # on statements matched by their stance
    shift_misses: Counter[str] = field(default_factory=Counter)
    shift_false: Counter[str] = field(default_factory=Counter)
    of_miss: dict[StatementKey, str] = field(default_factory=dict)
    of_false: dict[StatementKey, str] = field(default_factory=dict)
    # (id of the counter, cause) -> the items it occurs in
    examples: dict[tuple[int, str], list[str]] = field(default_factory=lambda: defaultdict(list))


def classify(gold: Gold, statements: Sequence[Statement], shifts: Sequence[dict[str, Any]],
             probe: Probe, guids: Collection[str] | None = None) -> Causes:
    """Put every miss and false alarm of one split down to one cause."""
    causes = Causes()
    system = [(statement_key(s), s) for s in statements]
    st = score_statements(gold, system, guids=guids)
    found = {k for k, _ in system}
    by_item_actor: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    by_item_topic: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for guid, actor, topic, stance in found:
        by_item_actor[guid, actor].add((topic, stance))
        by_item_topic[guid, topic].add((actor, stance))

    def note(counter: Counter[str], cause: str, guid: str) -> str:
        counter[cause] += 1
        causes.examples[id(counter), cause].append(guid)
        return cause

    def why_missed(key: StatementKey) -> str:
        guid, actor, topic, stance = key
        others = {s for t, s in by_item_actor[guid, actor] if t == topic}
        if others:
            causes.confusion[stance, "+".join(sorted(others))] += 1
            return STANCE_WRONG
        if by_item_actor[guid, actor]:
            return TOPIC_WRONG
        facts = probe(guid, gold.evidence.get(key, ""))
        if facts is None:
            return NO_SENTENCE
        if (actor, topic) in facts.stated:
            return DROPPED
        if topic not in facts.topics:
            return TOPIC_MISSED
        if actor in facts.speakers:
            return STANCE_MISSED
        if any(t == topic for _, t in facts.stated):
            return SPEAKER_WRONG
        return SPEAKER_MISSED

    miss_cause = causes.of_miss
    miss_cause.update({key: note(causes.statement_misses, why_missed(key), key[0]) for key in st.misses})

    false_cause = causes.of_false
    gold_by_item_actor: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for guid, actor, topic, stance in gold.statements:
        gold_by_item_actor[guid, actor].add((topic, stance))
    for key, _s in st.false_alarms:
        guid, actor, topic, stance = key
        item = gold.items.get(guid)
        same = {s for t, s in gold_by_item_actor[guid, actor] if t == topic}
        if item is not None and item.duplicate_of:
            cause = COPY
        elif same:
            # counted once, as a miss, in the confusion matrix
            cause = STANCE_WRONG
        elif gold_by_item_actor[guid, actor]:
            cause = TOPIC_WRONG
        elif any(t == topic for (g, _a), ts in gold_by_item_actor.items() if g == guid
                 for t, _ in ts):
            cause = SPEAKER_WRONG
        elif item is not None and item.kind == "distractor":
            cause = DISTRACTOR
        else:
            cause = NOT_STATEMENT
        false_cause[key] = note(causes.statement_false, cause, guid)

    # time, on statements whose (guid, actor, topic, stance) matched
    current_found: set[StatementKey] = {statement_key(s) for s in statements if not s.historical}
    keep = set(gold.guids(None) if guids is None else guids)
    for item in gold.items.values():
        if item.guid not in keep:
            continue
        for g in item.statements:
            if g.key not in found or g.key[1] in item.ambiguous:
                continue
            if g.historical and g.key in current_found:
                note(causes.time, READ_AS_CURRENT, item.guid)
            elif not g.historical and g.key not in current_found:
                note(causes.time, READ_AS_RECALLED, item.guid)

    _classify_shifts(gold, statements, shifts, guids, causes, miss_cause, false_cause, note,
                     why_missed)
    return causes


def _classify_shifts(gold: Gold, statements: Sequence[Statement], shifts: Sequence[dict[str, Any]],
                     guids: Collection[str] | None, causes: Causes,
                     miss_cause: dict[StatementKey, str], false_cause: dict[StatementKey, str],
                     note: Callable[[Counter[str], str, str], str],
                     why_missed: Callable[[StatementKey], str]) -> None:
    sh = score_shifts(gold, [(shift_key(r), r) for r in shifts], guids=guids)
    gold_current: dict[StatementKey, bool] = {}
    for item in gold.items.values():
        for g in item.statements:
            gold_current[g.key] = gold_current.get(g.key, False) or not g.historical
    for (actor, topic, to, guid), _record in sh.false_alarms:
        key = (guid, actor, topic, to)
        shifted = gold.items.get(guid)
        if shifted is not None and shifted.duplicate_of:
            cause = COPY
        elif key in false_cause:
            cause = STATEMENT_FALSE + false_cause[key]
        elif key in gold_current and not gold_current[key]:
            cause = READ_AS_CURRENT
        else:
            cause = PREVIOUS_WRONG
        note(causes.shift_false, cause, guid)

    timeline: dict[tuple[str, str], list[tuple[datetime, str, str]]] = defaultdict(list)
    for s in statements:
        if not s.historical:
            timeline[squash(s.actor_name), s.topic].append((s.published, s.item_guid, s.stance))
    for actor, topic, to, guid in sh.misses:
        key = (guid, actor, topic, to)
        if key in miss_cause:
            note(causes.shift_misses, STATEMENT_MISSED + miss_cause[key], guid)
            continue
        said = timeline.get((actor, topic), [])
        here = [t for t in said if t[1] == guid]
        if not here:
            # not scored as a statement miss: its speaker is `ambiguous` in the item
            note(causes.shift_misses, STATEMENT_MISSED + why_missed(key), guid)
            continue
        if not any(stance == to for _, _, stance in here):
            note(causes.shift_misses, READ_AS_RECALLED, guid)
            continue
        before = [t for t in said if t[0] < here[0][0] and t[1] != guid]
        if not before:
            cause = NO_PREVIOUS
        elif before[-1][2] == to:
            cause = PREVIOUS_SAME
        else:
            cause = HELD
        note(causes.shift_misses, cause, guid)


def cause_table(causes: Causes, labels: Sequence[str]) -> list[str]:
    """The causes as text: counts, largest first, with the items they occur in."""
    def block(title: str, counter: Counter[str]) -> list[str]:
        total = sum(counter.values())
        out = [f"{title}: {total}"]
        for cause, n in counter.most_common():
            guids = list(dict.fromkeys(causes.examples[id(counter), cause]))
            shown = " ".join(guids[:8]) + (" ..." if len(guids) > 8 else "")
            out.append(f"  {n:>4}  {cause}   [{shown}]")
        return out

    lines = block("statements missed", causes.statement_misses)
    lines += block("statements false", causes.statement_false)
    lines += block("time (on statements found with their stance)", causes.time)
    lines.append("stance confusion (rows: gold, columns: extracted, for the same speaker, item and topic)")
    seen_columns = sorted({s for _, s in causes.confusion} - set(labels))
    columns = [*labels, *seen_columns]
    width = max(len(c) for c in columns) + 1
    lines.append(" " * 14 + "".join(f"{c:>{width}}" for c in columns))
    for row in labels:
        lines.append(f"  {row:<12}" + "".join(f"{causes.confusion[row, c] or '.':>{width}}"
                                              for c in columns))
    lines += block("shift alerts false", causes.shift_false)
    lines += block("shifts missed", causes.shift_misses)
    return lines
