"""Reports: which mention a reporting verb's words belong to.

A *report* is a reporting verb (said, told, ruled out, ...) with its subject: the speakers whose
words the nearby text carries. The subject of a verb is found by an ordered list of named
rules (`VERB_RULES`), each a small function with its example, tried in order: the first that
answers wins. A report whose subject is someone untracked (an analyst, "officials") attributes
its words to nobody. Reports without a verb: "Macron's suggestion that ...", "according to X",
"In Scholz's view, ...", a spokesperson for a principal, and the sentence's tracked subject.
The word classes the rules read with are in rules/language.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property

from bot.extract.mentions import (
    COUNTRY,
    INSTITUTIONAL,
    NAME,
    NAME_OR_ROLE,
    PERSONAL,
    VOICE,
    ItemContext,
    Mention,
    MentionFinder,
)
from bot.extract.patterns import compile_phrase, compile_phrases, one_of
from bot.extract.sentences import Sentence
from bot.rules import Language, RuleSet
from bot.textnorm import fold_lower

# A dateline opening the first sentence, in folded lower-case text: "washington - ",
# "kyiv/berlin (wire) - ", "paris, france - ".
_DATELINE_LOWER = re.compile(r"^[a-z.'/ ]{2,30}(?:,[a-z. ]{2,20})?(?:\s*\([^)]{1,20}\))?\s+-{1,2}\s+")
_TOKEN = re.compile(r"[\w'.-]+|[^\w\s]")
_QUOTE_MARKS = frozenset({'"', "'"})


class AttributionRule(StrEnum):
    """Which rule found a report's speakers: the names of the functions in `VERB_RULES`, then
    the reports that have no reporting verb of their own."""

    RELATIVE_CLAUSE_ANTECEDENT = "relative_clause_antecedent"
    NOTHING_BEFORE_THE_VERB = "nothing_before_the_verb"
    PLACE_AFTER_PREPOSITION_IS_NOT_THE_SPEAKER = "place_after_preposition_is_not_the_speaker"
    SUBJECT_BEFORE_VERB = "subject_before_verb"
    INVERTED_AFTER_QUOTE = "inverted_after_quote"
    PARTICIPLE_AFTER_COMMA = "participle_after_comma"
    APPOSED_NAME = "apposed_name"
    SUBJECT_BEFORE_PARENTHESIS = "subject_before_parenthesis"
    NAME_INSIDE_PARENTHESIS = "name_inside_parenthesis"
    HEAD_OF_PARENTHESIS = "head_of_parenthesis"
    INVERTED_AFTER_COMMA = "inverted_after_comma"
    CONTINUES_AFTER_CONJUNCTION = "continues_after_conjunction"
    UNTRACKED_SUBJECT = "untracked_subject"
    # without a reporting verb
    REPORT_NOUN = "report_noun"                      # "Macron's suggestion that ..."
    ACCORDING_TO = "according_to"                    # "according to Macron"
    VIEWPOINT = "viewpoint"                          # "In Scholz's view, ..."
    SPOKESPERSON = "spokesperson"                    # "a German government spokesman said"
    SENTENCE_SUBJECT = "sentence_subject"            # "Prague is not preparing to send soldiers"
    QUOTATION_CONTINUES = "quotation_continues"      # the next sentence of an open quotation
    QUOTATION_CLOSES_LATER = "quotation_closes_later"   # '"No troops. That is final," X said'


# Reports whose words are a quotation attributed from another sentence.
QUOTATION_RULES = frozenset({AttributionRule.QUOTATION_CONTINUES, AttributionRule.QUOTATION_CLOSES_LATER})


@dataclass(frozen=True)
class Report:
    """Words attributed to `speakers` (empty: someone untracked said them); `how` says why, for
    people (`rules explain`); `rule` is which rule decided, for code."""

    speakers: tuple[Mention, ...]
    verb_start: int
    verb_end: int
    anchor: int
    how: str
    rule: AttributionRule


@dataclass(frozen=True)
class Grammar:
    """The word classes of rules/language.yaml that attribution reads with, compiled once."""

    skipped: frozenset[str]
    time_openers: frozenset[str]
    when: frozenset[str]
    relative_days: frozenset[str]
    months: frozenset[str]
    month_prepositions: frozenset[str]
    month_openers: frozenset[str]
    locative: frozenset[str]
    not_a_report: frozenset[str]
    continuing: frozenset[str]
    fronted: frozenset[str]
    auxiliaries: frozenset[str]
    copulas: frozenset[str]
    stance_predicates: frozenset[str]
    inversion_fillers: frozenset[str]
    fillers: frozenset[str]
    filler_words: int
    infinitive_or_passive: re.Pattern[str]
    inclusion: re.Pattern[str]
    relative_opening: re.Pattern[str]
    relative_clause: re.Pattern[str]
    honorific: re.Pattern[str] | None

    @classmethod
    def of(cls, lang: Language) -> Grammar:
        fillers = frozenset(fold_lower(f) for f in lang.between_subject_and_verb)
        relative = one_of(lang.relative_pronouns)
        return cls(
            skipped=frozenset(lang.skipped_before_verb),
            time_openers=frozenset(lang.time_openers_before_verb),
            when=frozenset((*lang.day_names, *lang.periods_before_verb)),
            relative_days=frozenset(lang.relative_days),
            months=frozenset(lang.month_names),
            month_prepositions=frozenset(lang.prepositions_before_month),
            month_openers=frozenset(lang.month_phrase_openers),
            locative=frozenset(lang.locative_prepositions),
            not_a_report=frozenset((*lang.hypothetical_openers, *lang.noun_determiners)),
            continuing=frozenset(lang.continuing_conjunctions),
            fronted=frozenset(lang.fronted_openers),
            auxiliaries=frozenset(lang.auxiliaries),
            copulas=frozenset(lang.copulas),
            stance_predicates=frozenset(lang.stance_predicates),
            # a comma standing alone: '"...," said , the prime minister'
            inversion_fillers=frozenset((*lang.inversion_fillers, ",")),
            fillers=fillers,
            filler_words=max((len(f.split()) for f in fillers), default=0),
            infinitive_or_passive=re.compile(rf"\b(?:{one_of(lang.infinitive_or_passive_markers)})\s+$"),
            inclusion=re.compile(rf"\b({one_of(lang.inclusion_markers)})\b"),
            relative_opening=re.compile(rf"\s*(?:{relative})\b"),
            relative_clause=re.compile(rf",\s+(?:{relative})\b[^,]*,"),
            honorific=re.compile(
                r"^(?:the\s+)?(?:" + "|".join(re.escape(fold_lower(h)) for h in lang.honorifics) + r")\s+$"
            ) if lang.honorifics else None,
        )

    def takes_a_stance(self, word: str) -> bool:
        """After "Prague is": a predicate that can carry a position ("not", "ready", "preparing")."""
        return word in self.stance_predicates or word.endswith(("ing", "n't"))


# ---------------------------------------------------------------- the subject of a reporting verb

@dataclass
class VerbSite:
    """What the rules see of one reporting verb in its sentence."""

    g: Grammar
    lower: str
    tokens: list[tuple[int, int, str]]     # (start, end, text) of each word and punctuation mark
    mentions: list[Mention]
    earlier: list[Report]                  # the sentence's reports before this verb
    start: int
    end: int
    j: int          # the token before the verb, past adverbs, auxiliaries and times (-1: none)

    @cached_property
    def verb(self) -> str:
        return self.lower[self.start:self.end]

    @cached_property
    def participle(self) -> bool:
        return self.verb.split()[0].endswith("ing")

    @cached_property
    def token(self) -> str:
        return self.tokens[self.j][2]

    @cached_property
    def before(self) -> Mention | None:
        """The mention that ends where the token before the verb ends."""
        return _ending_at(self.mentions, self.tokens[self.j][1])

    @cached_property
    def parenthesis(self) -> tuple[Mention | None, list[Mention], bool, bool] | None:
        """"X, ..., said": the mention before the opening comma, the mentions inside the commas,
        whether they are examples ("such as") and whether they open a relative clause."""
        if self.token != ",":
            return None
        tokens, j = self.tokens, self.j
        opening = next((k for k in range(j - 1, -1, -1) if tokens[k][2] == ","), None)
        if opening is None or opening <= 0:
            return None
        inside = self.lower[tokens[opening][1]:tokens[j][0]]
        head = _ending_at(self.mentions, tokens[opening - 1][1])
        inner = [m for m in self.mentions if tokens[opening][1] <= m.start < tokens[j][0]
                 and not m.possessive]
        such = self.g.inclusion.search(inside) is not None
        relative = self.g.relative_opening.match(inside) is not None
        return head, inner, such, relative


@dataclass(frozen=True)
class Attributed:
    speakers: list[Mention]
    how: str


def _untracked(v: VerbSite) -> Attributed:
    return Attributed([], f"{v.verb!r} by someone untracked")


def _inverted(v: VerbSite) -> Attributed:
    """The first mention after the verb, with only fillers between: '..., said the president'."""
    after = [m for m in v.mentions if m.start >= v.end and m.start - v.end <= 45]
    if after:
        m = after[0]
        if all(w in v.g.inversion_fillers for w in v.lower[v.end:m.start].split()):
            return Attributed([m], f"{v.verb!r} + {m.via}")
    return _untracked(v)


def _inherited(v: VerbSite) -> Attributed:
    """The speakers of the sentence's report before this one, else the sentence's subject."""
    if v.earlier:
        return Attributed(list(v.earlier[-1].speakers), f"{v.verb!r} continues the previous report")
    subject = sentence_subject(v.g, v.lower, v.mentions, need_auxiliary=False)
    if subject is not None:
        return Attributed([subject], f"{subject.via} (sentence subject) + {v.verb!r}")
    return _untracked(v)


def _place_after_preposition(v: VerbSite, m: Mention | None) -> bool:
    return m is not None and m.kind == COUNTRY and _word_before(v.lower, m.start) in v.g.locative


def _speaks(m: Mention) -> bool:
    """A mention that can be a subject: not a possessive ("Macron's"), unless a voice."""
    return not m.possessive or m.kind == VOICE


def relative_clause_antecedent(v: VerbSite) -> Attributed | None:
    """"Tusk, who has previously said ...": the relative clause's antecedent speaks."""
    if v.j >= 2 and v.token == "who" and v.tokens[v.j - 1][2] == ",":
        head = _ending_at(v.mentions, v.tokens[v.j - 2][1])
        if head is not None and not head.possessive:
            return Attributed([head], f"{head.via} (who ...) + {v.verb!r}")
    return None


