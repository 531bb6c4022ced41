"""Subscriptions: what a chat typed -> filters, and a shift -> the destinations that want it.

One parser for every chat (Telegram's /subscribe, Slack's `/shiftwatch subscribe`), so the same
words subscribe to the same shifts wherever they are typed. Pure, but for the rules it reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from bot.errors import UsageError
from bot.lookup import resolve_actor, resolve_country
from bot.models import Shift
from bot.rules import RuleSet
from bot.shifts import magnitude_accepts, magnitude_filter
from bot.textnorm import squash


def parse_filters(text: str, rules: RuleSet) -> list[str]:
    """Filters as `subscription_matches` reads them: topic ids, country codes, actor ids and
    magnitude words (`flop`, `half-flip`, `magnitude>=2`). Multi-word names work as typed
    ("france emmanuel macron flop"): the longest run of words that names something wins;
    commas may separate filters too. In the order typed, each once."""
    out: list[str] = []
    for chunk in text.split(","):
        words = chunk.split()
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                try:
                    out.append(_filter(" ".join(words[start:end]), rules))
                except UsageError:
                    if end == start + 1:
                        raise _filter_error(words[start], rules) from None
                    continue
                start = end
                break
    return list(dict.fromkeys(out))


def _filter(words: str, rules: RuleSet) -> str:
    low = words.lower()
    if low in rules.topics:
        return low
    magnitude = magnitude_filter(low)
    if magnitude is not None:
        return magnitude
    try:
        return resolve_country(words, rules)
    except UsageError:
        return resolve_actor(words, rules).id


def _filter_error(words: str, rules: RuleSet) -> UsageError:
    """The best suggestion for words that name nothing: a topic, a country, an actor."""
    hints = difflib.get_close_matches(words.lower(), list(rules.topics), n=1, cutoff=0.6)
    for resolve in (resolve_country, resolve_actor):
        try:
            resolve(words, rules)
        except UsageError as exc:
            if "Did you mean" in str(exc):
                hints.append(str(exc).split("Did you mean", 1)[1].strip(" ?."))
    hint = f" Did you mean {hints[0]}?" if hints else ""
    return UsageError(f"unknown filter {words!r}: use a topic, a country, an actor or"
                      f" 'flop', 'half-flip', 'magnitude>=2'.{hint}")


def subscription_matches(filters: list[str], shift: Shift) -> bool:
    """No filter: everything. Topic, country and actor filters: any of them matches. Magnitude
    filters (`flop`, `half-flip`, `magnitude>=2`, see bot/shifts.py) must all hold."""
    s = shift.statement
    wanted = [f.strip().lower() for f in filters if f.strip()]
    subjects = []
    for f in wanted:
        canonical = magnitude_filter(f)
        if canonical is None:
            subjects.append(f)
        elif not magnitude_accepts(canonical, shift.magnitude):
            return False
    if not subjects:
        return True
    name = squash(s.actor_name)
    keys = {s.topic.lower(), s.country.lower(), s.actor_id.lower(), name, name.split()[-1]}
    return any(squash(f) in keys or f in keys for f in subjects)


def destinations_for(shift: Shift, subscriptions: Iterable[tuple[str, str, list[str]]],
                     platforms: Iterable[str]) -> list[str]:
    """The outbox destinations of a shift: the console when it is one of `platforms`, and every
    subscribed chat of those platforms whose filters match."""
    available = set(platforms)
    out = ["console"] if "console" in available else []
    for platform, chat_id, filters in subscriptions:
        if platform in available and subscription_matches(filters, shift):
            out.append(f"{platform}:{chat_id}")
    return out
