"""`shiftwatch eval`: replay labelled feeds and score them against gold labels."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import BotError
from bot.evaluate import (
    Causes,
    Score,
    cause_table,
    classify,
    score_shifts,
    score_statements,
    shift_key,
    statement_key,
    summary_line,
    topic_table,
)
from bot.gold import Gold, check_guids, load_gold
from bot.models import Item, Statement
from bot.replay import read_items, replay
from bot.rules import load_rules
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.evaluate import SentenceFacts


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.explain import explain_sentence_for, sentence_facts
    from bot.extract import Extractor, SentenceTrace

    # eval measures extraction alone: an analyst's baselines would make shifts no gold expects
    rules = replace(load_rules(settings.rules_dir), baselines=())
    gold = load_gold(args.gold, args.shifts, labels=rules.stances.labels, topics=rules.topics)
    items = read_items(args.paths)
    check_guids(gold, args.gold, {i.guid for i in items})
    if args.split and args.split not in gold.splits():
        raise BotError(f"{args.gold}: no item has split {args.split!r} "
                       f"(splits: {', '.join(sorted(gold.splits())) or 'none'})")
    guids = gold.guids(args.split) if args.split else None
    extractor = Extractor(rules)  # compiled once for every explanation below
    by_guid = {i.guid: i for i in items}
    statements: list[Statement] = []
    shift_records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="shiftwatch-eval-") as tmp:
        store = Store(str(Path(tmp) / "eval.db"))
        try:
            for _item, found, records in replay(rules, store, items):
                statements += found
                shift_records += records
        finally:
            store.close()
    system_statements = [(statement_key(s), s) for s in statements]
    system_shifts = [(shift_key(r), r) for r in shift_records]
    st = score_statements(gold, system_statements, guids=guids)
    sh = score_shifts(gold, system_shifts, guids=guids)
    # The test split is sealed: its figures are printed, never its items or misses.
    sealed = args.split == "test"
    if not args.summary and not sealed:
        traces: dict[str, list[SentenceTrace]] = {}

        def probe(guid: str, evidence: str) -> SentenceFacts | None:
            item = by_guid.get(guid)
            if item is None:
                return None
            if guid not in traces:
                traces[guid] = extractor.trace(item)
            return sentence_facts(extractor, item, evidence, traces[guid])

        causes = classify(gold, statements, shift_records, probe, guids)
        _print_misses(st, sh, gold, by_guid, causes, lambda item, evidence: explain_sentence_for(
            extractor, item, evidence))
        print(f"\ncauses{f' ({args.split} split)' if args.split else ''}:")
        print("\n".join(cause_table(causes, rules.stances.labels)))
    if sealed and not args.summary:
        print("test split: figures only (its items and misses are not for reading)")
    if len(gold.topics) > 1 or args.split:
        print(f"\nby topic{f' ({args.split} split)' if args.split else ''}:")
        print("\n".join(topic_table(gold, system_statements, system_shifts, guids)))
    print(summary_line(st, sh))
    return 0


def _print_misses(st: Score, sh: Score, gold: Gold, by_guid: dict[str, Item], causes: Causes,
                  explain: Callable[[Item, str], str]) -> None:
    for key in st.misses:
        guid, actor, topic, stance = key
        evidence = gold.evidence.get(key, "")
        print(f"MISS statement {guid} {actor} {topic} {stance}: \"{evidence}\"  [{causes.of_miss[key]}]")
        if guid in by_guid and evidence:
            print(explain(by_guid[guid], evidence))
    for key, s in st.false_alarms:
        guid, _, topic, stance = key
        print(f"FALSE statement {guid} {s.actor_name} {topic} {stance}: \"{s.evidence}\"  "
              f"[{causes.of_false[key]}]")
        if guid in by_guid:
            print(explain(by_guid[guid], s.evidence))
    for actor, topic, to, guid in sh.misses:
        print(f"MISS shift {guid} {actor} {topic} -> {to}")
    for (_actor, topic, to, guid), r in sh.false_alarms:
        print(f"FALSE shift {guid} {r['actor_name']} {topic} {r['from_stance']} -> {to}: "
              f"\"{r['evidence']}\"")
