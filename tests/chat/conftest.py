"""Chat tests run on one backend: the chat adapters' contract with the store is tested there,
the store's own on every backend (tests/store)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.settings import Settings
from bot.store import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


def with_env(settings: Settings, **env: str) -> Settings:
    """`settings` plus what these environment variables say (Settings reads the environment)."""
    return replace(Settings.from_env(env), telegram_token=settings.telegram_token,
                   telegram_api_url=settings.telegram_api_url, slack_token=settings.slack_token,
                   slack_api_url=settings.slack_api_url)
