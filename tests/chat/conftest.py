"""Chat tests run on one backend: the chat adapters' contract with the store is tested there,
the store's own on every backend (tests/store)."""

from __future__ import annotations

import pytest

from bot.store import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store
