"""The pictures, matrix and digest for a query, read from the store: shared by the command line
and the chat commands. What they draw or print is decided in the pure modules (timeline, matrix,
digest); this one resolves names and reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.digest import Digest, build_digest
from bot.errors import UsageError
from bot.governments import voice_tenures
from bot.lookup import country_display, resolve_actor, resolve_country
from bot.matrix import Matrix, actor_roles, build_matrix
from bot.rules import Actor, RuleSet
from bot.store import Store
from bot.store.views import (
    read_feeds,
    read_new_provisional_actors,
    read_positions,
    read_shifts,
    read_statements,
)
from bot.timeline import Timeline, actor_timeline, country_timeline


@dataclass(frozen=True)
class Subject:
    """What a chart is of: an actor, or a country (or organisation) by code."""

    actor: Actor | None
    country: str | None
    display: str


def resolve_subject(query: str, rules: RuleSet) -> Subject:
    """A country first (codes, names, demonyms), then an actor; the error for neither names
    the nearer suggestion."""
    try:
        code = resolve_country(query, rules)
        return Subject(None, code, country_display(code, rules))
    except UsageError as not_country:
        try:
            actor = resolve_actor(query, rules)
        except UsageError as not_actor:
            hint = next((str(e).split(" Did you mean", 1)[1] for e in (not_actor, not_country)
                         if "Did you mean" in str(e)), "")
            raise UsageError(f"unknown actor or country {query!r}."
                             + (f" Did you mean{hint}" if hint else
                                " Name a leader (Macron) or a country (FR, France, French).")
                             ) from None
        return Subject(actor, None, f"{actor.name} ({actor.country})")


def load_timeline(store: Store, rules: RuleSet, subject: Subject, topic: str | None = None,
                  since: date | None = None) -> Timeline:
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    if subject.actor is not None:
        ids = [subject.actor.id]
        said = read_statements(store, actor_ids=ids, topic=topic, since=since)
        moved = read_shifts(store, actor_ids=ids, topic=topic, since=start)
        return actor_timeline(subject.display, said, moved, rules.labels_for)
    assert subject.country is not None
    said = read_statements(store, country=subject.country, topic=topic, since=since)
    moved = read_shifts(store, country=subject.country, topic=topic, since=start)
    tenures = voice_tenures(rules, subject.country)
    voices = read_statements(store, actor_ids={t.actor_id for t in tenures}, topic=topic,
                             since=since)
    return country_timeline(subject.display, said, moved, rules.labels_for, tenures, voices)


def nothing_to_draw(subject: Subject, topic: str | None, since: date | None) -> str:
    scope = "".join([f" on {topic}" if topic else "", f" since {since}" if since else ""])
    return f"Nothing to draw: no statements recorded for {subject.display}{scope} yet."


def load_matrix(store: Store, rules: RuleSet, topic: str | None, today: date) -> Matrix:
    topics = (topic,) if topic else tuple(rules.topics)
    labels = rules.labels_for(topic) if topic else rules.stances.labels
    names = {code: c.name for code, c in rules.countries.items()}
    return build_matrix(read_positions(store, topic=topic), topics, labels, names,
                        actor_roles(rules, today))


def load_digest(store: Store, start: datetime, end: datetime) -> Digest:
    return build_digest(start, end, read_shifts(store, since=start, until=end),
                        read_new_provisional_actors(store, start, end), read_feeds(store))
