"""Alembic environment: runs on the connection the store hands over (no ini URL needed)."""

from alembic import context

from bot.store import digests  # noqa: F401  (its table joins metadata)
from bot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("run migrations through bot.store.Store, which passes a connection")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
