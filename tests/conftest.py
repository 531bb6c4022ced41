"""Shared fixtures: the shipped rules, real stores (SQLite always; PostgreSQL when a server is
reachable through SHIFTWATCH_TEST_PG_URL), and paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.rules import RuleSet, load_rules
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"

os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules(REPO / "rules")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(str(tmp_path / "state" / "shiftwatch.db"))
    yield store
    store.close()


def _pg_url() -> str | None:
    return os.environ.get("SHIFTWATCH_TEST_PG_URL") or None


@contextmanager
def fresh_pg_database(prefix: str = "sw_test") -> Iterator[sa.engine.URL]:
    """A new, empty PostgreSQL database on the server of SHIFTWATCH_TEST_PG_URL, dropped
    afterwards; the test skips, saying why, when there is no server."""
    url = _pg_url()
    if not url:
        pytest.skip("PostgreSQL tests need SHIFTWATCH_TEST_PG_URL (see README: Tests; "
                    ".ci/run starts a server)")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at SHIFTWATCH_TEST_PG_URL is unreachable: {exc.orig}")
    try:
        yield sa.engine.make_url(url).set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def url_text(url: sa.engine.URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same contract, run against every backend."""
    if request.param == "sqlite":
        s = Store(str(tmp_path / "shiftwatch.db"))
        yield s
        s.close()
        return
    with fresh_pg_database() as url:
        s = Store(url_text(url))
        yield s
        s.close()


def needs_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SEEDS.is_dir(),
                              reason="../shared/corpus/seeds is absent (a user's clone has none)")
