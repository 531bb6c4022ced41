"""What every table group of the store shares: the engine, transactions, UTC datetimes.

Who opens a transaction: a method that is one step of a larger write (recording an item, a
fetch's result) takes the caller's `conn` and never commits; every other method opens and ends
its own (`begin()` to write, `read()` to read). A read used both ways takes `conn=None`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from bot.errors import BotError


def database_url(value: str) -> str:
    """A SQLAlchemy URL, or a plain path meaning a SQLite file."""
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every datetime in this program is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MissingDatabase(BotError):
    """A SQLite database file that a command needs, and must not create, is not there."""

    def __init__(self, path: str):
        super().__init__(f"no database at {path}")
        self.path = path


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for an in-memory database or another kind of server."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


class Tables:
    """The engine a table group works through (`Store` sets it up)."""

    engine: Engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction of its own: committed when the block ends, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self, conn: Connection | None = None) -> Iterator[Connection]:
        """`conn` when the caller has one, else a connection of its own for reading."""
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as own:
            yield own
