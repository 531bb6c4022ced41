"""Every command, as a user runs it: real files, real SQLite, real subprocesses for `run`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO
from tests.feedfactory import Entry, rss

DAY1 = datetime(2024, 2, 27, 9, tzinfo=UTC)
OPEN = ("Western troops could be sent to Ukraine one day, French President Emmanuel Macron said "
        "on Monday. \"Nothing should be excluded,\" he said.")
OPPOSED = "German Chancellor Olaf Scholz said there would be no German soldiers in Ukraine."
CONDITIONAL = ("Macron said France would have to consider sending troops to Ukraine if Russian "
               "forces broke through the front line.")


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feeds" / "fixture.xml"
    path.parent.mkdir()
    path.write_text(rss([Entry("f1", DAY1, OPEN), Entry("f2", DAY1 + timedelta(hours=2), OPPOSED),
                         Entry("f3", DAY1 + timedelta(days=60), CONDITIONAL)]))
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_replay_json_reports_the_shift(feed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "replay", "--json", str(feed.parent))
    assert code == 0
    [shift] = [json.loads(line) for line in out.splitlines()]
    assert {k: shift[k] for k in ("type", "item", "actor", "actor_id", "country", "topic",
                                  "from", "to")} == {
        "type": "shift", "item": "f3", "actor": "Emmanuel Macron",
        "actor_id": "emmanuel-macron", "country": "FR", "topic": "troops-to-ukraine",
        "from": "open", "to": "conditional"}
    assert shift["previous"]["item"] == "f1"
    assert shift["published"].startswith("2024-04-27")


def test_replay_statements_lists_every_statement(feed: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "replay", "--json", "--statements", str(feed))
    lines = [json.loads(line) for line in out.splitlines()]
    statements = [x for x in lines if x["type"] == "statement"]
    assert {(s["actor_id"], s["stance"]) for s in statements} >= {
        ("emmanuel-macron", "open"), ("olaf-scholz", "opposes"), ("emmanuel-macron", "conditional")}
    assert set(statements[0]) >= {"item", "url", "published", "actor", "actor_id", "country",
                                  "topic", "stance", "historical", "confidence", "evidence"}


def test_positions_and_history_read_the_store(feed: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "state.db")
    run_cli(capsys, "replay", "--db", db, str(feed))
    for query in ("FR", "france", "French"):
        code, out, _ = run_cli(capsys, "positions", query, "--db", db, "--json")
        assert code == 0
        [p] = json.loads(out)
        assert (p["actor"], p["stance"]) == ("Emmanuel Macron", "conditional")
        assert set(p) == {"actor", "actor_id", "country", "topic", "stance", "since", "evidence",
                          "url", "unconfirmed"}
        assert p["unconfirmed"] is None
    code, out, _ = run_cli(capsys, "positions", "germany", "--db", db)
    assert "Olaf Scholz (DE) on troops-to-ukraine: opposes" in out
    code, out, _ = run_cli(capsys, "history", "macron", "--db", db, "--json")
    assert json.loads(out)[0]["stance"] == "conditional"


def test_unknown_country_gets_a_suggestion(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "positions", "Frnace", "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert "unknown country 'Frnace'. Did you mean France (FR)?" in err


def test_rules_check_passes_on_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "rules", "check", "--rules", str(REPO / "rules"),
                           "--feeds", str(REPO / "feeds.yaml"))
    assert code == 0 and out.startswith("ok:")


def test_rules_check_fails_with_located_errors(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: gopher://x\n")
    code, _, err = run_cli(capsys, "rules", "check", "--rules", str(REPO / "rules"),
                           "--feeds", str(bad))
    assert code == 2
    assert f"{bad}:2: feeds[0].url:" in err


def test_rules_explain_shows_the_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "rules", "explain", "--date", "2024-03-01",
                           "Olaf Scholz refused to rule out sending troops to Ukraine.")
    assert code == 0
    assert "negated by 'refused to' -> open" in out
    assert "=> Olaf Scholz (DE) troops-to-ukraine: open" in out


def test_eval_scores_against_gold_labels(feed: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.yaml"
    gold.write_text("topic: troops-to-ukraine\nitems:\n"
                    "  f1:\n    statements:\n      - {actor: Emmanuel Macron, country: FR, "
                    "stance: open, historical: false, evidence: x}\n"
                    "  f2:\n    statements:\n      - {actor: Olaf Scholz, country: DE, "
                    "stance: supports, historical: false, evidence: x}\n"
                    "  f3:\n    statements:\n      - {actor: Emmanuel Macron, country: FR, "
                    "stance: conditional, historical: false, evidence: x}\n")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("topic: troops-to-ukraine\nshifts:\n  - {actor: Emmanuel Macron, "
                      "country: FR, from: open, to: conditional, guid: f3}\n")
    code, out, _ = run_cli(capsys, "eval", "--gold", str(gold), "--shifts", str(shifts), str(feed))
    assert code == 0
    assert "MISS statement f2 olaf scholz troops-to-ukraine supports" in out
    assert out.splitlines()[-1] == "statements P=0.67 R=0.67 shifts P=1.00 R=1.00"


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["positions", "--help"])
    assert "example:\n  shiftwatch positions FR" in capsys.readouterr().out


def _write_feed(path: Path, entries: list[Entry]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(rss(entries))
    tmp.replace(path)


def test_poll_once_and_run_alert_on_new_items_and_not_again_after_restart(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    feed_file = tmp_path / "live.xml"
    entries = [Entry("l1", now - timedelta(hours=3), OPEN)]
    _write_feed(feed_file, entries)
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - url: file://{feed_file}\n    name: Local fixture\n    interval: 1s\n")
    env = {**os.environ, "SHIFTWATCH_DB_URL": str(tmp_path / "state" / "sw.db"),
           "SHIFTWATCH_FEEDS": str(tmp_path / "feeds.yaml"),
           "SHIFTWATCH_RULES": str(REPO / "rules"), "SHIFTWATCH_TICK_SECONDS": "0.5"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    alerts = tmp_path / "state" / "alerts.jsonl"

    once = subprocess.run([sys.executable, "-m", "bot", "poll", "--once"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert once.returncode == 0, once.stderr
    assert "1 new of 1 item," in once.stderr
    assert (once.stdout + once.stderr).count("cycle:") == 1  # the summary once, in the log
    assert not alerts.exists()

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for(predicate, seconds: float = 30.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.2)
        return False

    proc = start()
    try:
        _write_feed(feed_file, [*entries, Entry("l2", now - timedelta(hours=1), CONDITIONAL)])
        assert wait_for(lambda: alerts.exists() and alerts.read_text().strip()), "no alert"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "SHIFT Emmanuel Macron (FR) on troops-to-ukraine: open -> conditional" in out
    [alert] = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert (alert["item"], alert["from"], alert["to"]) == ("l2", "open", "conditional")

    log_file = tmp_path / "restart.log"
    with log_file.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=REPO,
                                stdout=subprocess.PIPE, stderr=log, text=True)
        try:  # a full cycle after the restart, however slowly the process starts
            assert wait_for(lambda: "cycle:" in log_file.read_text(), 60), "no cycle ran"
        finally:
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, log_file.read_text()
    assert len(alerts.read_text().splitlines()) == 1
    assert "SHIFT" not in out


def _split_corpus(tmp_path: Path, feed: Path) -> tuple[Path, Path]:
    gold = tmp_path / "gold.yaml"
    gold.write_text("topic: troops-to-ukraine\nitems:\n"
                    "  f1:\n    split: dev\n    statements:\n      - {actor: Emmanuel Macron, "
                    "stance: open, evidence: Nothing should be excluded}\n"
                    "  f2:\n    split: dev\n    statements:\n      - {actor: Olaf Scholz, "
                    "stance: supports, evidence: no German soldiers}\n"
                    "  f3:\n    split: test\n    statements:\n      - {actor: Emmanuel Macron, "
                    "stance: conditional, evidence: consider sending troops}\n")
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text("topic: troops-to-ukraine\nshifts:\n  - {actor: Emmanuel Macron, "
                      "from: open, to: conditional, guid: f3, split: test}\n")
    return gold, shifts


def test_eval_of_a_split_scores_its_items_and_explains_its_misses(
        feed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold, shifts = _split_corpus(tmp_path, feed)
    code, out, _ = run_cli(capsys, "eval", "--split", "dev", "--gold", str(gold), "--shifts",
                           str(shifts), str(feed))
    assert code == 0
    assert "MISS statement f2 olaf scholz troops-to-ukraine supports" in out
    assert "stance wrong (another label)   [f2]" in out
    assert "f3" not in out.split("causes")[1]
    # shifts: none expected in dev, none raised there (f3's is in the test split)
    assert out.splitlines()[-1] == "statements P=0.50 R=0.50 shifts P=n/a R=n/a"


def test_eval_of_the_test_split_prints_figures_and_no_items(
        feed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold, shifts = _split_corpus(tmp_path, feed)
    code, out, _ = run_cli(capsys, "eval", "--split", "test", "--gold", str(gold), "--shifts",
                           str(shifts), str(feed))
    assert code == 0
    assert "MISS" not in out and "FALSE" not in out and "causes" not in out
    assert "figures only" in out
    assert out.splitlines()[-1] == "statements P=1.00 R=1.00 shifts P=1.00 R=1.00"


def test_eval_summary_prints_only_figures(feed: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    gold, shifts = _split_corpus(tmp_path, feed)
    code, out, _ = run_cli(capsys, "eval", "--summary", "--gold", str(gold), "--shifts",
                           str(shifts), str(feed))
    assert code == 0
    assert "MISS" not in out and "causes" not in out
    assert out.splitlines()[-1].startswith("statements P=0.67 R=0.67")


def test_eval_refuses_a_split_no_item_has(feed: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.yaml"
    gold.write_text("topic: troops-to-ukraine\nitems:\n  f1:\n    statements: []\n"
                    "  f2:\n    statements: []\n  f3:\n    statements: []\n")
    code, _, err = run_cli(capsys, "eval", "--split", "dev", "--gold", str(gold), str(feed))
    assert code == 1
    assert "no item has split 'dev'" in err


def test_eval_given_the_shifts_file_as_gold_says_so(feed: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, shifts = _split_corpus(tmp_path, feed)
    code, out, err = run_cli(capsys, "eval", "--gold", str(shifts), str(feed))
    assert code == 2 and out == ""
    assert "pass it as --shifts" in err
def _start_lines(tmp_path: Path, *flags: str) -> list[str]:
    """The log of `shiftwatch run FLAGS` from its start until it is running, then stopped."""
    feed_file = tmp_path / "live.xml"
    _write_feed(feed_file, [Entry("l1", datetime.now(UTC) - timedelta(days=9), OPEN)])
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - url: file://{feed_file}\n    name: Local fixture\n")
    env = {**os.environ, "SHIFTWATCH_DB_URL": str(tmp_path / "state" / "sw.db"),
           "SHIFTWATCH_FEEDS": str(tmp_path / "feeds.yaml"),
           "SHIFTWATCH_RULES": str(REPO / "rules"), "SHIFTWATCH_TICK_SECONDS": "30"}
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "SHIFTWATCH_ALERTS_FILE"):
        env.pop(name, None)
    log_file = tmp_path / f"run{''.join(flags)}.log"
    with log_file.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", *flags], env=env, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            deadline = time.monotonic() + 60
            while "running:" not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    assert proc.returncode == 0, log_file.read_text()
    # without the timestamp (a traceback's lines have none)
    return [line.split(" ", 2)[-1] for line in log_file.read_text().splitlines()]


def test_run_starts_by_naming_what_it_uses_without_the_libraries_chatter(tmp_path: Path) -> None:
    lines = _start_lines(tmp_path)
    state = tmp_path / "state"
    assert lines[:2] == [
        f"INFO bot.app: starting: database sqlite:///{state / 'sw.db'}, alerts file "
        f"{state / 'alerts.jsonl'}, destinations console",
        f"INFO bot.app: running: 1 feed, tick 30s, worker {lines[1].split('worker ')[-1]}"]
    assert lines[1].endswith("; Ctrl-C to stop")
    assert all(line.split()[1].startswith("bot.") for line in lines), lines


def test_run_verbose_shows_the_libraries_too(tmp_path: Path) -> None:
    lines = _start_lines(tmp_path, "-v")
    assert "INFO apscheduler.scheduler: Scheduler started" in lines
    assert any(line.startswith("INFO bot.app: starting: database") for line in lines)


def test_rules_explain_says_why_a_sentence_with_a_keyword_has_no_topic(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "rules", "explain", "--date", "2024-03-01",
                           "Olaf Scholz said the new tariffs were a mistake. "
                           "He said Russian troops were massing near Kyiv.")
    assert code == 0
    assert "no topic: ev-tariffs-on-china: keyword 'tariffs' found, but the item names no context word" in out
    assert "no topic: troops-to-ukraine: keyword 'troops' found, but only inside an ignored phrase" in out