def nothing_before_the_verb(v: VerbSite) -> Attributed | None:
    """"Speaking in Kyiv, Scholz said ...": a verb that opens the sentence continues its report,
    else its subject speaks."""
    return _inherited(v) if v.j < 0 else None


def place_after_preposition_is_not_the_speaker(v: VerbSite) -> Attributed | None:
    """"Sanchez in Beijing calls for ...": the place is where, not who; the mention before the
    preposition speaks."""
    if not _place_after_preposition(v, v.before):
        return None
    place = v.before
    assert place is not None
    tokens = v.tokens
    k = next((i for i in range(v.j, -1, -1) if tokens[i][0] < place.start), -1)
    while k >= 0 and tokens[k][2] in v.g.locative:
        k -= 1
    at = _ending_at(v.mentions, tokens[k][1]) if k >= 0 else None
    if at is None:
        return _untracked(v)
    if _speaks(at):
        return Attributed(_coordinated(at, v.mentions, v.lower), f"{at.via} + {v.verb!r}")
    return None


def subject_before_verb(v: VerbSite) -> Attributed | None:
    """"Scholz said", "Macron and Scholz ruled out", "Macron's office said": the mention right
    before the verb (and those coordinated with it)."""
    at = v.before
    if at is None or _place_after_preposition(v, at) or not _speaks(at):
        return None
    return Attributed(_coordinated(at, v.mentions, v.lower), f"{at.via} + {v.verb!r}")


