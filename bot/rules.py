"""rules/*.yaml -> a validated, immutable RuleSet.

Every problem in every file is collected and reported at once, each naming its file, line
and field (`rules/actors.yaml:42: actors[7].country: 'XX' is not a country code`).
Pure after the file reads: `build_ruleset` takes parsed documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import ConfigError, Problem
from bot.textnorm import fold
from bot.yamlfile import YamlDoc, load_yaml, validate

if TYPE_CHECKING:
    from bot.baselines import Baseline

ORGANISATIONS = ("NATO", "EU", "UN")
RULE_FILES = ("countries", "offices", "actors", "topics", "stances", "language")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ---------------------------------------------------------------- compiled, plain data

@dataclass(frozen=True)
class Country:
    code: str
    name: str
    names: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()
    capital: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class Role:
    office: str
    country: str
    start: date | None
    end: date | None
    title: str | None = None

    def held_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    country: str
    aliases: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    provisional: bool = False
    # Surnames listed as aliases but not registered alone: each also names a country, a
    # demonym, a capital or another actor ("Montenegro", "Harris"). `aliases` carries their
    # titled forms instead ("Prime Minister Montenegro", "Mr Montenegro").
    ambiguous: tuple[str, ...] = ()


@dataclass(frozen=True)
class Institution:
    phrases: tuple[str, ...]
    country: str | None = None
    office: str | None = None
    actor: str | None = None


@dataclass(frozen=True)
class CueSet:
    stance: str
    phrases: tuple[str, ...]
    weight: float = 1.0
    keep_when_negated: bool = False     # a warning stays a warning: "we do not want a trade war"


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    keywords: tuple[str, ...]
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    cues: tuple[CueSet, ...] = ()
    refer_back: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()     # verbs of this topic's action, added to the implicit ones
    conditions: tuple[str, ...] = ()  # condition words of this topic, added to the global ones
    drop_cues: tuple[str, ...] = ()   # global cue phrases that misread this topic


@dataclass(frozen=True)
class ImplicitRules:
    """Stance from modality and polarity when no cue matches (stances.yaml `implicit:`): a
    modal before an action whose object is on the topic ("Canada would devote 5 % of GDP")."""

    modals: dict[str, tuple[str, ...]]    # label -> modal words ("will", "ready to"; "could")
    actions: tuple[str, ...]              # "send", "supply*", "devote"
    objects: tuple[str, ...]              # words that stand for the topic's object: "it", "them"
    confidence: float = 0.8


@dataclass(frozen=True)
class StanceRules:
    labels: tuple[str, ...]
    negators: tuple[str, ...]
    negated: dict[str, str]
    conditions: tuple[str, ...]
    cues: tuple[CueSet, ...]
    # A shift less confident than this is held unconfirmed until a second independent source.
    confirm_threshold: float = 0.7
    confidence: ConfidenceRules = field(default_factory=lambda: ConfidenceRules())
    implicit: ImplicitRules | None = None
    not_conditions: tuple[str, ...] = ()   # "if not", "if necessary": condition words that set none
    # "will" -> ("won't",): a cue that opens with a modal also reads negated ("won't approve")
    modal_negations: dict[str, tuple[str, ...]] = field(default_factory=dict)


# How much each piece of evidence is worth (stances.yaml `confidence:`; see rules/README.md).
ATTRIBUTION_DEFAULTS: dict[str, float] = {
    "name": 0.95, "role": 0.85, "bare-role": 0.75, "pronoun": 0.85, "quote": 0.85,
    "voice": 0.7, "institution": 0.65, "country": 0.65,
}
EVIDENCE_DEFAULTS: dict[str, float] = {"direct_quote": 1.0, "indirect": 0.9, "no_reporting_verb": 0.8}
HEDGES_DEFAULT: tuple[str, ...] = ("may", "might", "could", "perhaps", "possibly", "probably",
                                   "likely", "reportedly", "appear*", "seem*")


@dataclass(frozen=True)
class ConfidenceRules:
    attribution: dict[str, float] = field(default_factory=lambda: dict(ATTRIBUTION_DEFAULTS))
    evidence: dict[str, float] = field(default_factory=lambda: dict(EVIDENCE_DEFAULTS))
    carried_topic: float = 0.9
    hedge: float = 0.85
    hedges: tuple[str, ...] = HEDGES_DEFAULT


@dataclass(frozen=True)
class Language:
    reporting_verbs: tuple[str, ...]
    report_nouns: tuple[str, ...]
    voice_nouns: tuple[str, ...]
    refer_back: tuple[str, ...]
    historical_markers: tuple[str, ...]
    recent_days: int
    date_not_statement: tuple[str, ...]
    honorifics: tuple[str, ...] = ()          # "Sir", "Mr": part of how a name is written
    between_subject_and_verb: tuple[str, ...] = ()   # "up to now", "first": "Scholz first said"
    according_phrases: tuple[str, ...] = ()   # "according to X"
    # Closed word classes (the last section of language.yaml, each with its role and an example
    # there): the grammar extraction reads sentences with. Plain lower-case words.
    day_names: tuple[str, ...] = ()
    month_names: tuple[str, ...] = ()
    month_abbreviations: tuple[str, ...] = ()
    relative_days: tuple[str, ...] = ()
    skipped_before_verb: tuple[str, ...] = ()
    time_openers_before_verb: tuple[str, ...] = ()
    periods_before_verb: tuple[str, ...] = ()
    prepositions_before_month: tuple[str, ...] = ()
    month_phrase_openers: tuple[str, ...] = ()
    locative_prepositions: tuple[str, ...] = ()
    hypothetical_openers: tuple[str, ...] = ()
    noun_determiners: tuple[str, ...] = ()
    infinitive_or_passive_markers: tuple[str, ...] = ()
    continuing_conjunctions: tuple[str, ...] = ()
    fronted_openers: tuple[str, ...] = ()
    auxiliaries: tuple[str, ...] = ()
    copulas: tuple[str, ...] = ()
    stance_predicates: tuple[str, ...] = ()
    inversion_fillers: tuple[str, ...] = ()
    not_a_name: tuple[str, ...] = ()
    former_markers: tuple[str, ...] = ()
    former_markers_after_country: tuple[str, ...] = ()
    relative_pronouns: tuple[str, ...] = ()
    speaker_pronouns: tuple[str, ...] = ()
    inclusion_markers: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    spokesperson_employers: tuple[str, ...] = ()
    spokesperson_nouns: tuple[str, ...] = ()
    spokesperson_position_nouns: tuple[str, ...] = ()
    viewpoint_openers: tuple[str, ...] = ()
    viewpoint_nouns: tuple[str, ...] = ()
    position_nouns: tuple[str, ...] = ()
    position_verbs: tuple[str, ...] = ()
    position_adjectives: tuple[str, ...] = ()
    question_words: tuple[str, ...] = ()
    link_words: tuple[str, ...] = ()
    answer_no: tuple[str, ...] = ()
    answer_yes: tuple[str, ...] = ()
    head_shake_verbs: tuple[str, ...] = ()
    yes_no_question_words: tuple[str, ...] = ()
    clause_break_conjunctions: tuple[str, ...] = ()
    clause_break_words: tuple[str, ...] = ()
    clause_break_subjects: tuple[str, ...] = ()
    asked_question_words: tuple[str, ...] = ()
    background_restrictors: tuple[str, ...] = ()
    background_counts: tuple[str, ...] = ()
    background_units: tuple[str, ...] = ()
    background_relations: tuple[str, ...] = ()
    time_openers_after_verb: tuple[str, ...] = ()
    periods_after_verb: tuple[str, ...] = ()
    parts_of_day: tuple[str, ...] = ()
    clause_boundary_conjunctions: tuple[str, ...] = ()
    date_prepositions: tuple[str, ...] = ()
    ambiguous_month_names: tuple[str, ...] = ()
    month_prepositions: tuple[str, ...] = ()
    year_prepositions: tuple[str, ...] = ()
    units_after_last: tuple[str, ...] = ()
    future_markers: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()
    month_parts: dict[str, int] = field(default_factory=dict)
    number_words: dict[str, int] = field(default_factory=dict)
    time_units: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    countries: dict[str, Country]
    offices: dict[str, tuple[str, ...]]
    leader_phrases: tuple[str, ...]
    institutions: tuple[Institution, ...]
    actors: dict[str, Actor]
    topics: dict[str, Topic]
    stances: StanceRules
    language: Language
    source: str = ""
    baselines: tuple[Baseline, ...] = ()     # where analysts say leaders stood (baselines.yaml)
    _holders: dict[tuple[str, str], tuple[tuple[Role, Actor], ...]] = field(
        default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        holders: dict[tuple[str, str], list[tuple[Role, Actor]]] = {}
        for actor in self.actors.values():
            for role in actor.roles:
                holders.setdefault((role.country, role.office), []).append((role, actor))
        self._holders.update({k: tuple(v) for k, v in holders.items()})

    def holder(self, country: str, office: str, day: date) -> Actor | None:
        """Who held `office` in `country` on `day` (None when nobody listed did)."""
        for role, actor in self._holders.get((country, office), ()):
            if role.held_on(day):
                return actor
        return None

    def holders_anywhere(self, office: str, day: date) -> list[Actor]:
        return [a for (_, o), pairs in self._holders.items() if o == office
                for role, a in pairs if role.held_on(day)]

    def labels_for(self, topic: str) -> tuple[str, ...]:
        t = self.topics.get(topic)
        return t.labels if t and t.labels else self.stances.labels


# ---------------------------------------------------------------- file schemas

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _nonempty(values: list[str]) -> list[str]:
    for v in values:
        if not str(v).strip():
            raise ValueError("empty phrase")
    return values


class CountryIn(_Strict):
    code: str
    name: str
    names: list[str] = Field(default_factory=list)
    demonyms: list[str] = Field(default_factory=list)
    capital: str | None = None
    voice: str | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, v: Any) -> Any:
        if v is False:  # YAML 1.1 reads an unquoted NO (Norway) as false
            return "NO"
        return v


class CountriesFile(_Strict):
    countries: list[CountryIn]


class OfficeIn(_Strict):
    phrases: list[str]
    _check = field_validator("phrases")(_nonempty)


class InstitutionIn(_Strict):
    phrases: list[str]
    country: str | None = None
    office: str | None = None
    actor: str | None = None


class OfficesFile(_Strict):
    offices: dict[str, OfficeIn]
    leader_phrases: list[str] = Field(default_factory=list)
    institutions: list[InstitutionIn] = Field(default_factory=list)


class RoleIn(_Strict):
    office: str
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    country: str | None = None
    title: str | None = None


class ActorIn(_Strict):
    id: str
    name: str
    country: str
    aliases: list[str] = Field(default_factory=list)
    roles: list[RoleIn] = Field(default_factory=list)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, v: Any) -> Any:
        return "NO" if v is False else v


class ActorsFile(_Strict):
    actors: list[ActorIn]


class CueSetIn(_Strict):
    stance: str
    phrases: list[str]
    weight: float = Field(default=1.0, gt=0)
    keep_when_negated: bool = False


class TopicIn(_Strict):
    id: str
    name: str
    keywords: list[str] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    cues: list[CueSetIn] = Field(default_factory=list)
    refer_back: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    drop_cues: list[str] = Field(default_factory=list)


class TopicsFile(_Strict):
    topics: list[TopicIn]


class StancesFile(_Strict):
    labels: list[str]
    negators: list[str] = Field(default_factory=list)
    negated: dict[str, str] = Field(default_factory=dict)
    conditions: list[str] = Field(default_factory=list)
    cues: list[CueSetIn] = Field(default_factory=list)
    alerting: AlertingIn = Field(default_factory=lambda: AlertingIn())
    confidence: ConfidenceIn = Field(default_factory=lambda: ConfidenceIn())
    implicit: ImplicitIn | None = None
    not_conditions: list[str] = Field(default_factory=list)
    modal_negations: dict[str, list[str]] = Field(default_factory=dict)


class ImplicitIn(_Strict):
    modals: dict[str, list[str]]
    actions: list[str]
    objects: list[str] = Field(default_factory=list)
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)


class AlertingIn(_Strict):
    confirm_threshold: float = Field(default=0.7, ge=0.0, le=1.0)


_Factor = Annotated[float, Field(ge=0.0, le=1.0)]


class ConfidenceIn(_Strict):
    attribution: dict[Literal["name", "role", "bare-role", "pronoun", "quote", "voice", "institution",
                              "country"], _Factor] = Field(default_factory=dict)
    evidence: dict[Literal["direct_quote", "indirect", "no_reporting_verb"], _Factor] = Field(
        default_factory=dict)
    carried_topic: _Factor = 0.9
    hedge: _Factor = 0.85
    hedges: list[str] = Field(default_factory=lambda: list(HEDGES_DEFAULT))


class LanguageFile(_Strict):
    reporting_verbs: list[str]
    report_nouns: list[str] = Field(default_factory=list)
    voice_nouns: list[str] = Field(default_factory=list)
    refer_back: list[str] = Field(default_factory=list)
    historical_markers: list[str] = Field(default_factory=list)
    recent_days: int = Field(default=7, ge=0)
    date_not_statement: list[str] = Field(default_factory=list)
    honorifics: list[str] = Field(default_factory=list)
    between_subject_and_verb: list[str] = Field(default_factory=list)
    according_phrases: list[str] = Field(default_factory=list)
    day_names: list[str] = Field(default_factory=list)
    month_names: list[str] = Field(default_factory=list)
    month_abbreviations: list[str] = Field(default_factory=list)
    relative_days: list[str] = Field(default_factory=list)
    skipped_before_verb: list[str] = Field(default_factory=list)
    time_openers_before_verb: list[str] = Field(default_factory=list)
    periods_before_verb: list[str] = Field(default_factory=list)
    prepositions_before_month: list[str] = Field(default_factory=list)
    month_phrase_openers: list[str] = Field(default_factory=list)
    locative_prepositions: list[str] = Field(default_factory=list)
    hypothetical_openers: list[str] = Field(default_factory=list)
    noun_determiners: list[str] = Field(default_factory=list)
    infinitive_or_passive_markers: list[str] = Field(default_factory=list)
    continuing_conjunctions: list[str] = Field(default_factory=list)
    fronted_openers: list[str] = Field(default_factory=list)
    auxiliaries: list[str] = Field(default_factory=list)
    copulas: list[str] = Field(default_factory=list)
    stance_predicates: list[str] = Field(default_factory=list)
    inversion_fillers: list[str] = Field(default_factory=list)
    not_a_name: list[str] = Field(default_factory=list)
    former_markers: list[str] = Field(default_factory=list)
    former_markers_after_country: list[str] = Field(default_factory=list)
    relative_pronouns: list[str] = Field(default_factory=list)
    speaker_pronouns: list[str] = Field(default_factory=list)
    inclusion_markers: list[str] = Field(default_factory=list)
    articles: list[str] = Field(default_factory=list)
    spokesperson_employers: list[str] = Field(default_factory=list)
    spokesperson_nouns: list[str] = Field(default_factory=list)
    spokesperson_position_nouns: list[str] = Field(default_factory=list)
    viewpoint_openers: list[str] = Field(default_factory=list)
    viewpoint_nouns: list[str] = Field(default_factory=list)
    position_nouns: list[str] = Field(default_factory=list)
    position_verbs: list[str] = Field(default_factory=list)
    position_adjectives: list[str] = Field(default_factory=list)
    question_words: list[str] = Field(default_factory=list)
    link_words: list[str] = Field(default_factory=list)
    answer_no: list[str] = Field(default_factory=list)
    answer_yes: list[str] = Field(default_factory=list)
    head_shake_verbs: list[str] = Field(default_factory=list)
    yes_no_question_words: list[str] = Field(default_factory=list)
    clause_break_conjunctions: list[str] = Field(default_factory=list)
    clause_break_words: list[str] = Field(default_factory=list)
    clause_break_subjects: list[str] = Field(default_factory=list)
    asked_question_words: list[str] = Field(default_factory=list)
    background_restrictors: list[str] = Field(default_factory=list)
    background_counts: list[str] = Field(default_factory=list)
    background_units: list[str] = Field(default_factory=list)
    background_relations: list[str] = Field(default_factory=list)
    time_openers_after_verb: list[str] = Field(default_factory=list)
    periods_after_verb: list[str] = Field(default_factory=list)
    parts_of_day: list[str] = Field(default_factory=list)
    clause_boundary_conjunctions: list[str] = Field(default_factory=list)
    date_prepositions: list[str] = Field(default_factory=list)
    ambiguous_month_names: list[str] = Field(default_factory=list)
    month_prepositions: list[str] = Field(default_factory=list)
    year_prepositions: list[str] = Field(default_factory=list)
    units_after_last: list[str] = Field(default_factory=list)
    future_markers: list[str] = Field(default_factory=list)
    abbreviations: list[str] = Field(default_factory=list)
    month_parts: dict[str, int] = Field(default_factory=dict)
    number_words: dict[str, int] = Field(default_factory=dict)
    time_units: dict[str, int] = Field(default_factory=dict)


# Plain word lists of language.yaml (not cue phrases) and its word -> number tables.
LANGUAGE_WORD_LISTS = (
    "day_names", "month_names", "month_abbreviations", "relative_days", "skipped_before_verb",
    "time_openers_before_verb", "periods_before_verb", "prepositions_before_month",
    "month_phrase_openers", "locative_prepositions", "hypothetical_openers", "noun_determiners",
    "infinitive_or_passive_markers", "continuing_conjunctions", "fronted_openers",
    "auxiliaries", "copulas", "stance_predicates", "inversion_fillers", "not_a_name",
    "former_markers", "former_markers_after_country", "relative_pronouns", "speaker_pronouns",
    "inclusion_markers", "articles", "spokesperson_employers", "spokesperson_nouns",
    "spokesperson_position_nouns", "viewpoint_openers", "viewpoint_nouns", "position_nouns",
    "position_verbs", "position_adjectives", "question_words", "link_words", "answer_no",
    "answer_yes", "head_shake_verbs", "yes_no_question_words", "clause_break_conjunctions",
    "clause_break_words", "clause_break_subjects", "asked_question_words",
    "background_restrictors", "background_counts", "background_units", "background_relations",
    "time_openers_after_verb", "periods_after_verb", "parts_of_day",
    "clause_boundary_conjunctions", "date_prepositions", "ambiguous_month_names",
    "month_prepositions", "year_prepositions", "units_after_last", "future_markers",
    "abbreviations",
)
LANGUAGE_WORD_MAPS = ("month_parts", "number_words", "time_units")


# ---------------------------------------------------------------- loading and checking

def load_rules(rules_dir: str | Path) -> RuleSet:
    """Read, validate and compile every rules file in `rules_dir`."""
    base = Path(rules_dir)
    if not base.is_dir():
        raise ConfigError([Problem(str(base), None, "", "rules folder not found")])
    docs: dict[str, YamlDoc] = {}
    problems: list[Problem] = []
    for name in RULE_FILES:
        try:
            docs[name] = load_yaml(base / f"{name}.yaml")
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    rules = build_ruleset(docs, source=str(base))
    from bot.baselines import load_baselines  # it validates against the rules just built

    return replace(rules, baselines=load_baselines(base, rules))


def build_ruleset(docs: dict[str, YamlDoc], source: str = "") -> RuleSet:
    problems: list[Problem] = []

    def parse(name: str, model: type[Any]) -> Any:
        try:
            return validate(docs[name], model)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None

    countries_in: CountriesFile | None = parse("countries", CountriesFile)
    offices_in: OfficesFile | None = parse("offices", OfficesFile)
    actors_in: ActorsFile | None = parse("actors", ActorsFile)
    topics_in: TopicsFile | None = parse("topics", TopicsFile)
    stances_in: StancesFile | None = parse("stances", StancesFile)
    language_in: LanguageFile | None = parse("language", LanguageFile)
    if problems:
        raise ConfigError(problems)
    assert countries_in and offices_in and actors_in and topics_in and stances_in and language_in

    report = _Reporter(docs, problems)
    countries = _check_countries(countries_in, offices_in, report)
    offices = {k: tuple(v.phrases) for k, v in offices_in.offices.items()}
    actors = _check_actors(actors_in, countries, offices, report)
    institutions = _check_institutions(offices_in, countries, offices, actors, report)
    stances = _check_stances(stances_in, report)
    topics = _check_topics(topics_in, stances, report)
    _check_phrases(docs, report)
    _check_words(language_in, report)
    if problems:
        raise ConfigError(problems)
    lang = language_in
    return RuleSet(
        countries=countries,
        offices=offices,
        leader_phrases=tuple(offices_in.leader_phrases),
        institutions=institutions,
        actors=actors,
        topics=topics,
        stances=stances,
        language=Language(
            reporting_verbs=tuple(lang.reporting_verbs),
            report_nouns=tuple(lang.report_nouns),
            voice_nouns=tuple(lang.voice_nouns),
            refer_back=tuple(lang.refer_back),
            historical_markers=tuple(lang.historical_markers),
            recent_days=lang.recent_days,
            date_not_statement=tuple(lang.date_not_statement),
            honorifics=tuple(lang.honorifics),
            between_subject_and_verb=tuple(lang.between_subject_and_verb),
            according_phrases=tuple(lang.according_phrases),
            # the word classes, by name: each a tuple of words, or a mapping (typed on Language)
            **cast(dict[str, Any], {name: tuple(getattr(lang, name)) for name in LANGUAGE_WORD_LISTS}),
            **cast(dict[str, Any], {name: dict(getattr(lang, name)) for name in LANGUAGE_WORD_MAPS}),
        ),
        source=source,
    )


class _Reporter:
    def __init__(self, docs: dict[str, YamlDoc], problems: list[Problem]):
        self.docs = docs
        self.problems = problems

    def __call__(self, name: str, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.docs[name].problem(path, message))


def is_country_code(code: str) -> bool:
    return code in ORGANISATIONS or (
        len(code) == 2 and code.isupper() and pycountry.countries.get(alpha_2=code) is not None)


def _check_countries(data: CountriesFile, offices: OfficesFile, report: _Reporter
                     ) -> dict[str, Country]:
    out: dict[str, Country] = {}
    for i, c in enumerate(data.countries):
        if not is_country_code(c.code):
            report("countries", ("countries", i, "code"), f"{c.code!r} is not a country code")
        if c.code in out:
            report("countries", ("countries", i, "code"), f"duplicate code {c.code!r}")
        if c.voice and c.voice not in offices.offices:
            report("countries", ("countries", i, "voice"), f"{c.voice!r} is not an office")
        out[c.code] = Country(c.code, c.name, tuple(c.names), tuple(c.demonyms), c.capital, c.voice)
    return out


# A surname that cannot stand alone still names its bearer after one of these.
HONORIFICS = ("Mr", "Mr.", "Ms", "Ms.", "Mrs", "Mrs.")


def _check_actors(data: ActorsFile, countries: dict[str, Country], offices: dict[str, Any],
                  report: _Reporter) -> dict[str, Actor]:
    out: dict[str, Actor] = {}
    claimed: dict[str, str] = {}  # folded name or multi-word alias -> actor id
    bare: dict[str, set[str]] = {}  # folded one-word alias -> actor ids listing it
    for i, a in enumerate(data.actors):
        where = ("actors", i)
        if not SLUG.match(a.id):
            report("actors", (*where, "id"), f"{a.id!r} is not a slug (lower-case words joined by -)")
        if a.id in out:
            report("actors", (*where, "id"), f"duplicate id {a.id!r}")
        if a.country not in countries:
            report("actors", (*where, "country"), f"{a.country!r} is not a country code"
                   if not is_country_code(a.country) else f"{a.country!r} is not in countries.yaml")
        roles = []
        for j, r in enumerate(a.roles):
            rc = r.country or a.country
            if r.office not in offices:
                report("actors", (*where, "roles", j, "office"), f"{r.office!r} is not an office")
            if r.country and r.country not in countries:
                report("actors", (*where, "roles", j, "country"), f"{r.country!r} is not a country code")
            if r.from_ and r.to and r.to < r.from_:
                report("actors", (*where, "roles", j, "to"), f"{r.to} is before from: {r.from_}")
            roles.append(Role(r.office, rc, r.from_, r.to, r.title))
        for k, name in enumerate([a.name, *a.aliases]):
            key = _name_key(name)
            path = (*where, "name") if k == 0 else (*where, "aliases", k - 1)
            if not key:
                report("actors", path, "empty name")
            elif k > 0 and " " not in key:
                bare.setdefault(key, set()).add(a.id)
            elif key in claimed and claimed[key] != a.id:
                report("actors", path, f"{name!r} is already claimed by actor {claimed[key]!r}")
            else:
                claimed[key] = a.id
        out[a.id] = Actor(a.id, a.name, a.country, tuple(a.aliases), tuple(roles))
    return _register_bare_aliases(out, bare, claimed, countries, offices)


def _name_key(name: str) -> str:
    return " ".join(fold(name).lower().split())


def _register_bare_aliases(actors: dict[str, Actor], bare: dict[str, set[str]],
                           claimed: dict[str, str], countries: dict[str, Country],
                           offices: dict[str, Any]) -> dict[str, Actor]:
    """A one-word alias names its actor alone only when nothing else answers to that word: not
    a country's name, demonym or capital ("Montenegro", the Portuguese prime minister), not
    another actor's alias or name ("Harris"). Otherwise it needs a title or an honorific
    before it, and those titled forms are registered only where they are unique too."""
    places = {_name_key(w) for c in countries.values()
              for w in (c.name, *c.names, *c.demonyms, *([c.capital] if c.capital else []))}
    ambiguous = {key for key, ids in bare.items()
                 if len(ids) > 1 or key in places or (key in claimed and claimed[key] not in ids)}
    if not ambiguous:
        return actors
    titled: dict[str, dict[str, str]] = {}   # actor id -> folded titled form -> as written
    for actor in actors.values():
        for alias in actor.aliases:
            if _name_key(alias) in ambiguous:
                for form in _titled_forms(alias, actor, offices):
                    titled.setdefault(actor.id, {})[_name_key(form)] = form
    owners: dict[str, set[str]] = {}
    for actor_id, forms in titled.items():
        for key in forms:
            owners.setdefault(key, set()).add(actor_id)
    out: dict[str, Actor] = {}
    for actor_id, actor in actors.items():
        if actor_id not in titled and not any(_name_key(x) in ambiguous for x in actor.aliases):
            out[actor_id] = actor
            continue
        kept = tuple(x for x in actor.aliases if _name_key(x) not in ambiguous)
        extra = tuple(form for key, form in titled.get(actor_id, {}).items()
                      if owners[key] == {actor_id} and key not in claimed)
        dropped = tuple(x for x in actor.aliases if _name_key(x) in ambiguous)
        out[actor_id] = Actor(actor.id, actor.name, actor.country, kept + extra, actor.roles,
                              actor.provisional, dropped)
    return out


def _titled_forms(surname: str, actor: Actor, offices: dict[str, Any]) -> list[str]:
    """"Mr Montenegro", "Prime Minister Montenegro", "Taoiseach Harris": the surname after an
    honorific, the title of one of the actor's roles, or one of its offices' phrases."""
    titles: list[str] = list(HONORIFICS)
    for role in actor.roles:
        if role.title:
            titles.append(role.title)
        for phrase in offices.get(role.office, ()):
            if " of " not in f" {phrase} ":   # "minister of defence" is not written before a name
                titles.append(" ".join(w if w.isupper() else "-".join(p.capitalize() for p in w.split("-"))
                                       for w in phrase.split()))
    return [f"{t} {surname}" for t in dict.fromkeys(titles)]


def _check_institutions(data: OfficesFile, countries: dict[str, Country], offices: dict[str, Any],
                        actors: dict[str, Actor], report: _Reporter) -> tuple[Institution, ...]:
    out = []
    for i, inst in enumerate(data.institutions):
        where = ("institutions", i)
        if inst.actor:
            if inst.actor not in actors:
                report("offices", (*where, "actor"), f"{inst.actor!r} is not an actor id")
        elif not (inst.country and inst.office):
            report("offices", where, "needs either actor, or country and office")
        if inst.country and inst.country not in countries:
            report("offices", (*where, "country"), f"{inst.country!r} is not a country code")
        if inst.office and inst.office not in offices:
            report("offices", (*where, "office"), f"{inst.office!r} is not an office")
        out.append(Institution(tuple(inst.phrases), inst.country, inst.office, inst.actor))
    return tuple(out)


def _check_stances(data: StancesFile, report: _Reporter) -> StanceRules:
    labels = tuple(data.labels)
    if len(set(labels)) != len(labels) or len(labels) < 2:
        report("stances", ("labels",), "needs at least two distinct labels")
    for k, v in data.negated.items():
        for part, value in (("key", k), ("value", v)):
            if value not in labels:
                report("stances", ("negated", k), f"{part} {value!r} is not a label")
    for i, cue in enumerate(data.cues):
        if cue.stance not in labels:
            report("stances", ("cues", i, "stance"), f"{cue.stance!r} is not a label {list(labels)}")
    implicit = None
    if data.implicit is not None:
        for label, modals in data.implicit.modals.items():
            if label not in labels:
                report("stances", ("implicit", "modals", label), f"{label!r} is not a label")
            for j, modal in enumerate(modals):
                if "(" in modal or "..." in modal:
                    report("stances", ("implicit", "modals", label, j),
                           f"{modal!r}: a modal is plain words (they are joined into one group)")
        implicit = ImplicitRules({k: tuple(v) for k, v in data.implicit.modals.items()},
                                 tuple(data.implicit.actions), tuple(data.implicit.objects),
                                 data.implicit.confidence)
    return StanceRules(labels, tuple(data.negators), dict(data.negated), tuple(data.conditions),
                       tuple(CueSet(c.stance, tuple(c.phrases), c.weight, c.keep_when_negated)
                             for c in data.cues),
                       data.alerting.confirm_threshold,
                       ConfidenceRules(
                           attribution={**ATTRIBUTION_DEFAULTS,
                                        **data.confidence.attribution},  # type: ignore[dict-item]
                           evidence={**EVIDENCE_DEFAULTS,
                                     **data.confidence.evidence},  # type: ignore[dict-item]
                           carried_topic=data.confidence.carried_topic,
                           hedge=data.confidence.hedge,
                           hedges=tuple(data.confidence.hedges)),
                       implicit, tuple(data.not_conditions),
                       {k.lower(): tuple(v) for k, v in data.modal_negations.items()})


def _check_topics(data: TopicsFile, stances: StanceRules, report: _Reporter) -> dict[str, Topic]:
    out: dict[str, Topic] = {}
    for i, t in enumerate(data.topics):
        where = ("topics", i)
        if not SLUG.match(t.id):
            report("topics", (*where, "id"), f"{t.id!r} is not a slug (lower-case words joined by -)")
        if t.id in out:
            report("topics", (*where, "id"), f"duplicate id {t.id!r}")
        if not [k for k in t.keywords if str(k).strip()]:
            report("topics", (*where, "keywords"), "a topic needs at least one keyword")
        labels = tuple(t.labels) or stances.labels
        for j, cue in enumerate(t.cues):
            if cue.stance not in labels:
                report("topics", (*where, "cues", j, "stance"), f"{cue.stance!r} is not a label")
        out[t.id] = Topic(t.id, t.name, tuple(t.keywords), tuple(t.context), tuple(t.exclude),
                          tuple(t.ignore), tuple(t.labels),
                          tuple(CueSet(c.stance, tuple(c.phrases), c.weight, c.keep_when_negated)
                                for c in t.cues),
                          tuple(t.refer_back), tuple(t.actions), tuple(t.conditions),
                          tuple(t.drop_cues))
        known = {p for c in stances.cues for p in c.phrases}
        for j, phrase in enumerate(t.drop_cues):
            if phrase not in known:
                report("topics", (*where, "drop_cues", j),
                       f"{phrase!r} is not a cue phrase of stances.yaml (write it as it stands there)")
    return out


def _check_phrases(docs: dict[str, YamlDoc], report: _Reporter) -> None:
    """Every cue phrase must compile; report the ones that do not, where they are."""
    from bot.extract.patterns import PatternError, compile_phrase

    def walk(name: str, value: Any, path: tuple[str | int, ...],
             is_phrase: Callable[[tuple[str | int, ...]], bool]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(name, v, (*path, k), is_phrase)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(name, v, (*path, i), is_phrase)
        elif isinstance(value, str) and is_phrase(path):
            try:
                compile_phrase(value)
            except PatternError as exc:
                report(name, path, f"{value!r}: {exc}")

    phrase_keys = {"phrases", "keywords", "context", "exclude", "ignore", "negators", "conditions",
                   "reporting_verbs", "refer_back", "historical_markers", "hedges", "report_nouns",
                   "voice_nouns", "date_not_statement", "modals", "actions", "objects",
                   "honorifics", "between_subject_and_verb", "drop_cues",
                   "not_conditions", "according_phrases"}
    for name in ("topics", "stances", "language"):
        walk(name, docs[name].data, (), lambda p: any(k in phrase_keys for k in p if isinstance(k, str)))


_WORD = re.compile(r"^[\w'.-]+(?: [\w'.-]+)*$")


def _check_words(data: LanguageFile, report: _Reporter) -> None:
    """The closed word classes of language.yaml are plain lower-case words (one space between
    the words of an entry), each month abbreviation the start of exactly one month name."""
    def word_problem(value: str) -> str | None:
        if not value.strip():
            return "empty word"
        if not _WORD.match(value):
            return f"{value!r}: plain words only (letters, digits, ' . -), one space between words"
        if value != value.lower():
            return f"{value!r}: words here are lower-case"
        return None

    for name in LANGUAGE_WORD_LISTS:
        for i, value in enumerate(getattr(data, name)):
            if (message := word_problem(value)) is not None:
                report("language", (name, i), message)
    for name in LANGUAGE_WORD_MAPS:
        for key in getattr(data, name):
            if (message := word_problem(key)) is not None:
                report("language", (name, key), message)
    for i, unit in enumerate(data.units_after_last):
        if unit not in data.time_units:
            report("language", ("units_after_last", i), f"{unit!r} is not one of time_units")
    for i, abbreviation in enumerate(data.month_abbreviations):
        months = [m for m in data.month_names if m.startswith(abbreviation)]
        if len(months) != 1:
            report("language", ("month_abbreviations", i),
                   f"{abbreviation!r} is the start of {len(months)} month names, not one")
