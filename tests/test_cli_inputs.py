"""Bad input on the command line: one line naming what is wrong, a non-zero exit, no traceback;
and commands that only read never create, upgrade or change a database."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import build_parser, main, plural
from bot.models import Statement
from bot.store import Store
from tests.conftest import REPO
from tests.feedfactory import Entry, rss

DAY = datetime(2024, 2, 27, 9, tzinfo=UTC)
SAID = ("Western troops could be sent to Ukraine one day, French President Emmanuel Macron said "
        "on Monday.")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding one statement, one position and a provisional speaker."""
    path = tmp_path / "state" / "sw.db"
    store = Store(str(path))
    said = Statement(item_guid="g1", url="https://news.example/g1", published=DAY,
                     actor_id="emmanuel-macron", actor_name="Emmanuel Macron", country="FR",
                     topic="troops-to-ukraine", stance="open", historical=False, confidence=0.9,
                     evidence=SAID)
    unknown = Statement(item_guid="g2", url="https://news.example/g2", published=DAY,
                        actor_id="provisional:zoe-lindstrom", actor_name="Zoë Lindström",
                        country="SE", topic="troops-to-ukraine", stance="opposes",
                        historical=False, confidence=0.9,
                        evidence="Swedish Defence Minister Zoë Lindström said no Swedish "
                                 "soldiers would go.",
                        attribution="role: defence minister", provisional=True)
    with store.begin() as conn:
        store.ensure_feed(conn, "https://news.example/rss", "News")
        for s in (said, unknown):
            item_id = store.insert_item(conn, "https://news.example/rss", s.item_guid, s.url,
                                        "t", s.published, s.published)
            store.insert_statements(conn, item_id, [s])
    store.close()
    return path


# ---------------------------------------------------------------- files and settings

@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: d / "missing.txt", "no such file"),
    (lambda d: d, "is a folder, not a file"),
    (lambda d: _write(d / "image.bin", b"\x89PNG\r\n\x1a\n\xff\xfe\x00"), "not UTF-8 text"),
], ids=["missing", "folder", "binary"])
def test_explain_file_that_cannot_be_read_as_text_is_one_line(
        make, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path)
    code, _, err = run_cli(capsys, "rules", "explain", "--file", str(path))
    assert code == 1
    assert one_line(err).startswith(f"shiftwatch: --file {path}: {expected}")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("command", [["positions", "FR"], ["replay", str(REPO / "tests/corpus")]],
                         ids=["reading", "writing"])
