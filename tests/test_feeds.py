"""feeds.yaml validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.feeds import load_feeds, parse_interval
from tests.conftest import REPO


def test_shipped_feeds_are_valid_and_many() -> None:
    feeds = load_feeds(REPO / "feeds.yaml")
    assert len(feeds) >= 15
    assert all(f.url.startswith("https://") for f in feeds)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600),
                                               ("2d", 172800), (90, 90)])
def test_intervals(text: str | int, seconds: int) -> None:
    assert parse_interval(text) == seconds


def test_bad_feed_entries_are_located(tmp_path: Path) -> None:
    f = tmp_path / "feeds.yaml"
    f.write_text("feeds:\n"
                 "  - url: ftp://example.org/feed\n"
                 "  - url: https://example.org/rss\n"
                 "    interval: soon\n"
                 "  - url: https://example.org/rss\n"
                 "    colour: red\n")
    with pytest.raises(ConfigError) as err:
        load_feeds(f)
    text = str(err.value)
    assert f"{f}:2: feeds[0].url:" in text
    assert f"{f}:4: feeds[1].interval:" in text
    assert f"{f}:6: feeds[2].colour: unknown key" in text


def test_duplicate_feeds_and_too_fast_http_polling_are_errors(tmp_path: Path) -> None:
    f = tmp_path / "feeds.yaml"
    f.write_text("feeds:\n  - url: https://example.org/rss\n    interval: 10s\n"
                 "  - url: https://example.org/rss\n")
    with pytest.raises(ConfigError) as err:
        load_feeds(f)
    assert "at most once a minute" in str(err.value)
    assert "already listed at feeds[0]" in str(err.value)
