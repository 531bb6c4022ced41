"""`shiftwatch history`: a header, newest first by the day words were said (a recalled statement
by the day it recalls), `--limit` saying what it left out, `--since`, and JSON in the same order."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Statement
from bot.store import Store

TROOPS, TARIFFS = "troops-to-ukraine", "ev-tariffs-on-china"


def said(guid: str, published: datetime, topic: str, stance: str, *,
         recalls: date | None = None) -> Statement:
    return Statement(item_guid=guid, url=f"https://news.example/{guid}", published=published,
                     actor_id="emmanuel-macron", actor_name="Emmanuel Macron", country="FR",
                     topic=topic, stance=stance, historical=recalls is not None, confidence=0.9,
                     evidence=f"Macron said something ({guid}).", said_on=recalls)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Four statements; the last published recalls words said before all the others."""
    path = str(tmp_path / "sw.db")
    found = [said("feb", datetime(2024, 2, 27, 9, tzinfo=UTC), TROOPS, "open"),
             said("mar", datetime(2024, 3, 10, 9, tzinfo=UTC), TROOPS, "opposes"),
             said("apr", datetime(2024, 4, 1, 9, tzinfo=UTC), TARIFFS, "supports"),
             said("may", datetime(2024, 5, 1, 9, tzinfo=UTC), TROOPS, "conditional",
                  recalls=date(2024, 1, 15))]
    with Store(path) as store, store.begin() as conn:
        for s in found:
            item_id = store.insert_item(conn, "https://news.example/rss", s.item_guid, s.url,
                                        "t", s.published, s.published)
            store.insert_statements(conn, item_id, [s])
    return path


def history(capsys: pytest.CaptureFixture[str], db: str, *args: str) -> tuple[list[str], str]:
    code = main(["history", "Macron", "--db", db, *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.splitlines(), err


def dated(lines: list[str]) -> list[str]:
    return [line.split(":")[0] for line in lines if line[:2] == "20"]


def test_history_has_a_header_and_runs_newest_first_by_the_day_said(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines, _ = history(capsys, db)
    assert lines[0] == "Emmanuel Macron (FR), all topics: 4 statements, newest first"
    assert dated(lines) == [f"2024-04-01 {TARIFFS}", f"2024-03-10 {TROOPS}",
                            f"2024-02-27 {TROOPS}", f"2024-01-15 {TROOPS}"]
    assert f"2024-01-15 {TROOPS}: conditional (recalled)" in lines


def test_history_limit_says_how_many_more_there_are(db: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    lines, _ = history(capsys, db, "--limit", "2")
    assert lines[0] == "Emmanuel Macron (FR), all topics: 4 statements, 2 shown, newest first"
    assert dated(lines) == [f"2024-04-01 {TARIFFS}", f"2024-03-10 {TROOPS}"]
    assert lines[-1] == "2 more; use --limit 4 (or --limit 0) to see every one"
    lines, _ = history(capsys, db, "--limit", "0")
    assert len(dated(lines)) == 4 and "more" not in lines[-1]


def test_history_since_and_topic_filter_by_the_day_said(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines, _ = history(capsys, db, "--since", "2024-03-01")
    assert lines[0] == ("Emmanuel Macron (FR), all topics, since 2024-03-01: 2 statements, "
                        "newest first")
    assert dated(lines) == [f"2024-04-01 {TARIFFS}", f"2024-03-10 {TROOPS}"]
    lines, _ = history(capsys, db, "--topic", TROOPS, "--since", "2024-03-01")
    assert lines[0] == (f"Emmanuel Macron (FR), on {TROOPS}, since 2024-03-01: 1 statement, "
                        "newest first")
    lines, _ = history(capsys, db, "--since", "2025-01-01")
    assert lines == ["Emmanuel Macron (FR), all topics, since 2025-01-01: no statements recorded."]


def test_history_json_is_in_the_same_order_and_cut_noted_apart(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines, err = history(capsys, db, "--json", "--limit", "3")
    rows = json.loads("\n".join(lines))
    assert [r["item"] for r in rows] == ["apr", "mar", "feb"]
    assert err == "shiftwatch: 1 more; use --limit 4 (or --limit 0) to see every one\n"
    lines, err = history(capsys, db, "--json", "--limit", "0")
    assert [r["item"] for r in json.loads("\n".join(lines))] == ["apr", "mar", "feb", "may"]
    assert err == ""


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--limit", "-1", "argument --limit: '-1' is not a whole number (0 or more)"),
    ("--limit", "ten", "argument --limit: 'ten' is not a whole number (0 or more)"),
    ("--since", "2024-13-01", "argument --since: '2024-13-01' is not a date like 2024-02-27"),
])
def test_history_bad_limit_or_since_is_a_usage_error(
        option: str, value: str, message: str, db: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["history", "Macron", "--db", db, option, value])
    assert raised.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"shiftwatch history: error: {message}"
