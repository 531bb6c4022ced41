"""The `shiftwatch` command. Turns every BotError into a one-line message and an exit code."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot import __version__
from bot.cli_common import existing_store, plural, print_json
from bot.errors import BotError, ConfigError
from bot.logsetup import configure_logging
from bot.models import CycleSummary
from bot.queries import Queries
from bot.render import (
    AlertView,
    history_cut,
    history_json,
    history_text,
    position_json,
    positions_text,
    shift_json,
    statement_json,
)
from bot.rules import load_rules
from bot.settings import Settings
from bot.store import Store
from bot.views_cli import VIEW_COMMANDS, VIEW_EXAMPLES, add_view_commands

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".feed")
SIGPIPE_STATUS = 128 + 13  # what a shell reports for a process that SIGPIPE stopped

EXAMPLES = {
    "run": "shiftwatch run                    # poll feeds.yaml on schedule, alert on shifts",
    "poll": "shiftwatch poll --once            # one cycle over every feed, then exit",
    "replay": "shiftwatch replay tests/corpus/ --json --statements",
    "positions": "shiftwatch positions FR --topic troops-to-ukraine   # or: france, French, NATO",
    "history": "shiftwatch history Macron --topic troops-to-ukraine",
    "rules": "shiftwatch rules check --rules rules/ --feeds feeds.yaml",
    "rules check": "shiftwatch rules check --rules rules/ --feeds feeds.yaml",
    "rules explain": 'shiftwatch rules explain "Scholz ruled out sending troops." --date 2024-02-27',
    "feeds": "shiftwatch feeds --json        # or: shiftwatch feeds enable https://example.org/rss",
    "actors": "shiftwatch actors --provisional   # then: shiftwatch actors confirm "
              "provisional:ulf-kristersson",
    "eval": "shiftwatch eval --gold tests/corpus/gold.yaml --shifts tests/corpus/shifts.yaml "
            "tests/corpus/*.xml",
    **VIEW_EXAMPLES,
}


DB_HELP = "database URL or SQLite path (env SHIFTWATCH_DB_URL; default state/shiftwatch.db)"
READ_DB_HELP = DB_HELP.removesuffix(")") + "; it must exist already)"
THROWAWAY_DB_HELP = ("record into this database URL or SQLite path (default: a throw-away "
                     "database, deleted at exit; SHIFTWATCH_DB_URL is not used)")
NO_DB_HELP = "not used: this command reads no database"


def _common(db_help: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--rules", metavar="DIR", help="rules folder (env SHIFTWATCH_RULES; default rules/)")
    p.add_argument("--feeds", metavar="FILE", help="feeds file (env SHIFTWATCH_FEEDS; default feeds.yaml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    return p


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number (0 or more)")
    return int(value)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2024-02-27") from None


def build_parser() -> argparse.ArgumentParser:
    commons: dict[str, argparse.ArgumentParser] = {}
    parser = argparse.ArgumentParser(
        prog="shiftwatch",
        description="Watch news feeds for leaders' statements on tracked topics; alert when a "
                    "stance shifts.",
        epilog="examples:\n  " + "\n  ".join(EXAMPLES[k] for k in
                                             ("run", "replay", "positions", "eval")),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"shiftwatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, key: str | None = None,
            parent: argparse._SubParsersAction[argparse.ArgumentParser] | None = None,
            db: str = DB_HELP) -> argparse.ArgumentParser:
        common = commons.setdefault(db, _common(db))
        return (parent or sub).add_parser(
            name, help=help_, description=help_, parents=[common],
            epilog="example:\n  " + EXAMPLES[key or name],
            formatter_class=argparse.RawDescriptionHelpFormatter)

    p = add("run", "poll every feed on schedule, update positions, alert on shifts (Ctrl-C stops)")
    p.add_argument("--worker", action="store_true",
                   help="one of several processes sharing the database: poll and deliver, but "
                        "leave chat commands to the one `run` started without --worker")
    p = add("poll", "poll feeds once, deliver alerts, then exit")
    p.add_argument("--once", action="store_true", help="one cycle (the only mode; kept explicit)")

    p = add("replay", "process local feed files in publication order, as if they arrived live",
            db=THROWAWAY_DB_HELP)
    p.add_argument("paths", nargs="+", metavar="FEED_OR_DIR",
                   help="RSS/Atom files, or folders: every .xml, .rss, .atom, .feed file inside")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--statements", action="store_true", help="also print every statement")

    p = add("positions", "current stance of a country's actors", db=READ_DB_HELP)
    p.add_argument("country", nargs="?", metavar="COUNTRY",
                   help="ISO code, name or demonym (FR, France, French); or NATO, EU, UN")
    p.add_argument("--topic", metavar="ID", help="only this topic (default: every topic)")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per position")

    p = add("history", "an actor's statements, newest first by the day they were said",
            db=READ_DB_HELP)
    p.add_argument("actor", metavar="ACTOR", help="name, surname or alias")
    p.add_argument("--topic", metavar="ID", help="only this topic (default: every topic)")
    p.add_argument("--since", metavar="YYYY-MM-DD", type=_day,
                   help="only statements said on or after this day (default: all)")
    p.add_argument("--limit", metavar="N", type=_count, default=20,
                   help="show at most N statements (default 20; 0 shows all)")
    p.add_argument("--json", action="store_true",
                   help="a JSON list, one object per statement, in the same order")

    p = add("actors", "tracked actors; --provisional: speakers found in the news but not in "
            "actors.yaml, with evidence; `actors confirm ID` adds one to actors.yaml",
            db=READ_DB_HELP.removesuffix(")") + "; read by --provisional and confirm only)")
    p.add_argument("action", nargs="?", choices=("list", "confirm"), default="list",
                   help="list (default) or confirm ID")
    p.add_argument("actor", nargs="?", metavar="ID", help="provisional:<slug> to confirm")
    p.add_argument("--provisional", action="store_true", help="list provisional actors")
    p.add_argument("--id", dest="new_id", metavar="NEW_ID",
                   help="the id to confirm it under (default: the provisional slug)")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per actor")

    rules = sub.add_parser("rules", help="check and explain rules", description="check and "
                           "explain rules")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    add("check", "validate rules/ and feeds.yaml; every error names file, line and field",
        "rules check", rules_sub, db=NO_DB_HELP)
    p = add("explain", "show, sentence by sentence, why extraction decides what it decides",
            "rules explain", rules_sub, db=NO_DB_HELP)
    p.add_argument("text", nargs="?", help="text to explain (or --file, or --item)")
    p.add_argument("--date", help="the article's date, YYYY-MM-DD (default today)")
    p.add_argument("--file", help="read the text from a file (UTF-8)")
    p.add_argument("--item", metavar="GUID", help="explain one item of --feed-file")
    p.add_argument("--feed-file", metavar="FILE", help="the feed file holding --item")

    p = add("feeds", "each feed's status (ok, failing, disabled, new), last success, last error, "
            "items seen, next check; `feeds enable URL` polls a disabled feed again",
            db=READ_DB_HELP)
    p.add_argument("action", nargs="?", choices=("list", "enable"), default="list",
                   help="list (default) or enable URL")
    p.add_argument("url", nargs="?", metavar="URL", help="the feed to enable")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per feed")

    p = add("eval", "replay labelled feeds and score statements and shifts against gold labels: "
            "misses and false alarms with their explanation, a table of causes, figures by topic",
            db="not used: eval always replays into a throw-away database")
    p.add_argument("--gold", required=True, metavar="GOLD.yaml",
                   help="the labels (corpus format: gold.yaml)")
    p.add_argument("--shifts", metavar="SHIFTS.yaml", help="the expected shifts (shifts.yaml)")
    p.add_argument("--split", choices=("dev", "test"),
                   help="score only the items of this split (every item is still replayed, so "
                        "positions carry across); the test split prints figures only")
    p.add_argument("--summary", action="store_true",
                   help="print the figures only, without misses and causes")
    p.add_argument("paths", nargs="+", metavar="FEED", help="the labelled feed files or folders")
    add_view_commands(add, READ_DB_HELP, _day)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose, live=args.command in ("run", "poll"))
    try:
        settings = Settings.from_env(db_url=args.db, rules_dir=args.rules, feeds_file=args.feeds)
        code = COMMANDS[args.command](args, settings)
        sys.stdout.flush()  # here, so that a reader gone early is caught below, not at exit
        return code
    except ConfigError as exc:
        print(f"shiftwatch: invalid configuration:\n{exc}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"shiftwatch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `shiftwatch ... | head -1`: the reader has all it wanted. Python's documented recipe:
        # point stdout at devnull so the flush at exit cannot fail again, and end quietly with
        # the status of a process stopped by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_STATUS


# ---------------------------------------------------------------------- commands

def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app  # the pipeline, polling and delivery: for these two only

    app = build_app(settings, worker=args.worker, serve_http=True)
    asyncio.run(app.run())
    return 0


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app

    app = build_app(settings)

    async def once() -> CycleSummary:
        try:
            return await app.poll_once(force=True)
        finally:
            for destination in app.destinations.values():
                if hasattr(destination, "stop"):
                    await destination.stop()
            await app.close()

    asyncio.run(once())  # the cycle's summary is logged, like every cycle's
    return 0


def _replay_store(settings: Settings, args: argparse.Namespace, tmp: str) -> Store:
    return Store(args.db if args.db else str(Path(tmp) / "replay.db"))


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from bot.replay import read_items, replay

    rules = load_rules(settings.rules_dir)
    items = read_items(args.paths)
    with tempfile.TemporaryDirectory(prefix="shiftwatch-replay-") as tmp:
        store = _replay_store(settings, args, tmp)
        shifts = 0
        try:
            for _item, found, records in replay(rules, store, items):
                if args.statements:
                    for s in found:
                        if args.json:
                            print_json(statement_json(s), lines=True)
                            continue
                        print(f"  {s.published:%Y-%m-%d} {s.actor_name} ({s.country}) "
                              f"{s.topic}: {s.stance}{' [historical]' if s.historical else ''}"
                              f" | {s.evidence}")
                for r in records:
                    shifts += 1
                    view = AlertView.from_record(r)
                    if args.json:
                        print_json(shift_json(view), lines=True)
                    else:
                        from bot.render import shift_text
                        print(shift_text(view))
        finally:
            store.close()
    if not args.json:
        print(f"{plural(len(items), 'item')} replayed, {plural(shifts, 'shift')}")
    return 0


def cmd_positions(args: argparse.Namespace, settings: Settings) -> int:
    rules = load_rules(settings.rules_dir)
    if not args.country:
        raise BotError("usage: shiftwatch positions COUNTRY [--topic ID]  "
                       "(COUNTRY: FR, France or French; NATO, EU, UN)")
    with Queries(lambda: existing_store(settings), rules) as queries:
        answer = queries.positions(args.country, args.topic)
    if args.json:
        print_json([position_json(p) for p in answer.positions])
    else:
        print(positions_text(answer))
    return 0


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    rules = load_rules(settings.rules_dir)
    with Queries(lambda: existing_store(settings), rules) as queries:
        h = queries.history(args.actor, args.topic, limit=args.limit or None, since=args.since)
    if args.json:
        print_json([history_json(s) for s in h.statements])
        if h.more:
            print(f"shiftwatch: {history_cut(h)}", file=sys.stderr)  # stdout: one JSON document
        return 0
    print(history_text(h))
    return 0


def cmd_actors(args: argparse.Namespace, settings: Settings) -> int:
    from bot.curation import confirm_actor, provisional_json, provisional_text

    if args.action == "confirm":
        if not args.actor:
            raise BotError("usage: shiftwatch actors confirm provisional:<slug> [--id NEW_ID]")
        with existing_store(settings, readonly=False) as store:
            done = confirm_actor(settings.rules_dir, store, args.actor, args.new_id)
        moved = ", ".join(plural(n, table.removesuffix("s")) for table, n in done.moved.items())
        print(f"confirmed {done.old_id} as {done.new_id} in "
              f"{Path(settings.rules_dir) / 'actors.yaml'} (moved {moved}):\n{done.entry}", end="")
        return 0
    if args.provisional:
        with existing_store(settings) as store:
            found = store.provisional_actors()
        if args.json:
            print_json([provisional_json(a) for a in found])
        elif not found:
            print("No provisional actors stored.")
        else:
            print("\n".join(provisional_text(a) for a in found))
        return 0
    rules = load_rules(settings.rules_dir)
    listed = sorted(rules.actors.values(), key=lambda a: (a.country, a.name))
    rows = [{"id": a.id, "name": a.name, "country": a.country,
             "roles": [r.title or r.office for r in a.roles if r.end is None]} for a in listed]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']}  {r['name']} ({r['country']}){': ' if r['roles'] else ''}"
                  f"{', '.join(r['roles'])}")
    return 0


def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_rules import cmd_rules

    return cmd_rules(args, settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_eval import cmd_eval  # the gold and scoring modules: for this command only

    return cmd_eval(args, settings)


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_feeds import cmd_feeds

    return cmd_feeds(args, settings)


COMMANDS = {
    "run": cmd_run, "poll": cmd_poll, "replay": cmd_replay, "positions": cmd_positions,
    "history": cmd_history, "rules": cmd_rules, "eval": cmd_eval, "feeds": cmd_feeds,
    "actors": cmd_actors, **VIEW_COMMANDS,
}
