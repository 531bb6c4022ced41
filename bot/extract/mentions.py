"""Mentions: the ways a sentence names an actor.

A *mention* is a name or alias, a role phrase resolved by the article's date ("the British
prime minister"), an institutional voice ("the Élysée", "Macron's office"), a country or
capital as a speaker ("Prague", "the US"), a pronoun, or a provisional actor: a person nobody
listed, introduced with an office and a country ("Swedish Prime Minister Ulf Kristersson").
Which mention a reporting verb's words belong to is bot/extract/attribution.py's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from enum import StrEnum

from bot.extract.patterns import compile_phrase, one_of
from bot.extract.sentences import Sentence
from bot.rules import ORGANISATIONS, Actor, RuleSet
from bot.textnorm import fold, fold_lower


class MentionKind(StrEnum):
    """How a mention names its actor (the keys of stances.yaml `confidence.attribution`)."""

    NAME = "name"                  # "Olaf Scholz", "Scholz", "Chancellor Olaf Scholz"
    VOICE = "voice"                # "Macron's office", "a German government spokesman"
    ROLE = "role"                  # "the British prime minister", "Chancellor Merc"
    INSTITUTION = "institution"    # "the Élysée", "Downing Street"
    BARE_ROLE = "bare-role"        # "the chancellor": the holder named earlier, or the only one
    COUNTRY = "country"            # "Prague", "the US": through the country's `voice` office
    PRONOUN = "pronoun"            # "he", "she": the last speaker
    QUOTE = "quote"                # a quotation closed in a later sentence by its speaker


# The kinds as module names for the hot loops that compare them: an Enum member looked up on its
# class costs several times a global name (Python 3.11).
NAME = MentionKind.NAME
VOICE = MentionKind.VOICE
ROLE = MentionKind.ROLE
INSTITUTION = MentionKind.INSTITUTION
BARE_ROLE = MentionKind.BARE_ROLE
COUNTRY = MentionKind.COUNTRY
PRONOUN = MentionKind.PRONOUN
QUOTE = MentionKind.QUOTE

# Kinds of mention that speak for someone else (weighed lower: see bot/extract/confidence.py).
INSTITUTIONAL = frozenset({VOICE, INSTITUTION, COUNTRY})
# Kinds that name a person themselves (a later "he" may mean them).
PERSONAL = frozenset({NAME, ROLE, BARE_ROLE})
# A name or a role phrase: who a pronoun after them and another's claim about them can mean.
NAME_OR_ROLE = frozenset({NAME, ROLE})
_TITLE_KINDS = frozenset({ROLE, BARE_ROLE})
_NOT_A_VOICE_OWNER = frozenset({PRONOUN, COUNTRY})   # "his office", "France's government"


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: MentionKind
    actor_id: str | None
    via: str
    possessive: bool = False
    office: str | None = None


@dataclass
class ItemContext:
    """What earlier sentences of the same item established."""

    day: date
    last_speaker: Mention | None = None      # subject of the last report (None: untracked)
    last_speaker_paragraph: int = -10
    mentioned: list[str] = field(default_factory=list)
    dateline: str | None = None              # country code of the dateline ("CANBERRA —")
    # People nobody listed, introduced in this item with an office and a country.
    provisional: dict[str, Actor] = field(default_factory=dict)
    provisional_roles: dict[str, str] = field(default_factory=dict)
    provisional_names: dict[str, str] = field(default_factory=dict)   # name or surname -> id
    _provisional_rx: tuple[int, re.Pattern[str] | None] = (0, None)

    def provisional_rx(self) -> re.Pattern[str] | None:
        if self._provisional_rx[0] != len(self.provisional_names):
            self._provisional_rx = (len(self.provisional_names),
                                    _literal_alternation(self.provisional_names, flags=0))
        return self._provisional_rx[1]


PROVISIONAL_PREFIX = "provisional:"
# A person's name after a title: two or three capitalised words ("Ulf Kristersson", "Li Qiang").
_NAME_WORD = r"(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"   # O'Brien, McCarthy, Jean-Luc
_PERSON = re.compile(rf"\s+((?:{_NAME_WORD}\s+){{1,2}}{_NAME_WORD})(?![\w])")
# ... or set off by commas: "Latvia's defence minister, Andris Spruds, said".
# One or more capitalised words after a role phrase: "Chancellor Merc", "Pete Heghseth".
_SURNAME_AFTER = re.compile(rf"\s+((?:{_NAME_WORD}\s+){{0,2}}{_NAME_WORD})(?![\w])")
_PERSON_APPOSED = re.compile(rf",\s+((?:{_NAME_WORD}\s+){{1,2}}{_NAME_WORD}),")
# "CANBERRA — ...", "PARIS, France — ...", "LONDON, March 3 (Reuters) - ..."
_DATELINE = re.compile(r"^\s*([A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3})(?:,[^\n]{0,40}?)?"
                       r"\s+[-\u2014\u2013]{1,2}\s")


def provisional_id(name: str) -> str:
    """`provisional:<slug of the name>`: "Ulf Kristersson" -> "provisional:ulf-kristersson"."""
    return PROVISIONAL_PREFIX + "-".join(re.findall(r"[a-z0-9]+", fold_lower(name)))


class MentionFinder:
    """Compiled matchers for one RuleSet."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        names: dict[str, str] = {}
        for actor in rules.actors.values():
            for n in (actor.name, *actor.aliases):
                names[fold(n)] = actor.id
                if n[:1].islower():   # "von der Leyen" opening a sentence: "Von der Leyen said"
                    names[fold(n[:1].upper() + n[1:])] = actor.id
        self._names = names
        self._name_rx = _literal_alternation(names, flags=0)

        places: dict[str, str] = {}
        qualifiers: dict[str, str] = {}
        for c in rules.countries.values():
            for n in (c.name, *c.names):
                places[fold(n)] = c.code
                places["the " + fold(n)] = c.code
                qualifiers[fold_lower(n)] = c.code
            if c.capital:
                places[fold(c.capital)] = c.code
            for d in c.demonyms:
                qualifiers[fold_lower(d)] = c.code
        self._places = places
        self._place_rx = _literal_alternation(places, flags=0)
        self._qualifiers = qualifiers
        quals = "|".join(re.escape(q) for q in sorted(qualifiers, key=len, reverse=True))
        self._qualifier_before = re.compile(rf"(?<![\w'])(?:the\s+)?({quals})(?:'s|')?\s+$")
        self._qualifier_after = re.compile(rf"^\s+of\s+(?:the\s+)?({quals})(?![\w])")

        office_phrases: dict[str, str] = {}
        for key, phrases in rules.offices.items():
            for p in phrases:
                office_phrases[fold_lower(p)] = key
        for p in rules.leader_phrases:
            office_phrases[fold_lower(p)] = "@voice"
        self._titles: dict[str, list[tuple[str, str]]] = {}
        for actor in rules.actors.values():
            for role in actor.roles:
                if role.title:
                    self._titles.setdefault(fold_lower(role.title), []).append((actor.id, role.office))
        for t in self._titles:
            office_phrases.setdefault(t, "@title")
        self._office_phrases = office_phrases
        self._office_rx = _literal_alternation(office_phrases, flags=0)

        inst: dict[str, int] = {}
        for i, institution in enumerate(rules.institutions):
            for p in institution.phrases:
                inst[fold_lower(p)] = i
        self._inst = inst
        self._inst_rx = _literal_alternation(inst, flags=0)

        lang = rules.language
        self._voice_noun_rx = re.compile(
            r"^(?:'s|')\s+(?:" + "|".join(compile_phrase(v) for v in lang.voice_nouns) + ")"
        ) if lang.voice_nouns else None
        self._pronoun_rx = re.compile(rf"(?<![\w'])({one_of(lang.speaker_pronouns)})(?![\w'])") \
            if lang.speaker_pronouns else None
        # Words that begin or end no name, as they are written capitalised after a title.
        self._not_a_name = frozenset(w.capitalize() for w in (
            *lang.not_a_name, *lang.day_names, *lang.month_names))
        self._former_before = re.compile(rf"\b(?:{one_of(lang.former_markers)})[- ]?$") \
            if lang.former_markers else None
        self._former_after_country = re.compile(
            rf"\b(?:{one_of(lang.former_markers_after_country)})\s*$") \
            if lang.former_markers_after_country else None

    def country_of_qualifier(self, word: str) -> str | None:
        """The country a country name or demonym names, written lower-case ("german": DE)."""
        return self._qualifiers.get(word)

    def dateline(self, text: str) -> str | None:
        """The country of an item's dateline ("CANBERRA — ...", "PARIS, France — ...")."""
        m = _DATELINE.match(fold(text))
        if not m:
            return None
        return self._places.get(m.group(1).strip().title())

    def mentions(self, sentence: Sentence, ctx: ItemContext) -> list[Mention]:
        plain = fold(sentence.text)
        lower = plain.lower()
        found: list[Mention] = []
        for m in self._name_rx.finditer(plain) if self._name_rx else ():
            actor_id = self._names[m.group(0)]
            found.append(Mention(m.start(), m.end(), NAME, actor_id, f"name {m.group(0)!r}"))
        for m in self._office_rx.finditer(lower) if self._office_rx else ():
            mention = self._role(m, lower, ctx)
            provisional = self._provisional(m, sentence.text, plain, lower, ctx)
            if provisional:
                found.append(provisional)
            elif mention:
                found.append(mention)
            elif any(f.kind == NAME and 0 < f.start - m.end() <= 2
                     and not lower[m.end():f.start].strip() for f in found):
                # "Chancellor Olaf Scholz", "Prime Minister Viktor Orban": a bare title before a
                # listed name is part of how the name is written (_merge folds it in), so the
                # titled name can open the sentence as its subject.
                found.append(Mention(m.start(), m.end(), ROLE, None, f"title {m.group(0)!r}"))
        prx = ctx.provisional_rx()
        for m in prx.finditer(plain) if prx else ():
            actor_id = ctx.provisional_names[m.group(0)]
            if not any(f.start <= m.start() < f.end for f in found):
                found.append(Mention(m.start(), m.end(), NAME, actor_id,
                                     f"name {m.group(0)!r} (provisional, named earlier)"))
        for m in self._inst_rx.finditer(lower) if self._inst_rx else ():
            inst = self.rules.institutions[self._inst[m.group(0)]]
            actor = (self.rules.actors.get(inst.actor) if inst.actor else
                     self.rules.holder(inst.country or "", inst.office or "", ctx.day))
            found.append(Mention(m.start(), m.end(), INSTITUTION, actor.id if actor else None,
                                 f"institution {m.group(0)!r}"))
        for m in self._place_rx.finditer(plain) if self._place_rx else ():
            code = self._places[m.group(0)]
            if code in ORGANISATIONS:
                continue  # "NATO calls ...", "the EU imposed ...": the body's collective act
            voice = self.rules.countries[code].voice
            actor = self.rules.holder(code, voice, ctx.day) if voice else None
            found.append(Mention(m.start(), m.end(), COUNTRY, actor.id if actor else None,
                                 f"country {m.group(0)!r} speaks through its {voice}"))
        for m in self._pronoun_rx.finditer(lower) if self._pronoun_rx else ():
            if not sentence.inside_quote(m.start()):
                found.append(Mention(m.start(), m.end(), PRONOUN, None,
                                     f"pronoun {m.group(0)!r}"))
        return self._finish(_merge(found), lower)

    def _provisional(self, m: re.Match[str], text: str, plain: str, lower: str,
                     ctx: ItemContext) -> Mention | None:
        """"Swedish Prime Minister Ulf Kristersson", "Australia's opposition leader Peter Dutton":
        a person nobody listed, with an office and a country, becomes a provisional actor."""
        office = self._office_phrases[m.group(0)]
        if office == "@title":
            return None
        person = _PERSON.match(plain, m.end()) or _PERSON_APPOSED.match(plain, m.end())
        if not person:
            return self._holder_misspelt(m, office, plain, lower, ctx)
        folded = person.group(1)
        words = folded.split()
        name = " ".join(text[person.start(1):person.end(1)].split())   # as written, with accents
        if words[0] in self._not_a_name or words[-1] in self._not_a_name:
            return None
        if self._name_rx and self._name_rx.search(folded):
            return None  # a listed actor (or one of their names): the name mention covers it
        holder = self._holder_misspelt(m, office, plain, lower, ctx)
        if holder is not None:
            return holder
        start = m.start()
        code = None
        before = self._qualifier_before.search(lower[max(0, start - 40):start])
        if before:
            code = self._qualifiers[before.group(1)]
            start -= len(before.group(0))
        how = "introduced as"
        if code is None:
            code = ctx.dateline
            how = "introduced (dateline country) as"
        if code is None:
            return None
        actor_id = provisional_id(name)
        role_text = lower[m.start():m.end()]
        if office == "@voice":
            role_text = self.rules.countries[code].voice or role_text
        if self._no_longer_held(lower, start, m.start()):
            role_text = "former " + role_text  # "former British Prime Minister ..." no longer holds it
        if actor_id not in ctx.provisional:
            ctx.provisional[actor_id] = Actor(actor_id, name, code, (name.split()[-1],), (),
                                              provisional=True)
            ctx.provisional_roles[actor_id] = role_text
            ctx.provisional_names[" ".join(words)] = actor_id
            if len(words[-1]) > 3:
                ctx.provisional_names.setdefault(words[-1], actor_id)
        end = m.end() + person.end(1) - m.end()
        return Mention(start, end, NAME, actor_id,
                       f"provisional {name!r} {how} {role_text!r} of {code}")

    def _no_longer_held(self, lower: str, start: int, office_start: int) -> bool:
        """"former British Prime Minister", "British former Prime Minister": a `former_markers`
        word before the country and office (or between them)."""
        return bool(
            (self._former_before and self._former_before.search(lower[max(0, start - 12):start].rstrip()))
            or (self._former_after_country
                and self._former_after_country.search(lower[max(0, start - 12):office_start])))

    def _holder_misspelt(self, m: re.Match[str], office: str, plain: str, lower: str,
                         ctx: ItemContext) -> Mention | None:
        """"Chancellor Merc said", "US secretary of defence Pete Heghseth": a role phrase before a
        name that is not listed, but close in spelling to the office holder's on that date, names
        the holder (the copy misspelt them)."""
        if office.startswith("@"):
            return None
        written = _SURNAME_AFTER.match(plain, m.end())
        if written is None or written.group(1).split()[-1] in self._not_a_name:
            return None
        surname = fold_lower(written.group(1).split()[-1])
        before = self._qualifier_before.search(lower[max(0, m.start() - 40):m.start()])
        code = self._qualifiers[before.group(1)] if before else None
        holders = ([h] if (h := self.rules.holder(code, office, ctx.day)) else []) if code \
            else self.rules.holders_anywhere(office, ctx.day)
        close = [a for a in holders if _close_spelling(surname, fold_lower(a.name.split()[-1]))]
        if len(close) != 1:
            return None
        start = m.start() - (len(before.group(0)) if before else 0)
        return Mention(start, written.end(1), ROLE, close[0].id,
                       f"role {lower[start:m.end()]!r} on {ctx.day} before {written.group(1)!r}, "
                       f"read as {close[0].name}", office=office)

    def _role(self, m: re.Match[str], lower: str, ctx: ItemContext) -> Mention | None:
        phrase = m.group(0)
        office = self._office_phrases[phrase]
        start, end = m.start(), m.end()
        before = self._qualifier_before.search(lower[max(0, start - 40):start])
        after = self._qualifier_after.search(lower[end:end + 50])
        code = None
        if before:
            code = self._qualifiers[before.group(1)]
            start -= len(before.group(0))
        elif after:
            code = self._qualifiers[after.group(1)]
            end += len(after.group(0))
        if office == "@title":
            holders = [self.rules.actors[a] for a, _ in self._titles[phrase]]
            current = [a for a in holders if any(
                r.title and fold_lower(r.title) == phrase and r.held_on(ctx.day) for r in a.roles)]
            if code:
                current = [a for a in current if any(r.country == code for r in a.roles)]
            if len(current) == 1:
                return Mention(start, end, ROLE, current[0].id, f"title {phrase!r}")
            return None
        if code is not None:
            if office == "@voice":
                office = self.rules.countries[code].voice or ""
            actor = self.rules.holder(code, office, ctx.day)
            via = f"role {lower[start:end]!r} on {ctx.day}"
            return Mention(start, end, ROLE, actor.id if actor else None, via, office=office)
        if office == "@voice":
            return None
        if lower[max(0, start - 4):start] == "the ":
            return Mention(start - 4, end, BARE_ROLE, None, f"role {lower[start - 4:end]!r}",
                           office=office)
        return None

    def _finish(self, mentions: list[Mention], lower: str) -> list[Mention]:
        out: list[Mention] = []
        for m in mentions:
            if out and m.kind == NAME and out[-1].kind == COUNTRY \
                    and out[-1].possessive and m.start - out[-1].end <= 3:
                # "Poland's Donald Tusk": the country qualifies the name.
                q = out.pop()
                m = Mention(q.start, m.end, NAME, m.actor_id,
                            f"{lower[q.start:q.end]}'s + {m.via}")
            tail = lower[m.end:m.end + 40]
            if tail.startswith(("'s ", "' ")):
                voice = self._voice_noun_rx.match(tail) if self._voice_noun_rx else None
                if voice and m.kind not in _NOT_A_VOICE_OWNER:
                    m = Mention(m.start, m.end + voice.end(), VOICE, m.actor_id,
                                m.via + f" through {tail[:voice.end()].strip()!r}")
                else:
                    m = Mention(m.start, m.end, m.kind, m.actor_id, m.via, True, m.office)
            out.append(m)
        return out

    def resolve(self, mention: Mention, ctx: ItemContext, paragraph: int) -> Mention | None:
        """Give pronouns and bare roles their actor from the item's context (None: untracked)."""
        if mention.kind == PRONOUN:
            last = ctx.last_speaker
            if last is None or paragraph - ctx.last_speaker_paragraph > 2 or last.actor_id is None:
                return None
            return Mention(mention.start, mention.end, PRONOUN, last.actor_id,
                           f"{mention.via} -> last speaker ({last.via})")
        if mention.kind == BARE_ROLE and mention.actor_id is None:
            for actor_id in reversed(ctx.mentioned):
                actor = self.rules.actors.get(actor_id)
                if actor and _holds(actor, mention.office or "", ctx.day):
                    return Mention(mention.start, mention.end, mention.kind, actor_id,
                                   f"{mention.via} -> {actor.name}, named earlier")
            holders = self.rules.holders_anywhere(mention.office or "", ctx.day)
            if len(holders) == 1:
                return Mention(mention.start, mention.end, mention.kind, holders[0].id,
                               f"{mention.via} -> {holders[0].name}, the only holder")
            return None
        return mention if mention.actor_id else None


