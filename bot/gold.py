"""Labelled corpora (the shared corpus FORMAT.md): `gold.yaml` and `shifts.yaml`, validated.

Every problem names the file, the line and the field, as for the rules: a gold file that is
really a shifts file, a stance no rule knows, a topic the rules do not define or a guid no feed
holds is an error, never a silent score.

Corpus extensions read here: a statement or shift may carry its own `topic`; an item may carry
`split` (dev | test), `kind`, `duplicate_of` (a syndicated copy: it expects no statements of its
own) and metadata (`url`, `outlet`, `date_inferred`) that scoring ignores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import ConfigError, Problem
from bot.textnorm import squash
from bot.yamlfile import YamlDoc, load_yaml, validate

Split = Literal["dev", "test"]
# (guid, squashed actor, topic, stance)
StatementKey = tuple[str, str, str, str]
# (squashed actor, topic, to, guid)
ShiftKey = tuple[str, str, str, str]


class _Statement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str
    country: str | None = None
    topic: str | None = None
    stance: str
    historical: bool = False
    evidence: str = ""


class _Item(BaseModel):
    # items carry metadata for people (url, outlet, comments): only what scoring reads is checked
    model_config = ConfigDict(extra="allow")

    published: dt.date | None = None
    split: Split | None = None
    topic: str | None = None
    kind: str | None = None
    duplicate_of: str | None = None
    ambiguous: list[str] = []
    statements: list[_Statement] = []

    @field_validator("statements", "ambiguous", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class _GoldFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str | None = None
    items: dict[str, _Item | None]

    @field_validator("items", mode="before")
    @classmethod
    def _guids_are_text(cls, value: object) -> object:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class _Shift(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    actor: str
    country: str | None = None
    topic: str | None = None
    to: str
    guid: str
    from_: str | None = Field(default=None, alias="from")   # `from` is a Python keyword
    date: dt.date | None = None
    split: Split | None = None
    previous_guid: str | None = None

    @field_validator("guid", "previous_guid", mode="before")
    @classmethod
    def _guid_is_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class _ShiftsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str | None = None
    shifts: list[_Shift]


@dataclass(frozen=True)
class GoldStatement:
    key: StatementKey
    actor: str            # as written
    historical: bool
    evidence: str


@dataclass(frozen=True)
class GoldItem:
    guid: str
    split: str | None
    kind: str | None
    duplicate_of: str | None
    ambiguous: frozenset[str]          # squashed names
    statements: tuple[GoldStatement, ...]


@dataclass(frozen=True)
class Gold:
    items: dict[str, GoldItem]
    shifts: set[ShiftKey]
    shift_splits: dict[ShiftKey, str | None]
    topics: set[str]
    statements: set[StatementKey] = field(init=False)
    evidence: dict[StatementKey, str] = field(init=False)
    ambiguous: dict[str, set[str]] = field(init=False)

    def __post_init__(self) -> None:
        statements = {s.key for i in self.items.values() for s in i.statements}
        evidence: dict[StatementKey, str] = {}
        for i in self.items.values():
            for s in i.statements:
                evidence.setdefault(s.key, s.evidence)
        object.__setattr__(self, "statements", statements)
        object.__setattr__(self, "evidence", evidence)
        object.__setattr__(self, "ambiguous", {g: set(i.ambiguous) for g, i in self.items.items()})

    def guids(self, split: str | None) -> set[str]:
        """The items of one split (every item when `split` is None)."""
        return {g for g, i in self.items.items() if split is None or i.split == split}

    def splits(self) -> set[str]:
        return {i.split for i in self.items.values() if i.split}

    def actor_names(self) -> set[str]:
        return {s.actor for i in self.items.values() for s in i.statements}


def load_gold(gold_file: str | Path, shifts_file: str | Path | None, *,
              labels: Collection[str] | None = None, topics: Collection[str] | None = None) -> Gold:
    """Read and validate a labelled corpus; `labels` and `topics`, when given, are the only ones
    a statement or shift may name (the rules' stance scale and topic ids)."""
    doc = load_yaml(gold_file)
    if not isinstance(doc.data, dict) or "items" not in doc.data:
        hint = " (this looks like a shifts file: pass it as --shifts)" \
            if isinstance(doc.data, dict) and "shifts" in doc.data else ""
        raise ConfigError([doc.problem((), f"a gold file needs an `items:` mapping of guids{hint}")])
    data = validate(doc, _GoldFile)
    problems: list[Problem] = []
    items: dict[str, GoldItem] = {}
    used_topics: set[str] = set()
    for guid, entry in data.items.items():
        entry = entry or _Item()
        found: list[GoldStatement] = []
        for n, st in enumerate(entry.statements):
            where = ("items", guid, "statements", n)
            topic = st.topic or data.topic
            if not topic:
                problems.append(doc.problem(where, "needs a topic (here or at the top of the file)"))
                continue
            problems += _check_names(doc, where, topic, {"stance": st.stance}, labels, topics)
            used_topics.add(topic)
            found.append(GoldStatement((guid, squash(st.actor), topic, st.stance), st.actor,
                                       st.historical, st.evidence))
        if entry.duplicate_of is not None and entry.duplicate_of not in data.items:
            problems.append(doc.problem(("items", guid, "duplicate_of"),
                                        f"{entry.duplicate_of!r}: no such item in this file"))
        items[guid] = GoldItem(guid, entry.split, entry.kind, entry.duplicate_of,
                               frozenset(squash(a) for a in entry.ambiguous), tuple(found))
    shifts: set[ShiftKey] = set()
    shift_splits: dict[ShiftKey, str | None] = {}
    if shifts_file:
        sdoc = load_yaml(shifts_file)
        if not isinstance(sdoc.data, dict) or "shifts" not in sdoc.data:
            hint = " (this looks like a gold file: pass it as --gold)" \
                if isinstance(sdoc.data, dict) and "items" in sdoc.data else ""
            raise ConfigError([sdoc.problem((), f"a shifts file needs a `shifts:` list{hint}")])
        sdata = validate(sdoc, _ShiftsFile)
        for n, sh in enumerate(sdata.shifts):
            at: tuple[str | int, ...] = ("shifts", n)
            topic = sh.topic or sdata.topic or data.topic
            if not topic:
                problems.append(sdoc.problem(at, "needs a topic (here or at the top of the file)"))
                continue
            stances = {"to": sh.to, **({"from": sh.from_} if sh.from_ else {})}
            problems += _check_names(sdoc, at, topic, stances, labels, topics)
            if sh.guid not in items:
                problems.append(sdoc.problem((*at, "guid"), f"{sh.guid!r}: no such item in "
                                                              f"{doc.file}"))
                continue
            key = (squash(sh.actor), topic, sh.to, sh.guid)
            shifts.add(key)
            shift_splits[key] = sh.split or items[sh.guid].split
            used_topics.add(topic)
    if problems:
        raise ConfigError(problems)
    return Gold(items, shifts, shift_splits, used_topics)


def _check_names(doc: YamlDoc, where: tuple[str | int, ...], topic: str, stances: dict[str, str],
                 labels: Collection[str] | None, topics: Collection[str] | None) -> list[Problem]:
    problems = []
    if topics is not None and topic not in topics:
        problems.append(doc.problem((*where, "topic"), f"{topic!r}: no such topic in the rules "
                                                       f"({', '.join(sorted(topics))})"))
    for field_, stance in stances.items():
        if labels is not None and stance not in labels:
            problems.append(doc.problem((*where, field_), f"{stance!r}: not a stance label "
                                                           f"({', '.join(labels)})"))
    return problems


def check_guids(gold: Gold, gold_file: str | Path, feed_guids: Collection[str]) -> None:
    """Every labelled item must be in the feeds replayed: a missing one would score as misses."""
    missing = sorted(set(gold.items) - set(feed_guids))
    if missing:
        doc = load_yaml(gold_file)
        shown = missing[:10]
        more = f" (and {len(missing) - len(shown)} more)" if len(missing) > len(shown) else ""
        raise ConfigError([doc.problem(("items", g), f"{g!r}: no item with this guid in the "
                                                     f"feeds given{more if g == shown[-1] else ''}")
                           for g in shown])
