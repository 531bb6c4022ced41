"""What `Pipeline.process` writes: syndicated copies, re-reported quotes, held (unconfirmed)
shifts and their confirmation, magnitude filters. Run on every store backend.

Extraction is replaced by a scripted fake (statements written by hand per guid), so these tests
pin down the storage and alerting rules whatever the extractor finds in a sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.models import Item, Position, Shift, Statement
from bot.pipeline import Outcome, Pipeline
from bot.render import AlertView, shift_json, shift_text
from bot.routing import subscription_matches
from bot.rules import RuleSet
from bot.store import Store
from bot.store.schema import items, shifts, statements

T0 = datetime(2025, 3, 3, 8, tzinfo=UTC)
WIRE = "https://wire.example/rss"
REGIONAL = "https://regional.example/feed"
DAILY = "https://daily.example/rss"

STORY = """BRUSSELS — The French president said on Monday that Paris was prepared to station
troops in Ukraine only after a ceasefire had been signed and monitored for several weeks, a
shift from the open-ended language he used last year. Speaking after a meeting of defence
ministers, he said any deployment would be limited to training and logistics far from the front
line. "We will not send anyone into combat, but we will help secure the peace," he said.
Diplomats from three other European capitals said their governments were studying similar
plans and would decide after a summit next month. Officials in Kyiv welcomed the remarks."""

STORY_COPY = """The French president said on Monday that Paris was prepared to station troops in
Ukraine only after a ceasefire had been signed and monitored for several weeks, a shift from the
open-ended language he used last year. Speaking after a meeting of defence ministers, he said
any deployment would be limited to training and logistics far from the front line. "We will not
send anyone into combat, but we will help secure the peace," he said. Diplomats from three other
European capitals said their governments were studying similar plans."""

ANOTHER_STORY = """PARIS — France's president told a television interviewer on Tuesday evening
that French soldiers could take part in a reassurance force once a peace agreement is reached,
repeating a position his ministers had set out at the weekend. The interview, recorded at the
Élysée, also covered pensions, the budget and the coming regional elections, where his party is
trailing in the polls. Opposition leaders accused him of using foreign policy to distract from
problems at home, and several commentators noted the shift in tone since the spring."""


class ScriptedExtractor:
    """Stands in for the rule-based extractor: the statements each guid should yield."""

    def __init__(self) -> None:
        self.script: dict[str, list[Statement]] = {}

    def extract(self, item: Item) -> list[Statement]:
        return [replace(s, item_guid=item.guid, url=item.url, published=item.published)
                for s in self.script.get(item.guid, [])]


def said(stance: str, evidence: str, *, confidence: float = 0.9,
         actor: tuple[str, str, str] = ("emmanuel-macron", "Emmanuel Macron", "FR"),
         topic: str = "troops-to-ukraine", historical: bool = False) -> Statement:
    return Statement(item_guid="", url="", published=T0, actor_id=actor[0], actor_name=actor[1],
                     country=actor[2], topic=topic, stance=stance, historical=historical,
                     confidence=confidence, evidence=evidence)


Feed = Callable[..., Outcome]


THRESHOLD = 0.6  # stated here, so the tests do not depend on the shipped rules' setting


@pytest.fixture
def pipeline(store: Store, rules: RuleSet) -> Pipeline:
    rules = replace(rules, stances=replace(rules.stances, confirm_threshold=THRESHOLD))
    p = Pipeline(rules, store, platforms=("console", "telegram"), clock=lambda: T0 + timedelta(days=30))
    p.extractor = ScriptedExtractor()  # type: ignore[assignment]
    return p


@pytest.fixture
def feed(pipeline: Pipeline) -> Feed:
    """Process one item: `feed(guid, hours, *statements, feed_url=..., text=...)`."""

    def run(guid: str, hours: float, *found: Statement, feed_url: str = WIRE,
            text: str = "", title: str = "", on: Pipeline | None = None) -> Outcome:
        host = feed_url.split("/")[2]
        item = Item(feed_url=feed_url, guid=guid, url=f"https://{host}/news/{guid}",
                    title=title or f"Story {guid}", text=text or f"Short item {guid}.",
                    published=T0 + timedelta(hours=hours))
        target = on or pipeline
        target.extractor.script[guid] = list(found)  # type: ignore[attr-defined]
        return target.process(item)

    return run


def outbox_destinations(store: Store) -> list[tuple[int, str]]:
    return sorted((r.shift_id, r.destination) for r in store.due(T0 + timedelta(days=365)))


def shift_rows(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(shifts).order_by(shifts.c.id)).mappings()]


# ---------------------------------------------------------------------- syndicated copies

def test_a_syndicated_copy_is_one_event_and_the_alert_lists_the_extra_source(
        store: Store, feed: Feed) -> None:
    feed("w1", 0, said("open", "Macron said nothing could be ruled out."))
    first = feed("w2", 24, said("conditional", "Only after a ceasefire, Macron said."),
                 text=STORY, title="Macron sets ceasefire condition for troops")
    copy = feed("r1", 28, said("conditional", "Only after a ceasefire, Macron said."),
                feed_url=REGIONAL, text=STORY_COPY, title="Macron: troops only after a ceasefire")
    assert len(first.shift_ids) == 1 and not copy.shift_ids
    assert copy.copy_of is not None and copy.statements == []
    with store.engine.connect() as conn:
        rows = {r.guid: r for r in conn.execute(select(items))}
        assert rows["r1"].duplicate_of == rows["w2"].id and rows["w2"].duplicate_of is None
        assert rows["r1"].fingerprint is not None
        stored = conn.execute(select(statements.c.item_guid)).scalars().all()
    assert "r1" not in stored
    assert outbox_destinations(store) == [(first.shift_ids[0], "console")]
    view = AlertView.from_record(store.shift_record(first.shift_ids[0]))
    assert view.copies == (("https://regional.example/feed", "https://regional.example/news/r1"),)
    assert "also reported by https://regional.example/feed: https://regional.example/news/r1" \
        in shift_text(view)
    assert shift_json(view)["also_reported_by"] == [
        {"feed": "https://regional.example/feed", "url": "https://regional.example/news/r1"}]


def test_a_copy_is_found_through_the_store_by_another_worker(
        store: Store, rules: RuleSet, feed: Feed) -> None:
    feed("w1", 0, said("conditional", "Only after a ceasefire."), text=STORY,
         title="Macron sets ceasefire condition")
    other = Pipeline(rules, store, platforms=("console",), clock=lambda: T0)
    other.extractor = ScriptedExtractor()  # type: ignore[assignment]
    copy = feed("r1", 3, said("conditional", "Only after a ceasefire."), feed_url=REGIONAL,
                text=STORY_COPY, on=other)
    assert copy.copy_of is not None
    assert len(other.syndication) == 2  # its index was filled from the store on first use


def test_a_different_story_on_the_same_subject_is_not_a_copy(store: Store, feed: Feed) -> None:
    feed("w1", 0, said("conditional", "Only after a ceasefire."), text=STORY,
         title="Macron sets ceasefire condition")
    other = feed("d1", 30, said("conditional", "Only after a ceasefire."), feed_url=DAILY,
                 text=ANOTHER_STORY, title="Macron on TV")
    assert other.copy_of is None and other.statements


def test_items_without_statements_are_not_fingerprinted(store: Store, feed: Feed) -> None:
    feed("w1", 0, text=STORY, title="Macron sets ceasefire condition")
    copy = feed("r1", 3, feed_url=REGIONAL, text=STORY_COPY)
    assert copy.copy_of is None  # nothing to alert on, so nothing to collapse
    with store.engine.connect() as conn:
        assert conn.execute(select(items.c.fingerprint)).scalars().all() == [None, None]


# ---------------------------------------------------------------------- re-reported quotes

def test_a_re_reported_quote_is_the_same_statement_and_never_moves_the_position(
        store: Store, feed: Feed) -> None:
    quote = '"Nothing can be excluded for the future," Macron said in Paris.'
    feed("a1", 0, said("open", quote))
    shift = feed("a2", 48, said("conditional", "Macron said troops could go only after a truce."))
    assert len(shift.shift_ids) == 1
    again = feed("a3", 96, said("open", 'Macron had told reporters: "Nothing can be excluded '
                                        'for the future."'), feed_url=DAILY)
    assert again.repeats == 1 and again.shift_ids == [] and again.held_ids == []
    [p] = store.positions(country="FR")
    assert p.stance == "conditional"
    with store.engine.connect() as conn:
        rows = conn.execute(select(statements).order_by(statements.c.id)).mappings().all()
    first, repeat = rows[0], rows[2]
    assert repeat["repeat_of"] == first["id"] and repeat["quote_key"] == first["quote_key"]
    assert repeat["said_on"] == T0.date()  # dated to its first sighting
    history = store.history("emmanuel-macron")
    assert [r.item_guid for r in history] == ["a2", "a1"]  # the quote once, where first seen


# ---------------------------------------------------------------------- unconfirmed shifts

def test_a_held_shift_confirmed_by_a_backlog_item_still_alerts(store: Store, rules: RuleSet) -> None:
    pipeline = Pipeline(rules, store, platforms=("console",), clock=lambda: T0 + timedelta(hours=30),
                        alert_max_age=timedelta(hours=48))
    pipeline.extractor = ScriptedExtractor()  # type: ignore[assignment]

    def process(guid: str, hours: float, found: Statement, feed_url: str, text: str = "") -> Outcome:
        host = feed_url.split("/")[2]
        pipeline.extractor.script[guid] = [found]  # type: ignore[attr-defined]
        return pipeline.process(Item(feed_url, guid, f"https://{host}/news/{guid}", f"Story {guid}",
                                     text or f"Short item {guid}.", T0 + timedelta(hours=hours)))
    process("k1", -200, said("open", "Macron kept every option open."), WIRE)
    held = process("k2", 24, said("conditional", "Troops after a truce, the Élysée said.",
                                  confidence=0.5), WIRE)
    assert held.held_ids and outbox_destinations(store) == []
    # a new feed's backlog: this item is four days old, the move it confirms six hours old
    backlog = process("k3", -70, said("conditional", "Macron said troops would follow a truce.",
                                      confidence=0.5), DAILY, ANOTHER_STORY)
    assert backlog.shift_ids == held.held_ids
    assert outbox_destinations(store) == [(held.held_ids[0], "console")]


def aging_pipeline(store: Store, rules: RuleSet, now: datetime) -> Pipeline:
    """A live pipeline: items older than 48 h at `now` update positions but raise no alert."""
    rules = replace(rules, stances=replace(rules.stances, confirm_threshold=THRESHOLD))
    pipeline = Pipeline(rules, store, platforms=("console",), clock=lambda: now,
                        alert_max_age=timedelta(hours=48))
    pipeline.extractor = ScriptedExtractor()  # type: ignore[assignment]
    return pipeline


def process_on(pipeline: Pipeline, guid: str, hours: float, found: Statement,
               feed_url: str = WIRE, text: str = "", *, alert: bool = True) -> Outcome:
    host = feed_url.split("/")[2]
    pipeline.extractor.script[guid] = [found]  # type: ignore[attr-defined]
    return pipeline.process(Item(feed_url, guid, f"https://{host}/news/{guid}", f"Story {guid}",
                                 text or f"Short item {guid}.", T0 + timedelta(hours=hours)),
                            alert=alert)


def held_back_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("bot.") and r.levelno == logging.INFO
            and r.getMessage().startswith("alert held back")]


def test_a_shift_too_old_to_alert_says_who_what_when_and_which_setting(
        store: Store, rules: RuleSet, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    pipeline = aging_pipeline(store, rules, T0 + timedelta(days=10))
    process_on(pipeline, "o1", 0, said("open", "Macron kept every option open."))
    old = process_on(pipeline, "o2", 24, said("conditional", "Troops after a truce, Macron said."))
    assert len(old.shift_ids) == 1 and outbox_destinations(store) == []
    assert held_back_lines(caplog) == [
        "alert held back: Emmanuel Macron on troops-to-ukraine (open -> conditional): item "
        "published 2025-03-04, older than SHIFTWATCH_ALERT_MAX_AGE=48h"]
    assert old.too_old == [held_back_lines(caplog)[0].removeprefix("alert held back: ")]


def test_a_fresh_shift_or_one_nobody_wanted_alerted_logs_no_reason(
        store: Store, rules: RuleSet, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    pipeline = aging_pipeline(store, rules, T0 + timedelta(hours=30))
    process_on(pipeline, "f1", 0, said("open", "Macron kept every option open."))
    fresh = process_on(pipeline, "f2", 24, said("conditional", "Troops after a truce, he said."))
    assert fresh.shift_ids and fresh.too_old == []
    assert outbox_destinations(store) == [(fresh.shift_ids[0], "console")]
    quiet = process_on(pipeline, "f3", 25, said("opposes", "No troops at all, Macron said."),
                       alert=False)  # the caller's choice, not the item's age
    assert quiet.shift_ids and quiet.too_old == []
    assert held_back_lines(caplog) == []


def test_a_held_shift_confirmed_too_late_names_the_date_of_the_held_move(
        store: Store, rules: RuleSet, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    process_on(aging_pipeline(store, rules, T0), "g1", -200,
               said("open", "Macron kept every option open."))
    held = process_on(aging_pipeline(store, rules, T0 + timedelta(hours=25)), "g2", 24,
                      said("conditional", "Troops after a truce, the Élysée said.",
                           confidence=0.5))
    assert held.held_ids and held_back_lines(caplog) == []
    # confirmed a week later by a fresh item from another source: the move itself is old news
    late = aging_pipeline(store, rules, T0 + timedelta(days=8))
    confirmed = process_on(late, "g3", 24 * 8, said(
        "conditional", "Macron said troops would follow a truce.", confidence=0.5), DAILY,
        ANOTHER_STORY)
    assert confirmed.shift_ids == held.held_ids and outbox_destinations(store) == []
    assert held_back_lines(caplog) == [
        "alert held back: Emmanuel Macron on troops-to-ukraine (open -> conditional): item "
        "published 2025-03-04, older than SHIFTWATCH_ALERT_MAX_AGE=48h"]


def test_older_words_with_another_stance_neither_confirm_nor_undo_a_held_shift(
        store: Store, feed: Feed) -> None:
    feed("h1", 0, said("opposes", "Macron ruled it out."))
    held = feed("h2", 5, said("supports", "Paris is ready to send troops, the Élysée said.",
                              confidence=0.5))
    older = feed("h3", 2, said("conditional", "Macron said troops could follow a truce."),
                 feed_url=DAILY, text=ANOTHER_STORY)
    assert older.shift_ids == []
    [row] = shift_rows(store)
    assert (row["id"], row["status"]) == (held.held_ids[0], "unconfirmed")
    assert outbox_destinations(store) == []
    [p] = store.positions(country="FR")
    assert p.stance == "opposes"


def test_a_weak_shift_is_held_until_an_independent_source_confirms_it(
        store: Store, feed: Feed) -> None:
    feed("b1", 0, said("open", "Macron kept every option open."))
    held = feed("b2", 24, said("conditional", "The Élysée said troops would follow a truce.",
                               confidence=0.5))
    assert held.shift_ids == [] and len(held.held_ids) == 1
    assert outbox_destinations(store) == []
    [p] = store.positions(country="FR")
    assert p.stance == "open" and p.pending is not None
    assert (p.pending.stance, p.pending.url) == ("conditional", "https://wire.example/news/b2")

    same_site = feed("b3", 30, said("conditional", "Paris would send troops after a truce.",
                                    confidence=0.55), feed_url="https://www.wire.example/rss2")
    assert same_site.shift_ids == []
    assert shift_rows(store)[0]["status"] == "unconfirmed"

    confirmed = feed("b4", 36, said("conditional", "French troops only after a truce, an aide said.",
                                    confidence=0.5), feed_url=DAILY, text=ANOTHER_STORY)
    assert confirmed.shift_ids == held.held_ids
    [row] = shift_rows(store)
    assert row["status"] == "confirmed" and row["corroborated_by"] == "https://daily.example/news/b4"
    assert outbox_destinations(store) == [(row["id"], "console")]
    [p] = store.positions(country="FR")
    assert (p.stance, p.pending, p.item_guid) == ("conditional", None, "b2")  # since first sighting
    view = AlertView.from_record(store.shift_record(row["id"]))
    assert "confirmed by: https://daily.example/news/b4" in shift_text(view)
    assert "source: https://wire.example/news/b2" in shift_text(view)


def test_a_syndicated_copy_does_not_corroborate(store: Store, feed: Feed) -> None:
    feed("c1", 0, said("open", "Macron kept every option open."))
    held = feed("c2", 24, said("conditional", "Troops after a truce, the Élysée said.",
                               confidence=0.5), text=STORY)
    feed("c3", 27, said("conditional", "Troops after a truce, the Élysée said.", confidence=0.5),
         feed_url=REGIONAL, text=STORY_COPY)
    assert [r["status"] for r in shift_rows(store)] == ["unconfirmed"]
    assert held.held_ids and outbox_destinations(store) == []


def test_a_strong_statement_confirms_a_held_shift_on_its_own(store: Store, feed: Feed) -> None:
    feed("d1", 0, said("open", "Macron kept every option open."))
    held = feed("d2", 24, said("conditional", "Troops after a truce, the Élysée said.",
                               confidence=0.5))
    strong = feed("d3", 30, said("conditional", "Macron said French troops would go after a truce.",
                                 confidence=0.95))
    assert strong.shift_ids == held.held_ids
    assert [r["status"] for r in shift_rows(store)] == ["confirmed"]


def test_newer_words_restating_the_old_stance_drop_a_held_shift(store: Store, feed: Feed) -> None:
    feed("e1", 0, said("open", "Macron kept every option open."))
    feed("e2", 24, said("conditional", "Troops after a truce, the Élysée said.", confidence=0.5))
    feed("e3", 30, said("open", "Macron said again that no option was off the table."),
         feed_url=DAILY)
    [row] = shift_rows(store)
    assert row["status"] == "superseded"
    [p] = store.positions(country="FR")
    assert p.stance == "open" and p.pending is None
    later = feed("e4", 60, said("conditional", "Macron said troops would follow a ceasefire."))
    assert len(later.shift_ids) == 1  # the same move, found again, is a new shift


def test_positions_show_a_held_shift_as_unconfirmed(store: Store, feed: Feed, capsys) -> None:
    from bot.render import position_json, position_line

    feed("f1", 0, said("opposes", "Macron ruled it out."))
    feed("f2", 24, said("supports", "Paris is ready to send troops, the Élysée said.",
                        confidence=0.5))
    [p] = store.positions(country="FR")
    line = position_line(p)
    assert line.startswith("Emmanuel Macron (FR) on troops-to-ukraine: opposes since 2025-03-03"
                           " (unconfirmed: supports since 2025-03-04, one source, awaiting a second)")
    assert position_json(p)["unconfirmed"]["stance"] == "supports"


# ---------------------------------------------------------------------- magnitude

def test_alerts_reach_only_subscriptions_whose_magnitude_filter_matches(
        store: Store, feed: Feed) -> None:
    for chat, filters in (("1", []), ("2", ["flop"]), ("3", ["magnitude>=2"]),
                          ("4", ["half-flip"]), ("5", ["FR", "flop"]), ("6", ["magnitude=3"])):
        store.subscribe("telegram", chat, filters, T0)
    feed("g1", 0, said("open", "Macron kept every option open."))
    half = feed("g2", 24, said("conditional", "Macron said troops would follow a truce."))
    full = feed("g3", 48, said("opposes", "Macron ruled out troops altogether."))
    routed = outbox_destinations(store)
    assert [d for s, d in routed if s == half.shift_ids[0]] == [
        "console", "telegram:1", "telegram:4"]
    assert [d for s, d in routed if s == full.shift_ids[0]] == [
        "console", "telegram:1", "telegram:2", "telegram:3", "telegram:5"]
    record = store.shift_record(full.shift_ids[0])
    assert record["magnitude"] == 2
    assert "[full flop, two steps]" in shift_text(AlertView.from_record(record))


def test_subscription_filters_combine_subjects_with_or_and_magnitude_with_and() -> None:
    s = said("supports", "x")
    prev = Position("emmanuel-macron", "Emmanuel Macron", "FR", "troops-to-ukraine", "opposes",
                    T0, "y", "", "g0")
    big, small = Shift(s, prev, magnitude=3), Shift(s, prev, magnitude=1)
    assert subscription_matches(["DE", "FR", "flop"], big)
    assert not subscription_matches(["DE", "flop"], big)
    assert not subscription_matches(["FR", "flop"], small)
    assert subscription_matches(["macron", "magnitude>2"], big)
    assert subscription_matches(["magnitude:1"], small)  # the older spelling still reads


# ---------------------------------------------------------------------- concurrency

def test_two_workers_recording_the_same_move_record_one_shift(store: Store) -> None:
    prev = Position("emmanuel-macron", "Emmanuel Macron", "FR", "troops-to-ukraine", "open",
                    T0, "before", "", "g0")
    a = Shift(replace(said("conditional", "one"), item_guid="w1"), prev)
    b = Shift(replace(said("conditional", "two"), item_guid="r1"), prev)
    with store.begin() as conn:
        assert store.insert_shift(conn, a, T0) is not None
        assert store.insert_shift(conn, b, T0) is None  # two copies of one story, one alert


# ---------------------------------------------------------------------- a fetch's items together

def _plain(guid: str, feed_url: str = WIRE, hours: float = 0) -> Item:
    host = feed_url.split("/")[2]
    return Item(feed_url=feed_url, guid=guid, url=f"https://{host}/news/{guid}", title=f"Story {guid}",
                text=f"Weather for {guid}.", published=T0 + timedelta(hours=hours))


def test_a_batch_records_every_item_once_and_answers_in_order(
        store: Store, pipeline: Pipeline) -> None:
    pipeline.extractor.script["s1"] = [said("open", "Nothing is excluded, Macron said.")]  # type: ignore[attr-defined]
    pipeline.process(_plain("p0"))
    batch = [_plain("p1"), _plain("s1", hours=1), _plain("p0"), _plain("p2"), _plain("p1")]
    outcomes = pipeline.process_many(batch)
    assert [o.item.guid for o in outcomes] == ["p1", "s1", "p0", "p2", "p1"]
    assert [o.duplicate for o in outcomes] == [False, False, True, False, True]
    assert len(outcomes[1].statements) == 1 and all(o.error is None for o in outcomes)
    with store.engine.connect() as conn:
        assert sorted(conn.execute(select(items.c.guid)).scalars()) == ["p0", "p1", "p2", "s1"]
    assert all(o.duplicate for o in pipeline.process_many(batch))  # the same fetch again


def test_a_batch_raced_by_another_worker_falls_back_to_one_item_at_a_time(
        store: Store, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    real = store.unseen

    def unseen_then_raced(feed_url, fetched, conn=None):  # type: ignore[no-untyped-def]
        fresh = real(feed_url, fetched, conn)
        if conn is not None:  # another worker stores p2 between our check and our insert
            with store.begin() as other:
                store.insert_plain_items(other, [_plain("p2")], T0)
        return fresh

    monkeypatch.setattr(store, "unseen", unseen_then_raced)
    outcomes = pipeline.process_many([_plain("p1"), _plain("p2"), _plain("p3")])
    assert [o.duplicate for o in outcomes] == [False, True, False]
    assert all(o.error is None for o in outcomes)
    with store.engine.connect() as conn:
        assert sorted(conn.execute(select(items.c.guid)).scalars()) == ["p1", "p2", "p3"]


def test_an_item_that_fails_in_a_batch_is_reported_and_left_unrecorded(
        store: Store, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted = pipeline.extractor.extract

    def extract(item: Item) -> list[Statement]:
        if item.guid == "p2":
            raise RuntimeError("extractor bug")
        return scripted(item)

    monkeypatch.setattr(pipeline.extractor, "extract", extract)
    outcomes = pipeline.process_many([_plain("p1"), _plain("p2"), _plain("p3")])
    assert [o.error for o in outcomes] == [None, "p2: RuntimeError: extractor bug", None]
    with store.engine.connect() as conn:
        assert sorted(conn.execute(select(items.c.guid)).scalars()) == ["p1", "p3"]
