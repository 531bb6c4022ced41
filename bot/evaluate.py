"""Scoring extraction against labelled corpora (format: shared corpus FORMAT.md). Pure.

Statements are (guid, actor, topic, stance) units; shifts are (actor, topic, to, guid) units;
names compare case-, accent- and punctuation-insensitively; actors listed as `ambiguous` in an
item are dropped from both sides for that item; an item marked `duplicate_of` expects no
statements of its own. Corpus extensions: a statement or shift may carry its own `topic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.textnorm import squash
from bot.yamlfile import load_yaml

StatementKey = tuple[str, str, str, str]
ShiftKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class Gold:
    statements: set[StatementKey]
    shifts: set[ShiftKey]
    ambiguous: dict[str, set[str]]
    evidence: dict[StatementKey, str]
    topics: set[str]


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


def load_gold(gold_file: str | Path, shifts_file: str | Path | None) -> Gold:
    doc = load_yaml(gold_file)
    data = doc.data or {}
    default_topic = data.get("topic")
    statements: set[StatementKey] = set()
    evidence: dict[StatementKey, str] = {}
    ambiguous: dict[str, set[str]] = {}
    topics: set[str] = {default_topic} if default_topic else set()
    problems = []
    for guid, entry in (data.get("items") or {}).items():
        entry = entry or {}
        ambiguous[str(guid)] = {squash(a) for a in entry.get("ambiguous") or []}
        for i, st in enumerate(entry.get("statements") or []):
            try:
                topic = st.get("topic") or default_topic
                key = (str(guid), squash(st["actor"]), topic, st["stance"])
            except (KeyError, AttributeError, TypeError):
                problems.append(doc.problem(("items", guid, "statements", i),
                                            "needs actor and stance"))
                continue
            topics.add(topic)
            statements.add(key)
            evidence[key] = st.get("evidence", "")
    shifts: set[ShiftKey] = set()
    if shifts_file:
        sdoc = load_yaml(shifts_file)
        sdata = sdoc.data or {}
        stopic = sdata.get("topic") or default_topic
        for i, sh in enumerate(sdata.get("shifts") or []):
            try:
                topic = sh.get("topic") or stopic
                shifts.add((squash(sh["actor"]), topic, sh["to"], str(sh["guid"])))
                topics.add(topic)
            except (KeyError, AttributeError, TypeError):
                problems.append(sdoc.problem(("shifts", i), "needs actor, to and guid"))
    if problems:
        raise ConfigError(problems)
    topics.discard(None)  # type: ignore[arg-type]
    return Gold(statements, shifts, ambiguous, evidence, topics)


def score_statements(gold: Gold, system: list[tuple[StatementKey, Any]]) -> Score:
    """`system`: (key, payload) pairs; payload is reported for false alarms."""
    keep_gold = {k for k in gold.statements if k[1] not in gold.ambiguous.get(k[0], set())}
    sys_keys: dict[StatementKey, Any] = {}
    for key, payload in system:
        if key[2] not in gold.topics or key[1] in gold.ambiguous.get(key[0], set()):
            continue
        sys_keys.setdefault(key, payload)
    score = Score(system=len(sys_keys), gold=len(keep_gold))
    score.matched = len(keep_gold & set(sys_keys))
    score.misses = sorted(keep_gold - set(sys_keys))
    score.false_alarms = [(k, sys_keys[k]) for k in sorted(set(sys_keys) - keep_gold)]
    return score


def score_shifts(gold: Gold, system: list[tuple[ShiftKey, Any]]) -> Score:
    sys_keys: dict[ShiftKey, Any] = {}
    for key, payload in system:
        if key[1] in gold.topics:
            sys_keys.setdefault(key, payload)
    score = Score(system=len(sys_keys), gold=len(gold.shifts))
    score.matched = len(gold.shifts & set(sys_keys))
    score.misses = sorted(gold.shifts - set(sys_keys))
    score.false_alarms = [(k, sys_keys[k]) for k in sorted(set(sys_keys) - gold.shifts)]
    return score


def statement_key(s: Any) -> StatementKey:
    return (s.item_guid, squash(s.actor_name), s.topic, s.stance)


def shift_key(record: dict[str, Any]) -> ShiftKey:
    return (squash(record["actor_name"]), record["topic"], record["to_stance"],
            record["item_guid"])


def summary_line(statements: Score, shifts: Score) -> str:
    return (f"statements P={statements.precision:.2f} R={statements.recall:.2f} "
            f"shifts P={shifts.precision:.2f} R={shifts.recall:.2f}")


