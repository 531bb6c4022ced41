"""The questions people ask the bot, answered once for every surface: the CLI, Telegram, Slack.

Each takes what the user typed, resolves it against the rules (a `UsageError` with a suggestion
when it names nothing) and reads the store; bot/render.py turns the answers into each output's
text. Store reads block: the chat services call these off their event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from bot.errors import UsageError
from bot.lookup import country_display, resolve_actor, resolve_country, resolve_topic
from bot.models import Position, Statement
from bot.routing import parse_filters
from bot.rules import Actor, RuleSet, Topic
from bot.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class Positions:
    country: str          # its code
    where: str            # its name as answers show it: "France (FR)"
    topic: str | None
    positions: list[Position]
    # "previous government: Rishi Sunak, until 2024-07-05: opposes": the voice office's predecessor
    previous: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    actor: Actor
    topic: str | None
    since: date | None
    total: int            # statements to show before the limit
    statements: list[Statement]

    @property
    def more(self) -> int:
        return self.total - len(self.statements)


class Queries:
    """`store` may be a function that opens one: it is then opened once the question is
    understood (a typo is reported before a missing database), and closed by `close()`."""

    def __init__(self, store: Store | Callable[[], Store], rules: RuleSet):
        self._store: Store | None = store if isinstance(store, Store) else None
        self._opened: Callable[[], Store] | None = None if isinstance(store, Store) else store
        self.rules = rules

    @property
    def store(self) -> Store:
        if self._store is None:
            assert self._opened is not None
            self._store = self._opened()
        return self._store

    def __enter__(self) -> Queries:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._opened is not None and self._store is not None:
            self._store.close()

    # ------------------------------------------------------------------ positions and history

    def positions(self, country: str, topic: str | None = None) -> Positions:
        code = resolve_country(country, self.rules)
        return self._positions(code, resolve_topic(topic, self.rules))

    def positions_typed(self, text: str) -> Positions:
        """`<country words> [topic]`, as a chat command's arguments."""
        code, topic = self.subject_and_topic(text, lambda q: resolve_country(q, self.rules))
        return self._positions(code, topic)

    def _positions(self, code: str, topic: str | None) -> Positions:
        from bot.baselines import baseline_position
        from bot.governments import previous_government_lines

        stored = self.store.positions(country=code, topic=topic)
        have = {(p.actor_id, p.topic) for p in stored}
        # where an analyst recorded a baseline and nothing was said since: the baseline
        baselines = [p for b in self.rules.baselines if (b.actor_id, b.topic) not in have
                     and (topic is None or b.topic == topic)
                     and (p := baseline_position(self.rules, self.rules.baselines, b.actor_id,
                                                 b.topic)) is not None and p.country == code]
        return Positions(code, country_display(code, self.rules), topic,
                         sorted([*stored, *baselines], key=lambda p: (p.actor_name, p.topic)),
                         tuple(previous_government_lines(self.store, self.rules, code, topic)))

    def history(self, actor: str, topic: str | None = None, *, limit: int | None = None,
                since: date | None = None) -> History:
        found = resolve_actor(actor, self.rules)
        return self._history(found, resolve_topic(topic, self.rules), limit, since)

    def history_typed(self, text: str, *, limit: int) -> History:
        """`<actor words> [topic]`, as a chat command's arguments."""
        actor, topic = self.subject_and_topic(text, lambda q: resolve_actor(q, self.rules))
        return self._history(actor, topic, limit, None)

    def _history(self, actor: Actor, topic: str | None, limit: int | None, since: date | None
                 ) -> History:
        total = self.store.history_count(actor.id, topic, since=since)
        rows = self.store.history(actor.id, topic, limit, since=since)
        return History(actor, topic, since, total, rows)

    def subject_and_topic(self, text: str, resolve: Callable[[str], T]) -> tuple[T, str | None]:
        """`<subject words> [topic]`: the whole text as the subject, else the last word as the
        topic (a multi-word country or actor name needs no quotes). Errors name the subject as
        typed unless only the topic was wrong."""
        text = " ".join(text.split())
        try:
            return resolve(text), None
        except UsageError as whole:
            subject_words, _, last = text.rpartition(" ")
            if not subject_words:
                raise
            try:
                subject = resolve(subject_words)
            except UsageError:
                raise whole from None  # the suggestion for everything typed is the better one
        return subject, resolve_topic(last, self.rules)

    def topics(self) -> list[Topic]:
        return list(self.rules.topics.values())

    # ------------------------------------------------------------------ subscriptions

    def filters(self, typed: str) -> list[str]:
        """The subscription filters `typed` names (bot/routing.py)."""
        return parse_filters(typed, self.rules)

    def subscribe(self, platform: str, chat: str, filters: list[str], now: datetime) -> None:
        self.store.subscribe(platform, chat, filters, now)

    def unsubscribe(self, platform: str, chat: str, note: str) -> bool:
        return self.store.unsubscribe(platform, chat, note=note)

    def subscription(self, platform: str, chat: str) -> list[str] | None:
        """The filters of a chat's subscription ([]: every shift), None when it has none."""
        for sub in self.store.subscriptions(platform=platform):
            if sub.chat_id == chat:
                return sub.filters
        return None
