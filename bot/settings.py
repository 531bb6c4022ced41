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
    # Telegram (bot/chat/telegram.py): who may use the bot (empty: everyone); a webhook
    # instead of long polling when its URL is set
    telegram_allowed_chats: frozenset[int] = frozenset()
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: str | None = None
    # Slack (bot/chat/slack.py): HTTP mode verifies requests with the signing secret; an app
    # token means Socket Mode instead. Empty allow-lists mean no limit.
    slack_signing_secret: str = ""
    slack_app_token: str | None = None
    slack_host: str = "0.0.0.0"
    slack_port: int = 3000
    slack_allowed_teams: frozenset[str] = frozenset()
    slack_allowed_channels: frozenset[str] = frozenset()

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
            telegram_allowed_chats=_chat_ids(env.get("TELEGRAM_ALLOWED_CHATS", "")),
            telegram_webhook_url=(env.get("TELEGRAM_WEBHOOK_URL") or "").strip() or None,
            telegram_webhook_port=_port_number(env, "TELEGRAM_WEBHOOK_PORT", 8443),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or "",
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_host=env.get("SLACK_HOST") or "0.0.0.0",
            slack_port=_port_number(env, "SLACK_PORT", 3000),
            slack_allowed_teams=_csv(env.get("SLACK_ALLOWED_TEAMS")),
            slack_allowed_channels=_csv(env.get("SLACK_ALLOWED_CHANNELS")),
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


def _port_number(env: Mapping[str, str], name: str, default: int) -> int:
    """A port a chat service listens on; 0 picks a free one."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BotError(f"{name} must be a port number, not {raw!r}") from None


def _chat_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise BotError(f"TELEGRAM_ALLOWED_CHATS: {part!r} is not a chat id") from None
    return frozenset(ids)


def _csv(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def _state_dir(db: str) -> str:
    """Alerts live beside a SQLite database file; with a server database, in state/."""
    if "://" not in db:
        return str(Path(db).parent)
    if db.startswith("sqlite:///") and ":memory:" not in db:
        return str(Path(db.removeprefix("sqlite:///")).parent)
    return "state"
