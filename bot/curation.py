"""Confirming a provisional actor into the rules: one step from `actors --provisional` to an
entry in actors.yaml, with the stored history moved to the new id.

A provisional actor (`provisional:<slug>`) is a person the rules do not list, introduced in the
news with an office and a country. Confirming one appends an entry to actors.yaml in the file's
own layout, checks the whole rules folder with the loader (on any problem the file is restored
and the problem reported), then rewrites the actor's stored statements, positions and shifts to
the new id in one transaction (on failure the file is restored too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.errors import BotError, ConfigError
from bot.rules import SLUG, RuleSet, load_rules
from bot.store import Store
from bot.textnorm import fold, squash

PREFIX = "provisional:"


def role_of(attribution: str) -> str:
    """The office as the news wrote it: attributions of provisional actors start `role: ...;`."""
    if attribution.startswith("role:"):
        return attribution[len("role:"):].split(";", 1)[0].strip()
    return ""


def office_of(role: str, rules: RuleSet) -> str | None:
    """The office id whose phrase (or id) the role text names, longest phrase first."""
    text = f" {squash(role)} "
    best: tuple[int, str] | None = None
    for office, phrases in rules.offices.items():
        for phrase in (office.replace("-", " "), *phrases):
            key = squash(phrase)
            if key and f" {key} " in text and (best is None or len(key) > best[0]):
                best = (len(key), office)
    return best[1] if best else None


def slug(name: str) -> str:
    return "-".join(squash(name).split())


@dataclass(frozen=True)
class Confirmed:
    old_id: str
    new_id: str
    entry: str
    moved: dict[str, int]


def entry_yaml(actor_id: str, name: str, country: str, aliases: list[str], office: str | None,
               first_seen: date | None, role: str) -> str:
    """An actors.yaml entry in the file's layout (two-space list under `actors:`)."""
    code = f'"{country}"' if country in ("NO", "YES", "ON", "OFF", "Y", "N") else country
    lines = [f"  - id: {actor_id}", f"    name: {_scalar(name)}", f"    country: {code}"]
    if aliases:
        lines.append("    aliases: [" + ", ".join(_scalar(a) for a in aliases) + "]")
    if office:
        lines += ["    roles:", f"      - office: {office}"]
        if first_seen:
            lines.append(f"        from: {first_seen.isoformat()}   # first seen in the news as"
                         f" {role or office}; the day the office was taken is not known")
    return "\n".join(lines) + "\n"


def _scalar(text: str) -> str:
    """A YAML scalar: plain when safe, double-quoted otherwise."""
    if text and all(c.isalnum() or c in " .-'" for c in text) and not text[0].isdigit():
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def confirm_actor(rules_dir: str | Path, store: Store, provisional_id: str,
                  new_id: str | None = None) -> Confirmed:
    if not provisional_id.startswith(PREFIX):
        provisional_id = PREFIX + provisional_id
    found = {a["actor_id"]: a for a in store.provisional_actors()}
    info = found.get(provisional_id)
    if info is None:
        known = ", ".join(sorted(found)) or "none stored"
        raise BotError(f"no provisional actor {provisional_id!r} in the store (known: {known});"
                       " `shiftwatch actors --provisional` lists them")
    rules = load_rules(rules_dir)
    actor_id = new_id or provisional_id[len(PREFIX):] or slug(info["name"])
    if not SLUG.match(actor_id):
        raise BotError(f"--id {actor_id!r} is not a slug (lower-case words joined by -)")
    if actor_id in rules.actors:
        raise BotError(f"actor id {actor_id!r} is already in actors.yaml; choose another --id")
    role = role_of(info["attribution"])
    office = office_of(role, rules)
    entry = entry_yaml(actor_id, info["name"], info["country"], _aliases(info["name"], rules),
                       office, info["first_seen"].date() if info["first_seen"] else None, role)
    path = Path(rules_dir) / "actors.yaml"
    original = path.read_text(encoding="utf-8")
    note = (f"  # confirmed from {provisional_id} ({info['statements']} statements, first seen "
            f"{info['first_seen']:%Y-%m-%d}, evidence: {info['url']})\n")
    path.write_text(original.rstrip("\n") + "\n\n" + note + entry, encoding="utf-8")
    try:
        load_rules(rules_dir)
    except ConfigError as exc:
        path.write_text(original, encoding="utf-8")
        raise BotError(f"{path} left unchanged: the new entry would make the rules invalid:\n"
                       f"{exc}") from None
    try:
        moved = store.rename_actor(provisional_id, actor_id, info["name"], info["country"])
    except Exception:
        path.write_text(original, encoding="utf-8")
        raise
    return Confirmed(provisional_id, actor_id, entry, moved)


def _aliases(name: str, rules: RuleSet) -> list[str]:
    """The surname, when no listed actor already answers to it (the file's convention)."""
    words = name.split()
    if len(words) < 2:
        return []
    surname = words[-1]
    claimed = {fold(n).lower() for a in rules.actors.values() for n in (a.name, *a.aliases)}
    return [] if fold(surname).lower() in claimed or len(surname) <= 3 else [surname]


def provisional_json(a: dict[str, Any]) -> dict[str, Any]:
    return {"actor_id": a["actor_id"], "name": a["name"], "country": a["country"],
            "role": role_of(a["attribution"]), "statements": a["statements"],
            "first_seen": a["first_seen"].isoformat() if a["first_seen"] else None,
            "last_seen": a["last_seen"].isoformat() if a["last_seen"] else None,
            "latest": {"topic": a["topic"], "stance": a["stance"], "evidence": a["evidence"],
                       "url": a["url"], "attribution": a["attribution"]}}


def provisional_text(a: dict[str, Any]) -> str:
    role = role_of(a["attribution"]) or "role unknown"
    n = a["statements"]
    return (f"{a['actor_id']}  {a['name']} ({a['country']}, {role}): {n} statement"
            f"{'' if n == 1 else 's'},"
            f" {a['first_seen']:%Y-%m-%d} to {a['last_seen']:%Y-%m-%d}\n"
            f"  latest on {a['topic']}: {a['stance']}: \"{a['evidence']}\"\n  {a['url']}\n"
            f"  confirm: shiftwatch actors confirm {a['actor_id']}")
