"""`shiftwatch rules check` and `shiftwatch rules explain`."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from bot.cli_common import plural, read_text_file
from bot.errors import BotError, ConfigError
from bot.feeds import load_feeds
from bot.models import Item
from bot.rules import load_rules
from bot.settings import Settings


def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    if args.rules_command == "check":
        return _rules_check(settings)
    return _rules_explain(args, settings)


def _rules_check(settings: Settings) -> int:
    problems = []
    rules = None
    try:
        rules = load_rules(settings.rules_dir)
    except ConfigError as exc:
        problems.extend(exc.problems)
    try:
        feeds = load_feeds(settings.feeds_file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        feeds = []
    if problems:
        raise ConfigError(problems)
    assert rules is not None
    print(f"ok: {plural(len(rules.actors), 'actor')}, {plural(len(rules.topics), 'topic')}, "
          f"{plural(len(rules.countries), 'country', 'countries')}, {plural(len(feeds), 'feed')}")
    return 0


def _rules_explain(args: argparse.Namespace, settings: Settings) -> int:
    from bot.explain import explain_item
    from bot.replay import read_items

    rules = load_rules(settings.rules_dir)
    if args.item:
        if not args.feed_file:
            raise BotError("--item needs --feed-file FILE")
        matches = [i for i in read_items([args.feed_file]) if i.guid == args.item]
        if not matches:
            raise BotError(f"no item {args.item!r} in {args.feed_file}")
        item = matches[0]
    else:
        text = read_text_file(args.file, "--file") if args.file else args.text
        if not text:
            raise BotError('give the text to explain: shiftwatch rules explain "TEXT" (or --file)')
        try:
            day = date.fromisoformat(args.date) if args.date else datetime.now(UTC).date()
        except ValueError:
            raise BotError(f"--date {args.date!r} is not YYYY-MM-DD") from None
        published = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        item = Item("explain", "explain", "", "", text, published)
    print(explain_item(rules, item))
    return 0