def inverted_after_quote(v: VerbSite) -> Attributed | None:
    """'"We will not send troops," said Macron': after a quotation the name follows the verb."""
    if v.token in _QUOTE_MARKS or (v.token == "," and v.j > 0 and v.tokens[v.j - 1][2] in _QUOTE_MARKS):
        return _inverted(v)
    return None


def participle_after_comma(v: VerbSite) -> Attributed | None:
    """"Scholz spoke in Kyiv, saying ...": the participle continues the sentence's report."""
    return _inherited(v) if v.token == "," and v.participle else None


def apposed_name(v: VerbSite) -> Attributed | None:
    """"Latvia's defence minister, Andris Spruds, said": the name set off by commas speaks."""
    if v.token != "," or v.j == 0:
        return None
    named = _ending_at(v.mentions, v.tokens[v.j - 1][1])
    if named is not None and named.kind == NAME and not named.possessive \
            and "," in v.lower[named.start:named.end]:
        return Attributed([named], f"{named.via} + {v.verb!r}")
    return None


def subject_before_parenthesis(v: VerbSite) -> Attributed | None:
    """"Macron, the French president, said", "Warsaw, which borders Ukraine, still rules out":
    the subject before the commas speaks (a country only before a relative clause)."""
    if v.parenthesis is None:
        return None
    head, _, _, relative = v.parenthesis
    if head is not None and not head.possessive and (head.kind != COUNTRY or relative):
        return Attributed(_coordinated(head, v.mentions, v.lower), f"{head.via} + {v.verb!r}")
    return None


