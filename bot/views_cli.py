"""The `chart`, `matrix` and `export` commands. Light to import: `shiftwatch --help` and the
other commands load none of what these use (matplotlib above all) until one of them runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.errors import BotError

if TYPE_CHECKING:
    from bot.settings import Settings

EXPORT_KINDS = ("statements", "shifts", "positions")

VIEW_EXAMPLES = {
    "chart": "shiftwatch chart Macron --topic troops-to-ukraine --out macron.png   # or: chart GB",
    "matrix": "shiftwatch matrix --topic troops-to-ukraine --png matrix.png   # or --csv",
    "export": "shiftwatch export statements --format csv --since 2024-01-01 --country FR "
              "> statements.csv",
}


def add_view_commands(add: Callable[..., argparse.ArgumentParser], read_db_help: str,
                      day: Callable[[str], date]) -> None:
    """The three subcommands, added with the command line's own `add` (its common options)."""
    p = add("chart", "draw a stance timeline of an actor or a country as a PNG picture",
            db=read_db_help)
    p.add_argument("subject", metavar="ACTOR|COUNTRY",
                   help="a leader's name or alias (Macron), or a country (FR, France, French)")
    p.add_argument("--topic", metavar="ID", help="only this topic (default: a panel per topic)")
    p.add_argument("--since", metavar="YYYY-MM-DD", type=day, help="only from this day on")
    p.add_argument("--out", metavar="FILE.png", required=True, help="where to write the picture")

    p = add("matrix", "where each country stands: the stance of the office that speaks for it "
            "and of its other actors, by topic", db=read_db_help)
    p.add_argument("--topic", metavar="ID", help="only this topic (default: every topic)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="CSV on standard output, one row per "
                      "country, topic and actor")
    form.add_argument("--png", metavar="FILE", help="a picture, cells coloured by stance")

    p = add("export", "statements, shifts or current positions as CSV (a header row, UTF-8) or "
            "JSON Lines, evidence and URLs included", db=read_db_help)
    p.add_argument("kind", choices=EXPORT_KINDS, help="what to export")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="default csv")
    p.add_argument("--since", metavar="YYYY-MM-DD", type=day,
                   help="statements said, shifts published, positions taken on or after this day")
    p.add_argument("--topic", metavar="ID", help="only this topic")
    p.add_argument("--country", metavar="COUNTRY", help="only this country (FR, France, French)")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")


def _store(settings: Settings) -> Any:
    from bot.cli_common import existing_store

    return existing_store(settings)


def _today() -> date:
    return datetime.now(UTC).date()


def cmd_chart(args: argparse.Namespace, settings: Settings) -> int:
    from bot.lookup import resolve_topic
    from bot.rules import load_rules
    from bot.views import load_timeline, nothing_to_draw, resolve_subject

    rules = load_rules(settings.rules_dir)
    subject = resolve_subject(args.subject, rules)
    topic = resolve_topic(args.topic, rules)
    out = _png_path(args.out, "--out")
    with _store(settings) as store:
        timeline = load_timeline(store, rules, subject, topic, args.since)
    if timeline.empty:
        raise BotError(nothing_to_draw(subject, topic, args.since))
    from bot.chart import timeline_png

    _write_bytes(out, timeline_png(timeline))
    print(f"{out}: {subject.display}, {len(timeline.panels)} topic"
          f"{'' if len(timeline.panels) == 1 else 's'}, {timeline.start} to {timeline.end}")
    return 0


def cmd_matrix(args: argparse.Namespace, settings: Settings) -> int:
    from bot.lookup import resolve_topic
    from bot.matrix import MATRIX_COLUMNS, matrix_lines, matrix_records
    from bot.rules import load_rules
    from bot.views import load_matrix

    rules = load_rules(settings.rules_dir)
    topic = resolve_topic(args.topic, rules)
    out = _png_path(args.png, "--png") if args.png else None
    with _store(settings) as store:
        m = load_matrix(store, rules, topic, _today())
    if args.csv:
        from bot.exports import write_csv

        write_csv(matrix_records(m), MATRIX_COLUMNS, sys.stdout)
        return 0
    if m.empty:
        none = f"No positions recorded{f' on {topic}' if topic else ''} yet"
        if out is not None:
            raise BotError(f"{none}: nothing to draw.")
        print(f"{none}.")
        return 0
    if out is not None:
        from bot.chart import matrix_png

        _write_bytes(out, matrix_png(m, f"Where countries stand{f': {topic}' if topic else ''}"))
        print(f"{out}: {len(m.rows)} countries, {len(m.topics)} topic{'' if len(m.topics) == 1 else 's'}")
        return 0
    print("\n".join(matrix_lines(m)))
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot import exports
    from bot.lookup import resolve_country, resolve_topic
    from bot.rules import load_rules
    from bot.store.views import read_positions, read_shifts, read_statements

    rules = load_rules(settings.rules_dir)
    topic = resolve_topic(args.topic, rules)
    country = resolve_country(args.country, rules) if args.country else None
    since = args.since
    with _store(settings) as store:
        if args.kind == "statements":
            records = [exports.statement_record(s) for s in read_statements(
                store, country=country, topic=topic, since=since)]
            columns: tuple[str, ...] = exports.STATEMENT_COLUMNS
        elif args.kind == "shifts":
            start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
            records = [exports.shift_record(s) for s in read_shifts(
                store, country=country, topic=topic, since=start)]
            columns = exports.SHIFT_COLUMNS
        else:
            records = [exports.position_record(p) for p in read_positions(
                store, country=country, topic=topic, since=since)]
            columns = exports.POSITION_COLUMNS
    with _output(args.out) as out:
        if args.format == "csv":
            n = exports.write_csv(records, columns, out)
        else:
            n = exports.write_jsonl(records, out)
    if args.out:
        print(f"{args.out}: {n} {args.kind if n != 1 else args.kind.removesuffix('s')}")
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        # newline="": the csv module writes its own CRLF row ends
        with open(path, "w", encoding="utf-8", newline="") as f:
            yield f
    except OSError as exc:
        raise BotError(f"--out {path}: {exc.strerror or exc}") from None


def _png_path(value: str, option: str) -> Path:
    path = Path(value)
    if path.suffix.lower() != ".png":
        raise BotError(f"{option} {value}: the picture is a PNG, name it FILE.png")
    if not path.parent.is_dir():
        raise BotError(f"{option} {value}: no folder {path.parent}")
    return path


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise BotError(f"{path}: {exc.strerror or exc}") from None


VIEW_COMMANDS = {"chart": cmd_chart, "matrix": cmd_matrix, "export": cmd_export}