def test_a_db_file_that_is_not_a_database_is_one_line(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("these are my notes, not a database\n" * 200)
    code, _, err = run_cli(capsys, *command, "--db", str(notes))
    assert code == 1
    assert one_line(err) == f"shiftwatch: database {notes}: file is not a database"
    assert notes.read_text().startswith("these are my notes")


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("SHIFTWATCH_TICK_SECONDS", "abc", "must be a number of seconds, not 'abc'"),
    ("SHIFTWATCH_TICK_SECONDS", "0", "must be a positive number of seconds, not '0'"),
    ("SHIFTWATCH_TICK_SECONDS", "nan", "must be a positive number of seconds, not 'nan'"),
    ("SHIFTWATCH_FETCH_DEADLINE", "-5", "must be a positive number of seconds, not '-5'"),
    ("SHIFTWATCH_FETCH_CONCURRENCY", "abc", "must be a whole number, not 'abc'"),
    ("SHIFTWATCH_FETCH_CONCURRENCY", "2.5", "must be a whole number, not '2.5'"),
    ("SHIFTWATCH_FETCH_PER_HOST", "0", "must be positive, not '0'"),
])
def test_a_bad_numeric_setting_names_the_variable_and_the_value(
        name: str, value: str, expected: str, db: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = run_cli(capsys, "positions", "FR", "--db", str(db))
    assert code == 1 and out == ""
    assert one_line(err) == f"shiftwatch: {name} {expected}"


def test_numeric_settings_accept_good_values(db: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    settings = Settings.from_env({"SHIFTWATCH_TICK_SECONDS": "2.5",
                                  "SHIFTWATCH_FETCH_CONCURRENCY": " 4 ",
                                  "SHIFTWATCH_FETCH_DEADLINE": "12.5"})
    assert (settings.tick_seconds, settings.fetch_concurrency, settings.fetch_deadline) == (
        2.5, 4, 12.5)
    assert Settings.from_env({"SHIFTWATCH_TICK_SECONDS": ""}).tick_seconds == 30.0


@pytest.mark.parametrize("command", [["actors", "--json"],
                                     ["replay", "--statements", str(REPO / "tests/corpus")]],
                         ids=["actors", "replay"])
def test_output_into_a_pipe_closed_early_ends_quietly(command: list[str]) -> None:
    """`shiftwatch ... | head -1`: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "bot", *command], stdout=write_end,
                              stderr=subprocess.PIPE, cwd=REPO, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    assert done.returncode == 141


# ---------------------------------------------------------------- databases never created

READING = [["positions", "FR"], ["history", "Macron"], ["actors", "--provisional"],
           ["actors", "--provisional", "--json"], ["feeds"], ["feeds", "--json"]]
CHANGING = [["actors", "confirm", "provisional:zoe-lindstrom"],
            ["feeds", "enable", "https://news.example/rss"]]


@pytest.mark.parametrize("command", READING + CHANGING, ids=lambda c: " ".join(c))
@pytest.mark.parametrize("typo", ["state/typo.db", "nonexistent/dir/x.db", ":::"])
def test_no_command_but_run_poll_and_replay_creates_a_database(
        command: list[str], typo: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - url: https://news.example/rss\n")
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run_cli(capsys, *command, "--db", typo, "--rules", str(REPO / "rules"))
    assert code == 1 and out == ""
    assert one_line(err) == (f"shiftwatch: no database at {typo} (run `shiftwatch run` or "
                             "`poll --once` first, or pass --db)")
    assert sorted(tmp_path.rglob("*")) == before


def test_reading_commands_change_nothing_in_the_database(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for command in READING:
        code, _, err = run_cli(capsys, *command, "--db", str(db))
        assert code == 0, (command, err)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_reading_commands_still_read_what_is_stored(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "history", "Macron", "--db", str(db))
    assert code == 0 and SAID in out
    code, out, _ = run_cli(capsys, "feeds", "--json", "--db", str(db), "--feeds",
                           str(db.parent / "absent.yaml"))
    assert code == 0 and [f["url"] for f in json.loads(out)] == ["https://news.example/rss"]


def test_changing_commands_open_an_existing_database(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://news.example/rss\n")
    code, out, err = run_cli(capsys, "feeds", "enable", "https://news.example/rss", "--db",
                             str(db), "--feeds", str(feeds))
    assert code == 0, err
    assert "is not disabled" in out


# ---------------------------------------------------------------- words and messages

def test_an_unknown_country_far_from_any_gets_no_suggestion(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "positions", "Atlantis")
    assert code == 1
    line = one_line(err)
    assert line.startswith("shiftwatch: unknown country 'Atlantis'. Name it by ISO code")
    assert "Did you mean" not in line
    code, _, err = run_cli(capsys, "history", "Obama")
    assert code == 1 and one_line(err) == "shiftwatch: unknown actor 'Obama'."


def test_a_feeds_file_that_is_a_list_says_a_mapping_is_expected(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("- url: https://news.example/rss\n")
    code, _, err = run_cli(capsys, "rules", "check", "--feeds", str(feeds))
    assert code == 2
    assert err.splitlines()[-1] == (f"{feeds}:1: expected a mapping with a `feeds:` list, each "
                                    "entry with a `url:`")


def test_counts_take_the_right_plural() -> None:
    assert [plural(n, "shift") for n in (0, 1, 2)] == ["0 shifts", "1 shift", "2 shifts"]
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"


def test_replay_summary_counts_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = tmp_path / "one.xml"
    feed.write_text(rss([Entry("o1", DAY, SAID)]))
    code, out, _ = run_cli(capsys, "replay", str(feed))
    assert code == 0
    assert out.splitlines()[-1] == "1 item replayed, 0 shifts"


def test_rules_check_counts_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - url: https://news.example/rss\n")
    code, out, _ = run_cli(capsys, "rules", "check", "--feeds", str(feeds))
    assert code == 0
    assert out.rstrip().endswith(" countries, 1 feed")


def _subcommands(parser: argparse.ArgumentParser, prefix: str = ""
                 ) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", sub))
                found.extend(_subcommands(sub, f"{prefix}{name} "))
    return found


def test_every_argument_of_every_command_says_what_it_is() -> None:
    missing = [f"{name}: {action.dest}" for name, sub in _subcommands(build_parser())
               for action in sub._actions
               if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert missing == []


@pytest.mark.parametrize("command", ["replay", "eval"])
def test_commands_on_a_throw_away_database_do_not_claim_the_default_one(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "state/shiftwatch.db" not in text
    assert "throw-away database" in text


def test_json_lists_escape_text_alike(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, listed, _ = run_cli(capsys, "actors", "--json")
    _, provisional, _ = run_cli(capsys, "actors", "--provisional", "--json", "--db", str(db))
    assert "François Bayrou" in listed and "Zoë Lindström" in provisional
    for out in (listed, provisional):
        assert "\\u00" not in out
        assert out.startswith("[\n  {\n    \"")