def name_inside_parenthesis(v: VerbSite) -> Attributed | None:
    """"Leaders of the alliance, such as Mark Rutte, said": the (last) example speaks; after a
    country or no mention, the first mention inside the commas."""
    if v.parenthesis is None:
        return None
    head, inner, such, _ = v.parenthesis
    if inner and (such or head is None or head.kind == COUNTRY):
        target = inner[-1] if such else inner[0]
        return Attributed([target], f"{target.via} (apposition) + {v.verb!r}")
    return None


def head_of_parenthesis(v: VerbSite) -> Attributed | None:
    """"Poland, a frontline state, said": otherwise the mention before the commas speaks."""
    if v.parenthesis is None or v.parenthesis[0] is None:
        return None
    head = v.parenthesis[0]
    return Attributed([head], f"{head.via} + {v.verb!r}")


def inverted_after_comma(v: VerbSite) -> Attributed | None:
    """"Sending troops is not on the table, said Macron": after a comma the name follows."""
    return _inverted(v) if v.token == "," else None


def continues_after_conjunction(v: VerbSite) -> Attributed | None:
    """"Scholz met Zelensky and warned ...", "..., before telling reporters": a participle or a
    verb after a conjunction continues the sentence's report."""
    return _inherited(v) if v.participle or v.token in v.g.continuing else None


def untracked_subject(v: VerbSite) -> Attributed | None:
    """"Analysts said ...": whoever stands before the verb is nobody tracked."""
    return _untracked(v)


# Tried in order; the first rule that answers decides.
VERB_RULES: tuple[Callable[[VerbSite], Attributed | None], ...] = (
    relative_clause_antecedent,
    nothing_before_the_verb,
    place_after_preposition_is_not_the_speaker,
    subject_before_verb,
    inverted_after_quote,
    participle_after_comma,
    apposed_name,
    subject_before_parenthesis,
    name_inside_parenthesis,
    head_of_parenthesis,
    inverted_after_comma,
    continues_after_conjunction,
    untracked_subject,
)
_NAMED_RULES = tuple((AttributionRule(rule.__name__), rule) for rule in VERB_RULES)


def attribute_verb(v: VerbSite) -> tuple[Attributed, AttributionRule]:
    """The speakers of the verb at `v`, and the rule that found them."""
    for name, rule in _NAMED_RULES:
        answer = rule(v)
        if answer is not None:
            return answer, name
    raise AssertionError("untracked_subject always answers")


