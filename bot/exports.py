"""Statements, shifts and positions as flat records, written as CSV (a header row, UTF-8, for a
spreadsheet) or JSON Lines. Pure but for the writers, which take an open text stream."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.store.views import PositionRow, ShiftRow, StatementRow

Record = dict[str, Any]

STATEMENT_COLUMNS = ("said_on", "published", "actor_id", "actor", "country", "topic", "stance",
                     "recalled", "provisional", "confidence", "attribution", "evidence", "url",
                     "item")
SHIFT_COLUMNS = ("published", "actor_id", "actor", "country", "topic", "from", "to", "magnitude",
                 "status", "confidence", "evidence", "url", "previous_published",
                 "previous_evidence", "previous_url")
POSITION_COLUMNS = ("country", "topic", "actor_id", "actor", "stance", "since", "confidence",
                    "unconfirmed", "unconfirmed_since", "evidence", "url")


def statement_record(s: StatementRow) -> Record:
    return {"said_on": s.day.isoformat(), "published": s.published.isoformat(),
            "actor_id": s.actor_id, "actor": s.actor_name, "country": s.country,
            "topic": s.topic, "stance": s.stance, "recalled": s.historical,
            "provisional": s.provisional, "confidence": s.confidence,
            "attribution": s.attribution, "evidence": s.evidence, "url": s.url,
            "item": s.item_guid}


def shift_record(s: ShiftRow) -> Record:
    return {"published": s.published.isoformat(), "actor_id": s.actor_id, "actor": s.actor_name,
            "country": s.country, "topic": s.topic, "from": s.from_stance, "to": s.to_stance,
            "magnitude": s.magnitude, "status": s.status, "confidence": s.confidence,
            "evidence": s.evidence, "url": s.url,
            "previous_published": s.prev_published.isoformat(),
            "previous_evidence": s.prev_evidence, "previous_url": s.prev_url}


def position_record(p: PositionRow) -> Record:
    return {"country": p.country, "topic": p.topic, "actor_id": p.actor_id,
            "actor": p.actor_name, "stance": p.stance, "since": p.since.isoformat(),
            "confidence": p.confidence, "unconfirmed": p.pending_stance,
            "unconfirmed_since": p.pending_since.isoformat() if p.pending_since else None,
            "evidence": p.evidence, "url": p.url}


def csv_value(value: Any) -> str:
    """A cell as a spreadsheet reads it: booleans as true/false, no value as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(records: Iterable[Record], columns: Sequence[str], out: TextIO) -> int:
    """A header row, then one row per record (RFC 4180 quoting, CRLF rows); how many rows."""
    writer = csv.writer(out)
    writer.writerow(columns)
    n = 0
    for r in records:
        writer.writerow([csv_value(r.get(c)) for c in columns])
        n += 1
    return n


def write_jsonl(records: Iterable[Record], out: TextIO) -> int:
    """One JSON object per line, non-ASCII text as itself; how many lines."""
    n = 0
    for r in records:
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
        n += 1
    return n
