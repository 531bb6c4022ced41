"""Who is speaking: mentions of actors in a sentence, and the reports that attribute words.

A *mention* is a way the text names an actor: a name or alias, a role phrase resolved by the
article's date ("the British prime minister"), an institutional voice ("the Élysée",
"Macron's office"), a country or capital as a speaker ("Prague", "the US"), or a pronoun.
A *report* is a reporting verb (said, told, ruled out, ...) with its subject: the speakers
whose words the nearby text carries. A report whose subject is someone untracked (an analyst,
"officials") attributes its words to nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from bot.extract.patterns import compile_phrase, compile_phrases
from bot.extract.sentences import Sentence
from bot.rules import ORGANISATIONS, Actor, RuleSet
from bot.textnorm import fold, fold_lower

# Kinds of mention that speak for someone else (weighed lower: see bot/extract/confidence.py).
INSTITUTIONAL = frozenset({"voice", "institution", "country"})

_SKIP = frozenset("""
has have had is was were also further again already repeatedly previously then later now quickly
once recently earlier publicly firmly reportedly categorically not would will did does do been
clearly swiftly initially explicitly strongly even still n't has had since both all jointly each
together remains remained remain stays stayed long
""".split())
# A place after one of these is where something happens, not who speaks ("Sanchez in Beijing said").
_LOCATIVE = frozenset("in at from to into of with for by on near across outside inside visiting".split())
# A reporting verb after one of these is hypothetical, not a report ("the move, if confirmed, ...").
_NOT_A_REPORT = frozenset("if once unless whether when".split())
# ... and after these the word is a noun: "new pledges of air defence", "his remarks", "the calls".
_NOUN_BEFORE = frozenset("the a an new his her their its our my your of these those such fresh latest"
                         " repeated earlier recent".split())
_FRONTED = frozenset("""
in on at after shortly soon earlier later speaking asked responding despite following during
last this meanwhile however but and yet still when while before addressing writing in an
interview
""".split())
_AUXILIARIES = frozenset("""
is are was were has have had will would could can cannot should must may might does did remains
remained stands stood won't isn't wasn't hasn't doesn't didn't wouldn't also continues continued keeps
kept
""".split())
_WHEN = frozenset("""
monday tuesday wednesday thursday friday saturday sunday week month weekend morning evening
""".split())
# A dateline opening the first sentence, in folded lower-case text: "washington - ",
# "kyiv/berlin (wire) - ", "paris, france - ".
_DATELINE_LOWER = re.compile(r"^[a-z.'/ ]{2,30}(?:,[a-z. ]{2,20})?(?:\s*\([^)]{1,20}\))?\s+-{1,2}\s+")
_MONTHS = frozenset("""
january february march april may june july august september october november december
""".split())
_INVERSION_FILLER = frozenset({"the", "of", "and", ","})
_INFINITIVE_OR_PASSIVE = re.compile(r"(?:\bto|\bbe|\bbeen|\bbeing)\s+$")  # "to say", "be ruled out"
_TOKEN = re.compile(r"[\w'.-]+|[^\w\s]")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str
    actor_id: str | None
    via: str
    possessive: bool = False
    office: str | None = None


@dataclass(frozen=True)
class Report:
    """Words attributed to `speakers` (empty: someone untracked said them)."""

    speakers: tuple[Mention, ...]
    verb_start: int
    verb_end: int
    anchor: int
    how: str


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
_NOT_A_NAME = frozenset("""
The A An On In At And But Or Of For To By As After Before During Monday Tuesday Wednesday Thursday
Friday Saturday Sunday January February March April May June July August September October
November December Office Palace Street House Ministry Government Cabinet Council Commission
Parliament Party Said Says Told
""".split())
# "CANBERRA — ...", "PARIS, France — ...", "LONDON, March 3 (Reuters) - ..."
_DATELINE = re.compile(r"^\s*([A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3})(?:,[^\n]{0,40}?)?"
                       r"\s+[-\u2014\u2013]{1,2}\s")


def provisional_id(name: str) -> str:
    """`provisional:<slug of the name>`: "Ulf Kristersson" -> "provisional:ulf-kristersson"."""
    return PROVISIONAL_PREFIX + "-".join(re.findall(r"[a-z0-9]+", fold_lower(name)))


class SpeakerFinder:
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
        self._verb_rx = compile_phrases(list(lang.reporting_verbs))
        self._report_noun_rx = compile_phrases(list(lang.report_nouns))
        self._voice_noun_rx = re.compile(
            r"^(?:'s|')\s+(?:" + "|".join(compile_phrase(v) for v in lang.voice_nouns) + ")"
        ) if lang.voice_nouns else None
        self._pronoun_rx = re.compile(r"(?<![\w'])(he|she)(?![\w'])")
        self._honorific = re.compile(
            r"^(?:the\s+)?(?:" + "|".join(re.escape(fold_lower(h)) for h in lang.honorifics) + r")\s+$"
        ) if lang.honorifics else None
        self._fillers = frozenset(fold_lower(f) for f in lang.between_subject_and_verb)
        self._filler_words = max((len(f.split()) for f in self._fillers), default=0)
        self._according_rx = re.compile(compile_phrase("according to"))

    # ------------------------------------------------------------------ mentions

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
            found.append(Mention(m.start(), m.end(), "name", actor_id, f"name {m.group(0)!r}"))
        for m in self._office_rx.finditer(lower) if self._office_rx else ():
            mention = self._role(m, lower, ctx)
            provisional = self._provisional(m, sentence.text, plain, lower, ctx)
            if provisional:
                found.append(provisional)
            elif mention:
                found.append(mention)
            elif any(f.kind == "name" and 0 < f.start - m.end() <= 2 and not lower[m.end():f.start].strip()
                     for f in found):
                # "Chancellor Olaf Scholz", "Prime Minister Viktor Orban": a bare title before a
                # listed name is part of how the name is written (_merge folds it in), so the
                # titled name can open the sentence as its subject.
                found.append(Mention(m.start(), m.end(), "role", None, f"title {m.group(0)!r}"))
        prx = ctx.provisional_rx()
        for m in prx.finditer(plain) if prx else ():
            actor_id = ctx.provisional_names[m.group(0)]
            if not any(f.start <= m.start() < f.end for f in found):
                found.append(Mention(m.start(), m.end(), "name", actor_id,
                                     f"name {m.group(0)!r} (provisional, named earlier)"))
        for m in self._inst_rx.finditer(lower) if self._inst_rx else ():
            inst = self.rules.institutions[self._inst[m.group(0)]]
            actor = (self.rules.actors.get(inst.actor) if inst.actor else
                     self.rules.holder(inst.country or "", inst.office or "", ctx.day))
            found.append(Mention(m.start(), m.end(), "institution", actor.id if actor else None,
                                 f"institution {m.group(0)!r}"))
        for m in self._place_rx.finditer(plain) if self._place_rx else ():
            code = self._places[m.group(0)]
            if code in ORGANISATIONS:
                continue  # "NATO calls ...", "the EU imposed ...": the body's collective act
            voice = self.rules.countries[code].voice
            actor = self.rules.holder(code, voice, ctx.day) if voice else None
            found.append(Mention(m.start(), m.end(), "country", actor.id if actor else None,
                                 f"country {m.group(0)!r} speaks through its {voice}"))
        for m in self._pronoun_rx.finditer(lower):
            if not sentence.inside_quote(m.start()):
                found.append(Mention(m.start(), m.end(), "pronoun", None, f"pronoun {m.group(0)!r}"))
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
        if words[0] in _NOT_A_NAME or words[-1] in _NOT_A_NAME:
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
        if re.search(r"\b(?:former|ex|outgoing|then)[- ]?$", lower[max(0, start - 12):start].rstrip()) \
                or re.search(r"\b(?:former|ex-|outgoing)\s*$", lower[max(0, start - 12):m.start()]):
            role_text = "former " + role_text  # "former British Prime Minister ..." no longer holds it
        if actor_id not in ctx.provisional:
            ctx.provisional[actor_id] = Actor(actor_id, name, code, (name.split()[-1],), (),
                                              provisional=True)
            ctx.provisional_roles[actor_id] = role_text
            ctx.provisional_names[" ".join(words)] = actor_id
            if len(words[-1]) > 3:
                ctx.provisional_names.setdefault(words[-1], actor_id)
        end = m.end() + person.end(1) - m.end()
        return Mention(start, end, "name", actor_id,
                       f"provisional {name!r} {how} {role_text!r} of {code}")

    def _holder_misspelt(self, m: re.Match[str], office: str, plain: str, lower: str,
                         ctx: ItemContext) -> Mention | None:
        """"Chancellor Merc said", "US secretary of defence Pete Heghseth": a role phrase before a
        name that is not listed, but close in spelling to the office holder's on that date, names
        the holder (the copy misspelt them)."""
        if office.startswith("@"):
            return None
        written = _SURNAME_AFTER.match(plain, m.end())
        if written is None or written.group(1).split()[-1] in _NOT_A_NAME:
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
        return Mention(start, written.end(1), "role", close[0].id,
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
                return Mention(start, end, "role", current[0].id, f"title {phrase!r}")
            return None
        if code is not None:
            if office == "@voice":
                office = self.rules.countries[code].voice or ""
            actor = self.rules.holder(code, office, ctx.day)
            via = f"role {lower[start:end]!r} on {ctx.day}"
            return Mention(start, end, "role", actor.id if actor else None, via, office=office)
        if office == "@voice":
            return None
        if lower[max(0, start - 4):start] == "the ":
            return Mention(start - 4, end, "bare-role", None, f"role {lower[start - 4:end]!r}",
                           office=office)
        return None

    def _finish(self, mentions: list[Mention], lower: str) -> list[Mention]:
        out: list[Mention] = []
        for m in mentions:
            if out and m.kind == "name" and out[-1].kind == "country" and out[-1].possessive \
                    and m.start - out[-1].end <= 3:
                # "Poland's Donald Tusk": the country qualifies the name.
                q = out.pop()
                m = Mention(q.start, m.end, "name", m.actor_id, f"{lower[q.start:q.end]}'s + {m.via}")
            tail = lower[m.end:m.end + 40]
            if tail.startswith(("'s ", "' ")):
                voice = self._voice_noun_rx.match(tail) if self._voice_noun_rx else None
                if voice and m.kind not in {"pronoun", "country"}:
                    m = Mention(m.start, m.end + voice.end(), "voice", m.actor_id,
                                m.via + f" through {tail[:voice.end()].strip()!r}")
                else:
                    m = Mention(m.start, m.end, m.kind, m.actor_id, m.via, True, m.office)
            out.append(m)
        return out

    def resolve(self, mention: Mention, ctx: ItemContext, paragraph: int) -> Mention | None:
        """Give pronouns and bare roles their actor from the item's context (None: untracked)."""
        if mention.kind == "pronoun":
            last = ctx.last_speaker
            if last is None or paragraph - ctx.last_speaker_paragraph > 2 or last.actor_id is None:
                return None
            return Mention(mention.start, mention.end, "pronoun", last.actor_id,
                           f"{mention.via} -> last speaker ({last.via})")
        if mention.kind == "bare-role" and mention.actor_id is None:
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

    # ------------------------------------------------------------------ reports

    def reports(self, sentence: Sentence, mentions: list[Mention], ctx: ItemContext) -> list[Report]:
        lower = fold_lower(sentence.text)
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(lower)]
        out: list[Report] = []
        verbs = [m for m in (self._verb_rx.finditer(lower) if self._verb_rx else ())
                 if not sentence.inside_quote(m.start())
                 and not _INFINITIVE_OR_PASSIVE.search(lower[max(0, m.start() - 7):m.start()])
                 and not any(x.start <= m.start() < x.end for x in mentions)
                 and _word_before(lower, m.start()) not in _NOT_A_REPORT | _NOUN_BEFORE
                 and not lower.startswith(" by ", m.end())]  # passive: "conditions agreed by allies"
        for v in verbs:
            speakers, how = self._subject(v.start(), v.end(), lower, tokens, mentions, sentence, out)
            if speakers is None:
                continue
            anchor = min([v.start(), *(s.start for s in speakers)])
            if speakers and speakers[0].start > v.end():
                anchor = v.start()
            out.append(Report(tuple(speakers), v.start(), v.end(), anchor, how))
        verb_reports = list(out)
        for m in mentions:
            # "Peskov called Cameron's remarks dangerous": the remarks are the object of
            # another report, not Cameron speaking.
            if any(r.verb_end <= m.start for r in verb_reports):
                continue
            if m.possessive and self._report_noun_rx:
                rest = lower[m.end:]
                noun = re.match(r"(?:'s|')\s+", rest)
                if noun:
                    hit = self._report_noun_rx.match(rest, noun.end())
                    if not hit:  # one adjective between: "Macron's latest remarks that"
                        adjective = re.match(r"\w+\s+", rest[noun.end():])
                        if adjective:
                            hit = self._report_noun_rx.match(rest, noun.end() + adjective.end())
                    follow = rest[hit.end():hit.end() + 8] if hit else ""
                    if hit and (follow.lstrip().startswith(("that", '"')) or follow.startswith(' "')):
                        out.append(Report((m,), m.start, m.end + hit.end(), m.start,
                                          f"{m.via}'s {hit.group(0)} that ..."))
        for a in self._according_rx.finditer(lower):
            nxt = [m for m in mentions if 0 <= m.start - a.end() <= 2]
            if nxt:
                out.append(Report((nxt[0],), a.start(), a.end(), 0, f"according to {nxt[0].via}"))
        out += _viewpoints(lower, mentions, out)
        out = self._through_spokesperson(out, lower, mentions, ctx.day)
        out = _drop_reported_subjects(out, lower)
        if not out or (all(not r.speakers for r in out) and out[0].verb_start > len(lower) // 2):
            # No report, or only a trailing untracked one ("..., officials said"): the tracked
            # subject of the main clause is whose position the sentence states.
            subject = self._sentence_subject(lower, mentions)
            if subject is not None and not sentence.starts_in_quote \
                    and all(subject.end <= r.verb_start for r in out):
                how = "is the sentence's subject" + (" (reported by someone untracked)" if out else "")
                out = [Report((subject,), subject.end, subject.end, subject.start, f"{subject.via} {how}")]
        out.sort(key=lambda r: r.anchor)
        return out

    def _through_spokesperson(self, reports: list[Report], lower: str, mentions: list[Mention],
                              day: date) -> list[Report]:
        """A spokesperson speaks for a principal: "a government spokesperson said Scholz's position
        was unchanged" (the principal named at once, possessive), "a German government spokesman
        said ..." (the country's voice)."""
        out = []
        for r in reports:
            subject = _SPOKESPERSON.search(lower[max(0, r.verb_start - 60):r.verb_start])
            if r.speakers or subject is None:
                out.append(r)
                continue
            after = re.match(r"\s+(?:that\s+)?", lower[r.verb_end:])
            at = r.verb_end + (after.end() if after else 0)
            named = next((m for m in mentions if m.start == at and m.possessive and m.actor_id
                          and m.kind in {"name", "role"}
                          and re.match(r"(?:'s|')\s+(?:position|stance|view|line|policy)\b",
                                       lower[m.end:])), None)
            voice = None
            if named is not None:
                voice = Mention(named.start, named.end, "voice", named.actor_id,
                                f"{named.via} through a spokesperson")
            elif subject.group(1):
                code = self._qualifiers.get(subject.group(1))
                office = self.rules.countries[code].voice if code else None
                actor = self.rules.holder(code, office, day) if code and office else None
                if actor is not None:
                    voice = Mention(r.verb_start, r.verb_start, "voice", actor.id,
                                    f"{subject.group(0).strip()!r} speaks for the {office}")
            if voice is None:
                out.append(r)
                continue
            out.append(Report((voice,), r.verb_start, r.verb_end, r.anchor,
                              f"{voice.via} + {lower[r.verb_start:r.verb_end]!r}"))
        return out

    def _subject(self, vs: int, ve: int, lower: str, tokens: list[tuple[int, int, str]],
                 mentions: list[Mention], sentence: Sentence, earlier: list[Report]
                 ) -> tuple[list[Mention] | None, str]:
        idx = next((i for i, t in enumerate(tokens) if t[0] >= vs), len(tokens))
        j = idx - 1
        while j >= 0:
            word = tokens[j][2]
            if (k := self._filler_ending_at(tokens, j)):
                j -= k  # "Scholz has up to now declined", "Scholz first said"
            elif word in _SKIP or (word.endswith("ly") and len(word) > 4):
                j -= 1
            elif word in _WHEN and j > 0 and tokens[j - 1][2] in {"on", "this", "last", "on the"}:
                j -= 2  # "Scholz on Sunday ruled out", "Macron last week said"
            elif word in {"today", "yesterday", "tonight"}:
                j -= 1
            elif word in _MONTHS and j > 0 and tokens[j - 1][2] in {"in", "since"}:
                j -= 2  # "Macron, who back in May argued ..."
                if j >= 0 and tokens[j][2] in {"back", "earlier", "already", "as", "late", "early"}:
                    j -= 1
            else:
                break
        verb = lower[vs:ve]
        participle = verb.split()[0].endswith("ing")
        if j >= 0 and tokens[j][2] == "who" and j >= 2 and tokens[j - 1][2] == ",":
            # "Tusk, who has previously said ...": the relative clause's antecedent speaks.
            head = _ending_at(mentions, tokens[j - 2][1])
            if head is not None and not head.possessive:
                return [head], f"{head.via} (who ...) + {lower[vs:ve]!r}"
        if j >= 0:
            tok_start, tok_end, tok = tokens[j]
            at = _ending_at(mentions, tok_end)
            if at is not None and at.kind == "country" and _word_before(lower, at.start) in _LOCATIVE:
                # "Sanchez in Beijing calls for ...": the place is where, not who.
                k = next((i for i in range(j, -1, -1) if tokens[i][0] < at.start), -1)
                while k >= 0 and tokens[k][2] in _LOCATIVE:
                    k -= 1
                at = _ending_at(mentions, tokens[k][1]) if k >= 0 else None
                if at is None:
                    return [], f"{lower[vs:ve]!r} by someone untracked"
            if at is not None and (not at.possessive or at.kind == "voice"):
                return _coordinated(at, mentions, lower), f"{at.via} + {verb!r}"
            if tok == "," and j > 0 and tokens[j - 1][2] in {'"', "'"}:
                return self._inverted(ve, lower, mentions, verb)
            if tok in {'"', "'"}:
                return self._inverted(ve, lower, mentions, verb)
            if tok == "," and participle:
                return self._inherited(earlier, lower, mentions, verb)
            named = _ending_at(mentions, tokens[j - 1][1]) if tok == "," and j > 0 else None
            if named is not None and named.kind == "name" and not named.possessive \
                    and "," in lower[named.start:named.end]:
                # "Latvia's defence minister, Andris Spruds, said": the apposed name speaks.
                return [named], f"{named.via} + {verb!r}"
            if tok == ",":
                opening = next((k for k in range(j - 1, -1, -1) if tokens[k][2] == ","), None)
                if opening is not None and opening > 0:
                    head = _ending_at(mentions, tokens[opening - 1][1])
                    inner = [m for m in mentions if tokens[opening][1] <= m.start < tok_start
                             and not m.possessive]
                    such = re.search(r"\b(such as|including|like|notably)\b",
                                     lower[tokens[opening][1]:tok_start])
                    relative = re.match(r"\s*(?:which|who)\b", lower[tokens[opening][1]:tok_start])
                    if head and not head.possessive and (head.kind != "country" or relative):
                        # "Warsaw, which borders Ukraine, still rules out ...": the head speaks.
                        return _coordinated(head, mentions, lower), f"{head.via} + {verb!r}"
                    if inner and (such or head is None or head.kind == "country"):
                        target = inner[-1] if such else inner[0]
                        return [target], f"{target.via} (apposition) + {verb!r}"
                    if head is not None:
                        return [head], f"{head.via} + {verb!r}"
                if participle:
                    return self._inherited(earlier, lower, mentions, verb)
                return self._inverted(ve, lower, mentions, verb)
            if participle or tok in {"after", "while", "before", "when", "by", "in", "but", "and"}:
                return self._inherited(earlier, lower, mentions, verb)
            return [], f"{verb!r} by someone untracked"
        return self._inherited(earlier, lower, mentions, verb)

    def _filler_ending_at(self, tokens: list[tuple[int, int, str]], j: int) -> int:
        """How many tokens ending at `j` make a `between_subject_and_verb` phrase (0: none)."""
        for k in range(min(self._filler_words, j + 1), 0, -1):
            if " ".join(t[2] for t in tokens[j - k + 1:j + 1]) in self._fillers:
                return k
        return 0

    def _inverted(self, ve: int, lower: str, mentions: list[Mention], verb: str
                  ) -> tuple[list[Mention] | None, str]:
        after = [m for m in mentions if m.start >= ve and m.start - ve <= 45]
        if after:
            m = after[0]
            between = lower[ve:m.start].split()
            if all(w in _INVERSION_FILLER for w in between):
                return [m], f"{verb!r} + {m.via}"
        return [], f"{verb!r} by someone untracked"

    def _inherited(self, earlier: list[Report], lower: str, mentions: list[Mention], verb: str
                   ) -> tuple[list[Mention] | None, str]:
        if earlier:
            return list(earlier[-1].speakers), f"{verb!r} continues the previous report"
        subject = self._sentence_subject(lower, mentions, need_auxiliary=False)
        if subject is not None:
            return [subject], f"{subject.via} (sentence subject) + {verb!r}"
        return [], f"{verb!r} by someone untracked"

    def subject(self, lower: str, mentions: list[Mention]) -> Mention | None:
        """The mention that opens the sentence's main clause, whatever verb follows."""
        return self._sentence_subject(lower, mentions, need_auxiliary=False)

    def _sentence_subject(self, lower: str, mentions: list[Mention], need_auxiliary: bool = True
                          ) -> Mention | None:
        """The mention that opens the main clause; without a reporting verb it must be followed
        by an auxiliary ("Prague is not preparing ...") to count as a speaker."""
        dateline = _DATELINE_LOWER.match(lower)   # "washington - the us president has ..."
        start = dateline.end() if dateline else 0
        first_comma = lower.find(",", start)
        first_word = lower[start:].split(" ", 1)[0]
        limit = 100 if first_word == "asked" else 60   # "Asked at his closing press conference whether ..."
        if 0 < first_comma < limit and first_word in _FRONTED:
            start = first_comma + 1
        while start < len(lower) and lower[start] in " \"'":
            start += 1
        for m in mentions:
            opening = lower[start:m.start]
            if m.start >= start and (opening in ("", "the ") or (
                    self._honorific is not None and self._honorific.match(opening))):
                if m.possessive and m.kind != "voice":
                    return None
                rest = lower[m.end:]
                relative = re.match(r",\s+(?:which|who)\b[^,]*,", rest)
                if relative:  # "France, which pushed for the duties, continues to back them"
                    rest = rest[relative.end():]
                following = rest.split(None, 2)
                if not need_auxiliary or (following and following[0].strip(",") in _AUXILIARIES):
                    if need_auxiliary and m.kind == "country" and following[0] in _COPULAS and (
                            len(following) < 2 or not _takes_a_stance(following[1])):
                        return None  # "Spain is one of the biggest exporters": a fact, not a voice
                    return m
                return None
        return None


_COPULAS = frozenset("is are was were".split())
_STANCE_PREDICATES = frozenset("""
not ready prepared willing unwilling opposed against open determined committed still firmly also
set keen reluctant""".split())


def _takes_a_stance(word: str) -> bool:
    """After "Prague is": a predicate that can carry a position ("not", "ready", "preparing")."""
    return word in _STANCE_PREDICATES or word.endswith(("ing", "n't"))


_SPOKESPERSON = re.compile(r"\b(?:a|an|the)\s+(?:([a-z]+)\s+)?(?:government\s+)?"
                          r"(?:spokesperson|spokesman|spokeswoman)\s+$")


_VIEW_OPENING = re.compile(r"^\W*(?:in|for)\s+$")
_VIEW_AFTER = re.compile(r"^(?:(?:'s|')\s+(?:view|opinion|eyes|mind|words)\s*,|\s*,)")
_POSITION_IS = re.compile(r"^(?:'s|')\s+(?:position|view|stance|line|message|answer)\s+"
                          r"(?:is|was|remains|remained)(?:\s+(?:clear|simple|unchanged|firm|the same))?\s*:")


def _viewpoints(lower: str, mentions: list[Mention], reports: list[Report]) -> list[Report]:
    """Words framed as a named person's view, with no reporting verb: "In Scholz's view, ...",
    "For Scholz, ...", "Scholz's position is clear: ...", and the headline "Scholz: ...". """
    if any(r.speakers for r in reports):
        return []
    for m in mentions:
        if m.kind not in {"name", "role", "bare-role"}:
            continue
        before, after = lower[:m.start], lower[m.end:]
        if (_VIEW_OPENING.match(before) and _VIEW_AFTER.match(after)) \
                or (not before.strip(" \"'") and (_POSITION_IS.match(after) or after.startswith(":"))):
            return [Report((m,), m.end, m.end, m.start, f"{m.via}'s view (no reporting verb)")]
    return []


def _drop_reported_subjects(reports: list[Report], lower: str) -> list[Report]:
    """"Britain wanted Ukraine to ..., Lammy said, and ...": a country or institution that opens
    the words of a named speaker inserted after them is what the speaker said, not a voice."""
    for r in reports:
        head = r.speakers[0] if r.speakers else None
        if head is None or head.kind != "name" or not head.start < r.verb_start \
                or not lower[:head.start].rstrip().endswith(","):
            continue
        earlier = [e for e in reports if e is not r and e.verb_start < head.start and e.speakers
                   and all(m.kind in INSTITUTIONAL for m in e.speakers)]
        if earlier:
            keep = [e for e in reports if e not in earlier]
            return [Report(x.speakers, x.verb_start, x.verb_end, 0, x.how) if x is r else x for x in keep]
    return reports


def _word_before(lower: str, pos: int) -> str:
    words = lower[max(0, pos - 30):pos].split()
    return words[-1].strip(",\"'") if words else ""


def _close_spelling(written: str, listed: str) -> bool:
    """"merc" for "merz", "heghseth" for "hegseth": one slip in a surname of four letters or more."""
    if written == listed or min(len(written), len(listed)) < 4:
        return False
    return SequenceMatcher(None, written, listed).ratio() >= 0.75


def _holds(actor: Actor, office: str, day: date) -> bool:
    return any(r.office == office and r.held_on(day) for r in actor.roles)


def _ending_at(mentions: list[Mention], end: int) -> Mention | None:
    hits = [m for m in mentions if m.end == end or (m.kind == "voice" and m.end >= end > m.start)]
    return hits[-1] if hits else None


def _coordinated(last: Mention, mentions: list[Mention], lower: str) -> list[Mention]:
    """`A and B said` / `A, B and C said`: every coordinated subject."""
    out = [last]
    current = last
    while True:
        prev = [m for m in mentions if m.end <= current.start and not m.possessive]
        if not prev:
            break
        cand = prev[-1]
        gap = lower[cand.end:current.start].strip()
        if gap in {"and", ", and"} or (gap == "," and len(out) > 1):
            out.insert(0, cand)
            current = cand
            continue
        break
    return out


_KIND_RANK = {"name": 0, "voice": 1, "role": 2, "institution": 3, "bare-role": 4, "country": 5,
              "pronoun": 6}


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
        if merged and m.kind == "name" and merged[-1].kind in {"role", "bare-role"} \
                and m.start - merged[-1].end <= 2:
            role = merged.pop()
            m = Mention(role.start, m.end, "name", m.actor_id, f"title + {m.via}")
        merged.append(m)
    return merged


def _literal_alternation(table: dict[str, object], flags: int) -> re.Pattern[str] | None:
    if not table:
        return None
    alts = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alts})(?![\w])", flags)
