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

from bot.extract.patterns import compile_phrase, compile_phrases
from bot.extract.sentences import Sentence
from bot.rules import Actor, RuleSet
from bot.textnorm import fold, fold_lower

# How much an attribution is worth, by the way the speaker was named.
CONFIDENCE = {
    "name": 0.95, "role": 0.9, "bare-role": 0.8, "pronoun": 0.8, "voice": 0.75,
    "institution": 0.7, "country": 0.7, "report-noun": 0.8, "quote": 0.85, "subject": 0.8,
}
INSTITUTIONAL = frozenset({"voice", "institution", "country"})

_SKIP = frozenset("""
has have had is was were also further again already repeatedly previously then later now quickly
once recently earlier publicly firmly reportedly categorically not would will did does do been
clearly swiftly initially explicitly strongly even still n't has had since both all jointly each
together
""".split())
_FRONTED = frozenset("""
in on at after shortly soon earlier later speaking asked responding despite following during
last this meanwhile however but and yet still when while before addressing writing in an
interview
""".split())
_AUXILIARIES = frozenset("""
is are was were has have had will would could can cannot should must may might does did remains
remained stands stood won't isn't wasn't hasn't doesn't didn't wouldn't also
""".split())
_WHEN = frozenset("""
monday tuesday wednesday thursday friday saturday sunday week month weekend morning evening
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

    @property
    def confidence(self) -> float:
        return CONFIDENCE.get(self.kind, 0.7)


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


class SpeakerFinder:
    """Compiled matchers for one RuleSet."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        names: dict[str, str] = {}
        for actor in rules.actors.values():
            for n in (actor.name, *actor.aliases):
                names[fold(n)] = actor.id
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
        self._according_rx = re.compile(compile_phrase("according to"))

    # ------------------------------------------------------------------ mentions

    def mentions(self, sentence: Sentence, ctx: ItemContext) -> list[Mention]:
        plain = fold(sentence.text)
        lower = plain.lower()
        found: list[Mention] = []
        for m in self._name_rx.finditer(plain) if self._name_rx else ():
            actor_id = self._names[m.group(0)]
            found.append(Mention(m.start(), m.end(), "name", actor_id, f"name {m.group(0)!r}"))
        for m in self._office_rx.finditer(lower) if self._office_rx else ():
            mention = self._role(m, lower, ctx)
            if mention:
                found.append(mention)
        for m in self._inst_rx.finditer(lower) if self._inst_rx else ():
            inst = self.rules.institutions[self._inst[m.group(0)]]
            actor = (self.rules.actors.get(inst.actor) if inst.actor else
                     self.rules.holder(inst.country or "", inst.office or "", ctx.day))
            found.append(Mention(m.start(), m.end(), "institution", actor.id if actor else None,
                                 f"institution {m.group(0)!r}"))
        for m in self._place_rx.finditer(plain) if self._place_rx else ():
            code = self._places[m.group(0)]
            voice = self.rules.countries[code].voice
            actor = self.rules.holder(code, voice, ctx.day) if voice else None
            found.append(Mention(m.start(), m.end(), "country", actor.id if actor else None,
                                 f"country {m.group(0)!r} speaks through its {voice}"))
        for m in self._pronoun_rx.finditer(lower):
            if not sentence.inside_quote(m.start()):
                found.append(Mention(m.start(), m.end(), "pronoun", None, f"pronoun {m.group(0)!r}"))
        return self._finish(_merge(found), lower)

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
        out = []
        for m in mentions:
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
                 and not any(x.start <= m.start() < x.end for x in mentions)]
        for v in verbs:
            speakers, how = self._subject(v.start(), v.end(), lower, tokens, mentions, sentence, out)
            if speakers is None:
                continue
            anchor = min([v.start(), *(s.start for s in speakers)])
            if speakers and speakers[0].start > v.end():
                anchor = v.start()
            out.append(Report(tuple(speakers), v.start(), v.end(), anchor, how))
        for m in mentions:
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
        if not out:
            subject = self._sentence_subject(lower, mentions)
            if subject is not None and not sentence.starts_in_quote:
                out.append(Report((subject,), subject.end, subject.end, subject.start,
                                  f"{subject.via} is the sentence's subject"))
        out.sort(key=lambda r: r.anchor)
        return out

    def _subject(self, vs: int, ve: int, lower: str, tokens: list[tuple[int, int, str]],
                 mentions: list[Mention], sentence: Sentence, earlier: list[Report]
                 ) -> tuple[list[Mention] | None, str]:
        idx = next((i for i, t in enumerate(tokens) if t[0] >= vs), len(tokens))
        j = idx - 1
        while j >= 0:
            word = tokens[j][2]
            if word in _SKIP or (word.endswith("ly") and len(word) > 4):
                j -= 1
            elif word in _WHEN and j > 0 and tokens[j - 1][2] in {"on", "this", "last", "on the"}:
                j -= 2  # "Scholz on Sunday ruled out", "Macron last week said"
            elif word in {"today", "yesterday", "tonight"}:
                j -= 1
            else:
                break
        verb = lower[vs:ve]
        participle = verb.split()[0].endswith("ing")
        if j >= 0:
            tok_start, tok_end, tok = tokens[j]
            at = _ending_at(mentions, tok_end)
            if at is not None and (not at.possessive or at.kind == "voice"):
                return _coordinated(at, mentions, lower), f"{at.via} + {verb!r}"
            if tok == "," and j > 0 and tokens[j - 1][2] in {'"', "'"}:
                return self._inverted(ve, lower, mentions, verb)
            if tok in {'"', "'"}:
                return self._inverted(ve, lower, mentions, verb)
            if tok == "," and participle:
                return self._inherited(earlier, lower, mentions, verb)
            if tok == ",":
                opening = next((k for k in range(j - 1, -1, -1) if tokens[k][2] == ","), None)
                if opening is not None and opening > 0:
                    head = _ending_at(mentions, tokens[opening - 1][1])
                    inner = [m for m in mentions if tokens[opening][1] <= m.start < tok_start
                             and not m.possessive]
                    such = re.search(r"\b(such as|including|like|notably)\b",
                                     lower[tokens[opening][1]:tok_start])
                    if head and not head.possessive and head.kind != "country":
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

    @staticmethod
    def _sentence_subject(lower: str, mentions: list[Mention], need_auxiliary: bool = True
                          ) -> Mention | None:
        """The mention that opens the main clause; without a reporting verb it must be followed
        by an auxiliary ("Prague is not preparing ...") to count as a speaker."""
        start = 0
        first_comma = lower.find(",")
        first_word = lower.split(" ", 1)[0]
        if 0 < first_comma < 60 and first_word in _FRONTED:
            start = first_comma + 1
        while start < len(lower) and lower[start] in " \"'":
            start += 1
        for m in mentions:
            if m.start in (start, start + 4) and lower[start:m.start] in ("", "the "):
                if m.possessive and m.kind != "voice":
                    return None
                following = lower[m.end:].split(None, 1)
                if not need_auxiliary or (following and following[0].strip(",") in _AUXILIARIES):
                    return m
                return None
        return None


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
