"""The store: SQLAlchemy Core over SQLite (default) or PostgreSQL; Alembic owns the schema.

One module per table group: feeds (bot/store/feeds.py), items and statements (items.py),
positions and shifts (positions.py), the outbox (outbox.py), subscriptions (subscriptions.py);
`Store` joins them over one engine. All writes for one item happen in one transaction
(`Store.begin()`), so a crash can neither lose an alert nor record one twice; who opens a
transaction is said in bot/store/base.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError

from bot.errors import BotError
from bot.store.base import MissingDatabase, database_url, sqlite_file, utc
from bot.store.feeds import FeedRow, FeedsTable
from bot.store.items import Copy, ItemRef, Stored, is_article_url
from bot.store.outbox import OutboxRow, OutboxTable, retry_time
from bot.store.positions import PositionsTable
from bot.store.subscriptions import Subscription, SubscriptionsTable

__all__ = ["MIGRATIONS", "Copy", "FeedRow", "ItemRef", "MissingDatabase", "OutboxRow", "Store",
           "Stored", "Subscription", "database_url", "is_article_url", "retry_time",
           "sqlite_file", "utc"]

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class Store(FeedsTable, PositionsTable, OutboxTable, SubscriptionsTable):
    """Every table group over one engine."""

    def __init__(self, url: str, *, migrate: bool = True, readonly: bool = False):
        """`readonly`: SQLite opens read-only, and neither opens a SQLite file that is not
        there nor upgrades the schema (see `open_existing`)."""
        self.url = database_url(url)
        path = sqlite_file(self.url)
        if path is not None and not readonly:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A ping on checkout finds a server connection dropped while pooled; a SQLite file has
        # no server to lose: there the ping is one more query for every transaction.
        server = not self.url.startswith("sqlite")
        engine_url: str | URL = self.url
        if readonly and path is not None:
            # mode=ro: SQLite itself refuses every write, and opening never creates the file
            engine_url = URL.create("sqlite", database="file:" + quote(path),
                                    query={"mode": "ro", "uri": "true"})
        try:
            self.engine: Engine = create_engine(engine_url, future=True, pool_pre_ping=server)
        except Exception as exc:
            raise BotError(f"database {self._safe_url()}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect",
                         _sqlite_read_pragmas if readonly else _sqlite_pragmas)
        if readonly:
            self.check_schema()
        elif migrate:
            self.migrate()

    @classmethod
    def open_existing(cls, url: str, *, readonly: bool = True) -> Store:
        """A store over a database that must exist already: a SQLite path that names no file
        raises MissingDatabase instead of creating a database (and its folder) on a typo.
        `readonly` (for commands that only read) also leaves the schema as it is: an outdated
        one is an error rather than an upgrade."""
        path = sqlite_file(database_url(url))
        if path is not None and not Path(path).is_file():
            raise MissingDatabase(path)
        return cls(url, readonly=readonly)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _safe_url(self) -> str:
        """The database as messages name it: a SQLite file by its path, a server without its
        password."""
        path = sqlite_file(self.url)
        if path is not None:
            return path
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(invalid URL)"

    def _alembic_config(self) -> Config:
        from alembic.config import Config  # alembic loads only to migrate: a read needs none

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def migrate(self) -> None:
        """Upgrade the schema to this version's. Up to date already (every start but the first
        after an upgrade): Alembic is not even loaded."""
        try:
            with self.engine.connect() as conn:
                if _current_revision(conn) in revisions()[1]:
                    return
        except DatabaseError:
            pass  # Alembic says what is wrong with it, below
        from alembic import command

        cfg = self._alembic_config()
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DatabaseError as exc:
            raise BotError(f"database {self._safe_url()}: {exc.orig}") from None

    def check_schema(self) -> None:
        """Refuse a database this version cannot read as it is, without writing to it: not a
        database at all, no shiftwatch schema, or a schema older than this version's."""
        try:
            with self.engine.connect() as conn:
                current = _current_revision(conn)
        except DatabaseError as exc:
            raise BotError(f"database {self._safe_url()}: {exc.orig}") from None
        if current is None:
            raise BotError(f"database {self._safe_url()}: no shiftwatch data in it (no schema "
                           f"version)")
        known, heads = revisions()
        if current not in heads and current in known:
            raise BotError(f"database {self._safe_url()}: its schema ({current}) is older than "
                           f"this version's ({', '.join(heads)}); a command that writes "
                           f"(`shiftwatch run`, `poll --once`) upgrades it")

    def close(self) -> None:
        self.engine.dispose()


def _current_revision(conn: Connection) -> str | None:
    """The schema version Alembic recorded, None when there is none (read as Alembic does)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().first()


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*['\"]?(\w+)", re.MULTILINE)


def revisions() -> tuple[set[str], list[str]]:
    """Every revision of this version's migrations, and the heads (those no other revision
    follows), read from the migration files without loading Alembic (most of a read-only
    command's start-up time)."""
    known: set[str] = set()
    followed: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        for field, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if field == "revision":
                known.add(value)
            elif value != "None":
                followed.add(value)
    return known, sorted(known - followed)


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """A read-only connection: no journal mode to set (setting one writes), but the same wait
    for a writer and the same foreign keys."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commits,
    # which is safe here: a feed's validators are saved after its items, so they are fetched again.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
