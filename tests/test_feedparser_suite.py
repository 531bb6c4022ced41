"""Every feed of feedparser's own test suite (../shared/feedparser-tests) through the whole
pipeline: fetch (local file), parse, extract, store. Nothing may raise; a feed that cannot be
used gets a clear per-feed error. One test per folder keeps the run short."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.app import App
from bot.fetch import make_client
from bot.models import CycleSummary, FeedSpec, Item
from bot.pipeline import Pipeline
from bot.rules import RuleSet
from bot.store import Store
from tests.conftest import SHARED

SUITE = SHARED / "feedparser-tests"
FOLDERS = sorted(p.relative_to(SUITE).as_posix() for p in SUITE.glob("*/*") if p.is_dir()) + \
    sorted(p.name for p in SUITE.glob("*") if p.is_dir() and any(f.is_file() for f in p.iterdir())) \
    if SUITE.is_dir() else ["absent"]
CLEAR_ERRORS = ("not a feed: ", "cannot parse: ")

pytestmark = [pytest.mark.shared,
              pytest.mark.skipif(not SUITE.is_dir(),
                                 reason="../shared/feedparser-tests is absent (a user's clone has none)")]


@pytest.fixture
def fast_store(tmp_path: Path) -> Iterator[Store]:
    """SQLite without fsync: the durability of a throwaway database is not under test, and two
    thousand feeds would otherwise spend most of the run committing."""
    store = Store(str(tmp_path / "suite.db"))
    event.listen(store.engine, "connect",
                 lambda dbapi, _record: dbapi.execute("PRAGMA synchronous=OFF"))
    store.engine.dispose()
    yield store
    store.close()


@pytest.mark.parametrize("folder", FOLDERS)
async def test_every_feed_goes_through_the_pipeline_or_gets_a_clear_error(
        folder: str, rules: RuleSet, fast_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = SUITE / folder
    files = sorted(f for f in directory.iterdir() if f.is_file() and f.suffix == ".xml")
    assert files, f"no feeds in {directory}"
    app = App(Pipeline(rules, fast_store), [], [])

    async def no_article(pages: object, batch: list[Item], *args: object, **kwargs: object
                         ) -> list[Item]:
        return batch  # the items link to example.com: no article pages in a test

    monkeypatch.setattr("bot.poller.with_full_texts", no_article)
    summary = CycleSummary()
    limit = asyncio.Semaphore(8)
    async with make_client() as client:
        for f in files:  # the feed's own poll: fetch, parse, extract, store, record
            spec = FeedSpec(url=str(f), name=f.name, interval_seconds=600)
            with fast_store.begin() as conn:
                state = fast_store.ensure_feed(conn, spec.url, spec.name)
            await app.poller._poll_feed(client, client, limit, spec, state, summary)

    rows = {r.url: r for r in fast_store.all_feeds()}
    unclear = []
    for f in files:
        row = rows[str(f)]
        error = row.last_error or ""
        assert "internal error" not in error, f"{f.name}: {error}"
        if row.last_success_at is None and (
                row.failures != 1 or not error.startswith(CLEAR_ERRORS) or len(error) < 15):
            unclear.append(f"{f.name}: {error!r}")
    assert not unclear, "\n".join(unclear[:20])
    succeeded = sum(1 for r in rows.values() if r.last_success_at)
    assert summary.failed + succeeded == len(files)
