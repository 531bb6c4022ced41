"""What the user typed -> a country code or an actor, with a suggestion when it is off."""

from __future__ import annotations

import difflib

import pycountry

from bot.errors import UsageError
from bot.rules import ORGANISATIONS, Actor, RuleSet
from bot.textnorm import squash

# How alike (difflib's ratio) a name must be to what was typed to be offered as "did you mean":
# typos and swapped letters ("Frnace", "Itlay") score 0.8 and up, while an unknown name scores
# under 0.7 against its nearest ("Atlantis" and Albania, "Obama" and Orban), which is no help.
SUGGEST_CUTOFF = 0.75


def country_names(rules: RuleSet) -> dict[str, str]:
    """Every way to name a country (folded) -> its code: codes, names, demonyms."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        names[squash(c.alpha_2)] = c.alpha_2
        names[squash(c.name)] = c.alpha_2
        common = getattr(c, "common_name", None)
        if common:
            names[squash(common)] = c.alpha_2
    for code in ORGANISATIONS:
        names[squash(code)] = code
    for listed in rules.countries.values():
        for n in (listed.code, listed.name, *listed.names, *listed.demonyms):
            names[squash(n)] = listed.code
    return names


def resolve_country(query: str, rules: RuleSet) -> str:
    key = squash(query)
    if not key:
        raise UsageError("name a country: an ISO code (FR), a name (France) or a demonym (French)")
    names = country_names(rules)
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=SUGGEST_CUTOFF)
    hint = (f" Did you mean {_display(names[close[0]], rules)}?" if close else
            " Name it by ISO code (FR), name (France) or demonym (French); or NATO, EU, UN.")
    raise UsageError(f"unknown country {query!r}.{hint}")


def _display(code: str, rules: RuleSet) -> str:
    c = rules.countries.get(code)
    if c:
        return f"{c.name} ({code})"
    found = pycountry.countries.get(alpha_2=code)
    return f"{found.name} ({code})" if found else code


def country_display(code: str, rules: RuleSet) -> str:
    return _display(code, rules)


def resolve_actor(query: str, rules: RuleSet) -> Actor:
    key = squash(query)
    index: dict[str, Actor] = {}
    for a in rules.actors.values():
        index[squash(a.id.replace("-", " "))] = a
        for n in (a.name, *a.aliases):
            index[squash(n)] = a
        index.setdefault(squash(a.name).split()[-1], a)
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=1, cutoff=SUGGEST_CUTOFF)
    hint = f" Did you mean {index[close[0]].name}?" if close else ""
    raise UsageError(f"unknown actor {query!r}.{hint}")


def resolve_topic(query: str | None, rules: RuleSet) -> str | None:
    if not query:
        return None
    if query in rules.topics:
        return query
    close = difflib.get_close_matches(query, list(rules.topics), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]}?" if close else f" Topics: {', '.join(rules.topics)}."
    raise UsageError(f"unknown topic {query!r}.{hint}")
