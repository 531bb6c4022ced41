"""Exports round-trip through the csv module (and JSON Lines through json)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from bot.exports import (
    POSITION_COLUMNS,
    SHIFT_COLUMNS,
    STATEMENT_COLUMNS,
    csv_value,
    position_record,
    shift_record,
    statement_record,
    write_csv,
    write_jsonl,
)
from bot.store.views import PositionRow
from scripts.make_example_pictures import shifts, statements

AWKWARD = 'He said: "no, never",\nthen — in Kyiv — «peut-être»; 5 % of GDP, 日本'


def round_trip(records: list[dict], columns: tuple[str, ...]) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    assert write_csv(records, columns, out) == len(records)
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def test_statements_round_trip_through_csv_with_quotes_commas_newlines_and_unicode() -> None:
    from dataclasses import replace

    records = [statement_record(replace(s, evidence=AWKWARD if n == 0 else s.evidence))
               for n, s in enumerate(statements())]
    back = round_trip(records, STATEMENT_COLUMNS)
    assert back == [{c: csv_value(r[c]) for c in STATEMENT_COLUMNS} for r in records]
    assert back[0]["evidence"] == AWKWARD
    assert back[0]["recalled"] == "true" and back[1]["recalled"] == "false"
    assert back[0]["url"].startswith("https://")


def test_shifts_and_positions_round_trip() -> None:
    records = [shift_record(s) for s in shifts()]
    assert round_trip(records, SHIFT_COLUMNS) == [{c: csv_value(r[c]) for c in SHIFT_COLUMNS}
                                                  for r in records]
    p = PositionRow("a", "A B", "FR", "t", "open", datetime(2024, 1, 2, tzinfo=UTC), AWKWARD, "u",
                    0.9, "supports", datetime(2024, 2, 3, tzinfo=UTC))
    [back] = round_trip([position_record(p)], POSITION_COLUMNS)
    assert back["unconfirmed"] == "supports" and back["since"] == "2024-01-02T00:00:00+00:00"
    assert back["evidence"] == AWKWARD


def test_the_header_row_comes_first_even_with_no_rows() -> None:
    out = io.StringIO()
    assert write_csv([], SHIFT_COLUMNS, out) == 0
    assert out.getvalue() == ",".join(SHIFT_COLUMNS) + "\r\n"


def test_jsonl_is_one_object_per_line_keeping_types_and_unicode() -> None:
    records = [statement_record(s) for s in statements()]
    out = io.StringIO()
    assert write_jsonl(records, out) == len(records)
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == records
    assert "Élysée" not in lines[0] and "\\u" not in out.getvalue()
