"""Opening a database that must already be there: never created on a typo; read-only when the
command only reads, and then neither written nor upgraded."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.errors import BotError
from bot.store import MIGRATIONS, MissingDatabase, Store, revisions


def revision(path: Path) -> str:
    with Store(str(path), migrate=False) as store, store.engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


@pytest.fixture
def older(tmp_path: Path) -> Path:
    """A database at the first schema revision, as an older shiftwatch left it."""
    path = tmp_path / "old.db"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with Store(str(path), migrate=False) as store, store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    return path


@pytest.mark.parametrize("readonly", [True, False])
def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path, readonly: bool) -> None:
    path = tmp_path / "no" / "such" / "dir" / "x.db"
    with pytest.raises(MissingDatabase) as raised:
        Store.open_existing(str(path), readonly=readonly)
    assert raised.value.path == str(path)
    assert str(raised.value) == f"no database at {path}"
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_store_reads_but_cannot_write(sqlite_store: Store) -> None:
    with sqlite_store.begin() as conn:
        sqlite_store.ensure_feed(conn, "https://news.example/rss", "News")
    path = sqlite_store.url.removeprefix("sqlite:///")
    with Store.open_existing(path) as store:
        assert [f.url for f in store.all_feeds()] == ["https://news.example/rss"]
        with pytest.raises(OperationalError, match="readonly"), store.begin() as conn:
            conn.execute(text("DELETE FROM feeds"))


def test_an_older_schema_is_reported_not_upgraded_by_a_reader(older: Path) -> None:
    with pytest.raises(BotError, match=r"its schema \(0001\) is older than this version's \(0003\)"):
        Store.open_existing(str(older))
    assert revision(older) == "0001"


def test_a_writer_upgrades_an_older_schema(older: Path) -> None:
    Store.open_existing(str(older), readonly=False).close()
    assert revision(older) == "0003"


def test_a_file_without_the_schema_is_not_taken_for_a_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(BotError, match="no shiftwatch data in it"):
        Store.open_existing(str(empty))
    assert empty.read_bytes() == b""


def test_the_revisions_read_from_the_migration_files_are_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    known, heads = revisions()
    assert known == {s.revision for s in scripts.walk_revisions()}
    assert heads == sorted(scripts.get_heads())
