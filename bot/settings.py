"""Secrets and knobs from the environment, read once at start-up and passed down."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.errors import BotError

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
    # Polite polling (see bot/schedule.py and bot/fetch.py)
    alert_max_age: timedelta | None = timedelta(hours=48)   # older items raise no alert
    fetch_per_host: int = 2
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_deadline: float = 30.0
    feed_max_failures: int = 50
    allow_private_links: bool = False  # article pages from private addresses (bot/fetch.py)
    # Where "feed broken" / "feed recovered" notices go, besides the log
    telegram_admin_chat_ids: tuple[str, ...] = ()
    slack_admin_channel: str | None = None
    # /healthz, /readyz, /metrics of `run` (bot/ops.py): off unless a port is given
    http_port: int | None = None
    http_host: str = "127.0.0.1"

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
            tick_seconds=_seconds(env, "SHIFTWATCH_TICK_SECONDS", 30.0),
            fetch_concurrency=_number(env, "SHIFTWATCH_FETCH_CONCURRENCY", 10),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_url=env.get("TELEGRAM_API_URL") or "https://api.telegram.org",
            slack_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or "https://slack.com/api/",
            alert_max_age=_max_age(env.get("SHIFTWATCH_ALERT_MAX_AGE", "48h")),
            fetch_per_host=_number(env, "SHIFTWATCH_FETCH_PER_HOST", 2),
            fetch_max_bytes=_number(env, "SHIFTWATCH_FETCH_MAX_BYTES", 10 * 1024 * 1024),
            fetch_deadline=_seconds(env, "SHIFTWATCH_FETCH_DEADLINE", 30.0),
            feed_max_failures=_number(env, "SHIFTWATCH_FEED_MAX_FAILURES", 50),
            allow_private_links=env.get("SHIFTWATCH_ALLOW_PRIVATE_LINKS", "").strip() == "1",
            telegram_admin_chat_ids=tuple(c.strip() for c in
                                          env.get("TELEGRAM_ADMIN_CHAT_IDS", "").split(",")
                                          if c.strip()),
            slack_admin_channel=(env.get("SLACK_ADMIN_CHANNEL") or "").strip() or None,
            http_port=_port(env.get("SHIFTWATCH_HTTP_PORT", "")),
            http_host=(env.get("SHIFTWATCH_HTTP_HOST") or "").strip() or "127.0.0.1",
        )


def _max_age(value: str) -> timedelta | None:
    """'48h', '2d' (see feeds intervals); 'off' or '0' alerts on items of any age."""
    if value.strip().lower() in ("", "0", "off", "none"):
        return None
    from bot.feeds import parse_interval

    try:
        return timedelta(seconds=parse_interval(value))
    except ValueError as exc:
        raise BotError(f"SHIFTWATCH_ALERT_MAX_AGE: {exc}") from None


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BotError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise BotError(f"{name} must be positive, not {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive number of seconds, fractions allowed."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BotError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise BotError(f"{name} must be a positive number of seconds, not {raw!r}")
    return value


def _port(raw: str) -> int | None:
    """SHIFTWATCH_HTTP_PORT: unset, empty or 'off' serves nothing."""
    raw = raw.strip()
    if raw.lower() in ("", "off"):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise BotError(f"SHIFTWATCH_HTTP_PORT must be a port number from 1 to 65535 (or off), "
                       f"not {raw!r}")
    return int(raw)


def _state_dir(db: str) -> str:
    """Alerts live beside a SQLite database file; with a server database, in state/."""
    if "://" not in db:
        return str(Path(db).parent)
    if db.startswith("sqlite:///") and ":memory:" not in db:
        return str(Path(db.removeprefix("sqlite:///")).parent)
    return "state"
