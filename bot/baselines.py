"""Baseline positions an analyst records in `rules/baselines.yaml`: where a leader stood before
the bot started reading. Validated like the rules (file, line, field): a known actor and topic, a
stance label of that topic, a date. A baseline is the position until a later statement; the first
statement that differs from it is a shift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ConfigError, Problem
from bot.models import Position
from bot.yamlfile import YamlDoc, load_yaml, validate


class _Rules(Protocol):
    """What a baseline is checked against (bot.rules.RuleSet, which imports this module)."""

    @property
    def actors(self) -> Mapping[str, Any]: ...

    @property
    def topics(self) -> Mapping[str, Any]: ...

    def labels_for(self, topic: str) -> tuple[str, ...]: ...

FILE_NAME = "baselines.yaml"


@dataclass(frozen=True)
class Baseline:
    actor_id: str
    topic: str
    stance: str
    since: dt.date
    source: str = ""        # where the analyst read it (a URL)
    note: str = ""
    analyst: str = ""


class _BaselineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str
    topic: str
    stance: str
    since: dt.date
    source: str = ""
    note: str = ""
    analyst: str = ""


class _BaselinesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    baselines: list[_BaselineIn] = Field(default_factory=list)


BASELINE_GUID = "baseline:"


def baseline_position(rules: _Rules, baselines: tuple[Baseline, ...], actor_id: str, topic: str,
                      on: dt.date | None = None) -> Position | None:
    """The analyst's baseline as a position (the one in force on `on`, when given): the stance
    until a later statement. Its evidence says whose record it is: "baseline (desk A, 2024-02-27)"."""
    for b in baselines:
        if b.actor_id == actor_id and b.topic == topic and (on is None or b.since <= on):
            actor = rules.actors[actor_id]
            who = f"baseline ({b.analyst or 'analyst'}, {b.since.isoformat()})"
            return Position(actor_id=actor_id, actor_name=actor.name, country=actor.country,
                            topic=topic, stance=b.stance,
                            since=dt.datetime(b.since.year, b.since.month, b.since.day, tzinfo=dt.UTC),
                            evidence=who + (f": {b.note}" if b.note else ""), url=b.source,
                            item_guid=f"{BASELINE_GUID}{actor_id}:{topic}")
    return None


def load_baselines(rules_dir: str | Path, rules: _Rules) -> tuple[Baseline, ...]:
    """The baselines of `rules_dir` (none when it has no baselines.yaml)."""
    path = Path(rules_dir) / FILE_NAME
    if not path.is_file():
        return ()
    return check_baselines(load_yaml(path), rules)


def check_baselines(doc: YamlDoc, rules: _Rules) -> tuple[Baseline, ...]:
    data = validate(doc, _BaselinesFile)
    problems: list[Problem] = []
    out: list[Baseline] = []
    seen: dict[tuple[str, str], int] = {}
    by_name = {a.name.lower(): a.id for a in rules.actors.values()}
    for n, b in enumerate(data.baselines):
        where = ("baselines", n)
        actor_id = b.actor if b.actor in rules.actors else by_name.get(b.actor.lower())
        if actor_id is None:
            problems.append(doc.problem((*where, "actor"), f"{b.actor!r}: no such actor id or name "
                                                           "in actors.yaml"))
        if b.topic not in rules.topics:
            problems.append(doc.problem((*where, "topic"), f"{b.topic!r}: no such topic "
                                                           f"({', '.join(sorted(rules.topics))})"))
        elif b.stance not in rules.labels_for(b.topic):
            problems.append(doc.problem((*where, "stance"), f"{b.stance!r}: not a stance label "
                                                            f"({', '.join(rules.labels_for(b.topic))})"))
        if b.source and not b.source.startswith(("http://", "https://")):
            problems.append(doc.problem((*where, "source"), f"{b.source!r}: not an http(s) URL"))
        if actor_id is None or b.topic not in rules.topics:
            continue
        key = (actor_id, b.topic)
        if key in seen:
            problems.append(doc.problem(where, f"a second baseline for {b.actor} on {b.topic} "
                                               f"(the first is baselines[{seen[key]}])"))
            continue
        seen[key] = n
        out.append(Baseline(actor_id, b.topic, b.stance, b.since, b.source, b.note, b.analyst))
    if problems:
        raise ConfigError(problems)
    return tuple(out)
