"""Secrets and knobs from the environment, read once at start-up and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "state/shiftwatch.db"
DEFAULT_RULES = "rules"
DEFAULT_FEEDS = "feeds.yaml"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB
    rules_dir: str = DEFAULT_RULES
    feeds_file: str = DEFAULT_FEEDS
    alerts_file: str = "state/alerts.jsonl"
    tick_seconds: float = 30.0
    fetch_concurrency: int = 10
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    slack_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: str | None) -> Settings:
        env = os.environ if env is None else env
        db = overrides.get("db_url") or env.get("SHIFTWATCH_DB_URL") or DEFAULT_DB
        alerts = env.get("SHIFTWATCH_ALERTS_FILE") or str(Path(_state_dir(db)) / "alerts.jsonl")
        return cls(
            db_url=db,
            rules_dir=overrides.get("rules_dir") or env.get("SHIFTWATCH_RULES") or DEFAULT_RULES,
            feeds_file=overrides.get("feeds_file") or env.get("SHIFTWATCH_FEEDS") or DEFAULT_FEEDS,
            alerts_file=alerts,
            tick_seconds=float(env.get("SHIFTWATCH_TICK_SECONDS", "30")),
            fetch_concurrency=int(env.get("SHIFTWATCH_FETCH_CONCURRENCY", "10")),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_url=env.get("TELEGRAM_API_URL") or "https://api.telegram.org",
            slack_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or "https://slack.com/api/",
        )


def _state_dir(db: str) -> str:
    """Alerts live beside a SQLite database file; with a server database, in state/."""
    if "://" not in db:
        return str(Path(db).parent)
    if db.startswith("sqlite:///") and ":memory:" not in db:
        return str(Path(db.removeprefix("sqlite:///")).parent)
    return "state"