def verb_site(g: Grammar, start: int, end: int, lower: str, tokens: list[tuple[int, int, str]],
              mentions: list[Mention], earlier: list[Report]) -> VerbSite:
    """Walk back from the verb over adverbs, auxiliaries and times ("Scholz has up to now
    declined", "Macron last week said", "Macron, who back in May argued") to the token that
    stands before it."""
    idx = next((i for i, t in enumerate(tokens) if t[0] >= start), len(tokens))
    j = idx - 1
    while j >= 0:
        word = tokens[j][2]
        if (k := _filler_ending_at(g, tokens, j)):
            j -= k  # "Scholz has up to now declined", "Scholz first said"
        elif word in g.skipped or (word.endswith("ly") and len(word) > 4):
            j -= 1
        elif word in g.when and j > 0 and tokens[j - 1][2] in g.time_openers:
            j -= 2  # "Scholz on Sunday ruled out", "Macron last week said"
        elif word in g.relative_days:
            j -= 1
        elif word in g.months and j > 0 and tokens[j - 1][2] in g.month_prepositions:
            j -= 2  # "Macron, who back in May argued ..."
            if j >= 0 and tokens[j][2] in g.month_openers:
                j -= 1
        else:
            break
    return VerbSite(g, lower, tokens, mentions, earlier, start, end, j)