def _close_spelling(written: str, listed: str) -> bool:
    """"merc" for "merz", "heghseth" for "hegseth": one slip in a surname of four letters or more."""
    if written == listed or min(len(written), len(listed)) < 4:
        return False
    return SequenceMatcher(None, written, listed).ratio() >= 0.75


def _holds(actor: Actor, office: str, day: date) -> bool:
    return any(r.office == office and r.held_on(day) for r in actor.roles)


_KIND_RANK = {NAME: 0, VOICE: 1, ROLE: 2, INSTITUTION: 3,
              BARE_ROLE: 4, COUNTRY: 5, PRONOUN: 6}


def _merge(found: list[Mention]) -> list[Mention]:
    """Resolve overlaps (longer, then more specific wins) and fold a title into the name after it."""
    found.sort(key=lambda m: (m.start, -(m.end - m.start), _KIND_RANK[m.kind]))
    kept: list[Mention] = []
    for m in found:
        if kept and m.start < kept[-1].end:
            prev = kept[-1]
            if (m.end - m.start, -_KIND_RANK[m.kind]) > (prev.end - prev.start, -_KIND_RANK[prev.kind]):
                kept[-1] = m
            continue
        kept.append(m)
    merged: list[Mention] = []
    for m in kept:
        if merged and m.kind == NAME \
                and merged[-1].kind in _TITLE_KINDS \
                and m.start - merged[-1].end <= 2:
            role = merged.pop()
            m = Mention(role.start, m.end, NAME, m.actor_id, f"title + {m.via}")
        merged.append(m)
    return merged


def _literal_alternation(table: Mapping[str, object], flags: int) -> re.Pattern[str] | None:
    if not table:
        return None
    alts = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alts})(?![\w])", flags)
