"""`shiftwatch feeds`: status of every feed, `--json`, `feeds enable URL`; and the polling
settings `run`/`poll` are built with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from bot.settings import Settings
from bot.store import Store
from tests.conftest import REPO

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
OK = "https://ok.example.test/rss"
FAILING = "https://failing.example.test/rss"
DISABLED = "https://gone.example.test/rss"
NEW = "https://new.example.test/rss"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[list[str], Path]:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n"
                     f"  - url: {OK}\n    name: Fine news\n"
                     f"  - url: {FAILING}\n"
                     f"  - url: {NEW}\n")
    db = tmp_path / "sw.db"
    store = Store(str(db))
    with store.begin() as conn:
        for url in (OK, FAILING, DISABLED):
            store.ensure_feed(conn, url, url)
        store.record_fetch(conn, OK, last_success_at=NOW, last_checked_at=NOW, items_seen=12,
                           next_check_at=NOW + timedelta(minutes=15))
        store.record_fetch(conn, FAILING, last_success_at=NOW - timedelta(days=2), failures=4,
                           last_error="HTTP 500 Internal Server Error", last_checked_at=NOW)
        store.record_fetch(conn, DISABLED, failures=1, last_error="HTTP 410 Gone")
        store.disable_feed(conn, DISABLED, "the server answered 410 Gone (HTTP 410 Gone)", NOW)
    store.close()
    return ["--db", str(db), "--feeds", str(feeds), "--rules", str(REPO / "rules")], db


def test_feeds_lists_each_feeds_status(setup: tuple[list[str], Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    args, _ = setup
    assert main(["feeds", *args]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith(" ")]
    assert lines == [f"ok       {OK}", f"failing  {FAILING}", f"new      {NEW}",
                     f"disabled {DISABLED}  (no longer in the feeds file)"]
    assert "last success 2025-03-01T12:00:00+00:00, next check 2025-03-01T12:15:00+00:00, " \
           "12 items seen, 0 failures" in out
    assert "last error: HTTP 500 Internal Server Error" in out
    assert "disabled 2025-03-01T12:00:00+00:00: the server answered 410 Gone" in out


def test_feeds_json(setup: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    args, _ = setup
    assert main(["feeds", "--json", *args]) == 0
    report = {r["url"]: r for r in json.loads(capsys.readouterr().out)}
    assert report[OK]["status"] == "ok" and report[OK]["name"] == "Fine news"
    assert report[OK]["items_seen"] == 12
    assert report[FAILING]["status"] == "failing" and report[FAILING]["failures"] == 4
    assert report[FAILING]["last_success_at"] == "2025-02-27T12:00:00+00:00"
    assert report[DISABLED]["status"] == "disabled" and not report[DISABLED]["listed"]
    assert report[NEW]["status"] == "new" and report[NEW]["last_success_at"] is None


def test_feeds_enable_polls_a_disabled_feed_again(setup: tuple[list[str], Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    args, db = setup
    assert main(["feeds", "enable", DISABLED, *args]) == 0
    assert "enabled" in capsys.readouterr().out
    row = next(r for r in Store(str(db)).all_feeds() if r.url == DISABLED)
    assert not row.disabled and row.disabled_reason is None and row.failures == 0
    assert row.next_check_at is None  # due at the next tick
    assert main(["feeds", "enable", OK, *args]) == 0
    assert "is not disabled (status: ok)" in capsys.readouterr().out


def test_feeds_enable_an_unknown_url_suggests_the_nearest(
        setup: tuple[list[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    args, _ = setup
    assert main(["feeds", "enable", "https://gone.example.test/rss2", *args]) == 1
    err = capsys.readouterr().err
    assert "unknown feed 'https://gone.example.test/rss2'; did you mean " \
           "https://gone.example.test/rss" in err
    assert main(["feeds", "enable", *args]) == 1
    assert "usage: shiftwatch feeds enable URL" in capsys.readouterr().err


def test_run_and_poll_quiet_old_items_and_use_the_polling_settings(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {OK}\n")
    settings = Settings.from_env({"SHIFTWATCH_ALERT_MAX_AGE": "36h",
                                  "SHIFTWATCH_FETCH_PER_HOST": "3",
                                  "SHIFTWATCH_FEED_MAX_FAILURES": "7"},
                                 db_url=str(tmp_path / "sw.db"), rules_dir=str(REPO / "rules"),
                                 feeds_file=str(feeds))
    app = build_app(settings)
    try:
        assert app.pipeline.alert_max_age == timedelta(hours=36)
        assert app.policy.per_host == 3 and app.policy.max_failures == 7
        assert app.feeds_file == feeds
    finally:
        app.store.close()
    assert Settings.from_env({}).alert_max_age == timedelta(hours=48)
    assert Settings.from_env({"SHIFTWATCH_ALERT_MAX_AGE": "off"}).alert_max_age is None


def test_a_bad_polling_setting_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIFTWATCH_ALERT_MAX_AGE", "two days")
    assert main(["feeds", "--db", str(tmp_path / "sw.db")]) == 1
    assert "SHIFTWATCH_ALERT_MAX_AGE: 'two days' is not an interval" in capsys.readouterr().err


def test_article_links_to_private_addresses_are_allowed_only_by_the_environment(tmp_path: Path
                                                                                ) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {OK}\n")
    paths = {"db_url": str(tmp_path / "sw.db"), "rules_dir": str(REPO / "rules"),
             "feeds_file": str(feeds)}
    for env, allowed in (({}, False), ({"SHIFTWATCH_ALLOW_PRIVATE_LINKS": "0"}, False),
                         ({"SHIFTWATCH_ALLOW_PRIVATE_LINKS": "1"}, True)):
        app = build_app(Settings.from_env(env, **paths))
        try:
            assert app.allow_private_links is allowed, env
        finally:
            app.store.close()