def tokens_of(lower: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of each word and punctuation mark of a folded lower-case sentence."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(lower)]


def _filler_ending_at(g: Grammar, tokens: list[tuple[int, int, str]], j: int) -> int:
    """How many tokens ending at `j` make a `between_subject_and_verb` phrase (0: none)."""
    for k in range(min(g.filler_words, j + 1), 0, -1):
        if " ".join(t[2] for t in tokens[j - k + 1:j + 1]) in g.fillers:
            return k
    return 0


def sentence_subject(g: Grammar, lower: str, mentions: list[Mention], need_auxiliary: bool = True
                     ) -> Mention | None:
    """The mention that opens the main clause; without a reporting verb it must be followed
    by an auxiliary ("Prague is not preparing ...") to count as a speaker."""
    dateline = _DATELINE_LOWER.match(lower)   # "washington - the us president has ..."
    start = dateline.end() if dateline else 0
    first_comma = lower.find(",", start)
    first_word = lower[start:].split(" ", 1)[0]
    limit = 100 if first_word == "asked" else 60   # "Asked at his closing press conference whether ..."
    if 0 < first_comma < limit and first_word in g.fronted:
        start = first_comma + 1
    while start < len(lower) and lower[start] in " \"'":
        start += 1
    for m in mentions:
        opening = lower[start:m.start]
        if m.start >= start and (opening in ("", "the ") or (
                g.honorific is not None and g.honorific.match(opening))):
            if m.possessive and m.kind != VOICE:
                return None
            rest = lower[m.end:]
            relative = g.relative_clause.match(rest)
            if relative:  # "France, which pushed for the duties, continues to back them"
                rest = rest[relative.end():]
            following = rest.split(None, 2)
            if not need_auxiliary or (following and following[0].strip(",") in g.auxiliaries):
                if need_auxiliary and m.kind == COUNTRY and following[0] in g.copulas and (
                        len(following) < 2 or not g.takes_a_stance(following[1])):
                    return None  # "Spain is one of the biggest exporters": a fact, not a voice
                return m
            return None
    return None


# ---------------------------------------------------------------- every report of a sentence

class ReportFinder:
    """Compiled matchers for one RuleSet."""

    def __init__(self, rules: RuleSet, mentions: MentionFinder):
        self.rules = rules
        self._mentions = mentions
        lang = rules.language
        self.grammar = Grammar.of(lang)
        self._verb_rx = compile_phrases(list(lang.reporting_verbs))
        self._report_noun_rx = compile_phrases(list(lang.report_nouns))
        self._according_rx = re.compile(
            "|".join(f"(?:{compile_phrase(p)})" for p in lang.according_phrases)
        ) if lang.according_phrases else None
        self._spokesperson = re.compile(
            rf"\b(?:{one_of(lang.articles)})\s+(?:([a-z]+)\s+)?(?:(?:{one_of(lang.spokesperson_employers)})\s+)?"
            rf"(?:{one_of(lang.spokesperson_nouns)})\s+$")
        self._spokesperson_position = re.compile(
            rf"(?:'s|')\s+(?:{one_of(lang.spokesperson_position_nouns)})\b")
        self._view_opening = re.compile(rf"^\W*(?:{one_of(lang.viewpoint_openers)})\s+$")
        self._view_after = re.compile(rf"^(?:(?:'s|')\s+(?:{one_of(lang.viewpoint_nouns)})\s*,|\s*,)")
        self._position_is = re.compile(
            rf"^(?:'s|')\s+(?:{one_of(lang.position_nouns)})\s+(?:{one_of(lang.position_verbs)})"
            rf"(?:\s+(?:{one_of(lang.position_adjectives)}))?\s*:")

    def subject(self, lower: str, mentions: list[Mention]) -> Mention | None:
        """The mention that opens the sentence's main clause, whatever verb follows."""
        return sentence_subject(self.grammar, lower, mentions, need_auxiliary=False)

    def reports(self, sentence: Sentence, mentions: list[Mention], ctx: ItemContext) -> list[Report]:
        g = self.grammar
        lower = fold_lower(sentence.text)
        tokens = tokens_of(lower)
        out: list[Report] = []
        verbs = [m for m in (self._verb_rx.finditer(lower) if self._verb_rx else ())
                 if not sentence.inside_quote(m.start())
                 and not g.infinitive_or_passive.search(lower[max(0, m.start() - 7):m.start()])
                 and not any(x.start <= m.start() < x.end for x in mentions)
                 and _word_before(lower, m.start()) not in g.not_a_report
                 and not lower.startswith(" by ", m.end())]  # passive: "conditions agreed by allies"
        for v in verbs:
            site = verb_site(g, v.start(), v.end(), lower, tokens, mentions, out)
            answer, rule = attribute_verb(site)
            speakers = answer.speakers
            anchor = min([v.start(), *(s.start for s in speakers)])
            if speakers and speakers[0].start > v.end():
                anchor = v.start()
            out.append(Report(tuple(speakers), v.start(), v.end(), anchor, answer.how, rule))
        verb_reports = list(out)
        out += self._report_nouns(lower, mentions, verb_reports)
        for a in self._according_rx.finditer(lower) if self._according_rx else ():
            nxt = [m for m in mentions if 0 <= m.start - a.end() <= 2]
            if nxt:
                out.append(Report((nxt[0],), a.start(), a.end(), 0, f"according to {nxt[0].via}",
                                  AttributionRule.ACCORDING_TO))
        out += self._viewpoints(lower, mentions, out)
        out = self._through_spokesperson(out, lower, mentions, ctx.day)
        out = _drop_reported_subjects(out, lower)
        if not out or (all(not r.speakers for r in out) and out[0].verb_start > len(lower) // 2):
            # No report, or only a trailing untracked one ("..., officials said"): the tracked
            # subject of the main clause is whose position the sentence states.
            subject = sentence_subject(g, lower, mentions)
            if subject is not None and not sentence.starts_in_quote \
                    and all(subject.end <= r.verb_start for r in out):
                how = "is the sentence's subject" + (" (reported by someone untracked)" if out else "")
                out = [Report((subject,), subject.end, subject.end, subject.start, f"{subject.via} {how}",
                              AttributionRule.SENTENCE_SUBJECT)]
        out.sort(key=lambda r: r.anchor)
        return out

    def _report_nouns(self, lower: str, mentions: list[Mention], verb_reports: list[Report]
                      ) -> list[Report]:
        """"Macron's suggestion that ...", "Macron's latest remarks that": the owner speaks."""
        out: list[Report] = []
        if not self._report_noun_rx:
            return out
        for m in mentions:
            # "Peskov called Cameron's remarks dangerous": the remarks are the object of
            # another report, not Cameron speaking.
            if any(r.verb_end <= m.start for r in verb_reports) or not m.possessive:
                continue
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
                                      f"{m.via}'s {hit.group(0)} that ...", AttributionRule.REPORT_NOUN))
        return out

    def _viewpoints(self, lower: str, mentions: list[Mention], reports: list[Report]) -> list[Report]:
        """Words framed as a named person's view, with no reporting verb: "In Scholz's view, ...",
        "For Scholz, ...", "Scholz's position is clear: ...", and the headline "Scholz: ..." """
        if any(r.speakers for r in reports):
            return []
        for m in mentions:
            if m.kind not in PERSONAL:
                continue
            before, after = lower[:m.start], lower[m.end:]
            headline = not before.strip(" \"'") and (self._position_is.match(after) or after.startswith(":"))
            if (self._view_opening.match(before) and self._view_after.match(after)) or headline:
                return [Report((m,), m.end, m.end, m.start, f"{m.via}'s view (no reporting verb)",
                               AttributionRule.VIEWPOINT)]
        return []

    def _through_spokesperson(self, reports: list[Report], lower: str, mentions: list[Mention],
                              day: date) -> list[Report]:
        """A spokesperson speaks for a principal: "a government spokesperson said Scholz's position
        was unchanged" (the principal named at once, possessive), "a German government spokesman
        said ..." (the country's voice)."""
        out = []
        for r in reports:
            subject = self._spokesperson.search(lower[max(0, r.verb_start - 60):r.verb_start])
            if r.speakers or subject is None:
                out.append(r)
                continue
            after = re.match(r"\s+(?:that\s+)?", lower[r.verb_end:])
            at = r.verb_end + (after.end() if after else 0)
            named = next((m for m in mentions if m.start == at and m.possessive and m.actor_id
                          and m.kind in NAME_OR_ROLE
                          and self._spokesperson_position.match(lower[m.end:])), None)
            voice = None
            if named is not None:
                voice = Mention(named.start, named.end, VOICE, named.actor_id,
                                f"{named.via} through a spokesperson")
            elif subject.group(1):
                code = self._mentions.country_of_qualifier(subject.group(1))
                office = self.rules.countries[code].voice if code else None
                actor = self.rules.holder(code, office, day) if code and office else None
                if actor is not None:
                    voice = Mention(r.verb_start, r.verb_start, VOICE, actor.id,
                                    f"{subject.group(0).strip()!r} speaks for the {office}")
            if voice is None:
                out.append(r)
                continue
            out.append(Report((voice,), r.verb_start, r.verb_end, r.anchor,
                              f"{voice.via} + {lower[r.verb_start:r.verb_end]!r}",
                              AttributionRule.SPOKESPERSON))
        return out


def _drop_reported_subjects(reports: list[Report], lower: str) -> list[Report]:
    """"Britain wanted Ukraine to ..., Lammy said, and ...": a country or institution that opens
    the words of a named speaker inserted after them is what the speaker said, not a voice."""
    for r in reports:
        head = r.speakers[0] if r.speakers else None
        if head is None or head.kind != NAME or not head.start < r.verb_start \
                or not lower[:head.start].rstrip().endswith(","):
            continue
        earlier = [e for e in reports if e is not r and e.verb_start < head.start and e.speakers
                   and all(m.kind in INSTITUTIONAL for m in e.speakers)]
        if earlier:
            keep = [e for e in reports if e not in earlier]
            return [Report(x.speakers, x.verb_start, x.verb_end, 0, x.how, x.rule) if x is r else x
                    for x in keep]
    return reports


def _word_before(lower: str, pos: int) -> str:
    words = lower[max(0, pos - 30):pos].split()
    return words[-1].strip(",\"'") if words else ""


def _ending_at(mentions: list[Mention], end: int) -> Mention | None:
    hits = [m for m in mentions if m.end == end or (m.kind == VOICE and m.end >= end > m.start)]
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
