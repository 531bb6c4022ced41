"""The tables. Alembic owns their creation and evolution (see migrations/)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

feeds = Table(
    "feeds", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2000), nullable=False, unique=True),
    Column("name", String(500), nullable=False, default=""),
    Column("etag", String(500)),
    Column("last_modified", String(100)),
    Column("next_check_at", DateTime(timezone=True)),
    Column("last_checked_at", DateTime(timezone=True)),
    Column("last_success_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("items_seen", Integer, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    # A worker holds a feed while it polls it; an expired lease is anyone's (see `run --worker`).
    Column("lease_owner", String(200)),
    Column("lease_until", DateTime(timezone=True)),
)

items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_url", String(2000), nullable=False),
    Column("guid", String(2000), nullable=False),
    Column("url", String(2000), nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),
    Column("published", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # The text extraction ran on, when it is not the feed's own (the article page): fetched once.
    Column("full_text", Text),
    Column("full_text_error", Text),
    # Near-duplicate detection of syndicated copies: the text's fingerprint, and the item this
    # one is a copy of (its statements and alerts belong to that one).
    Column("fingerprint", LargeBinary),
    Column("duplicate_of", Integer, ForeignKey("items.id")),
    UniqueConstraint("feed_url", "guid", name="uq_items_feed_guid"),
)
Index("ix_items_url", items.c.url)
Index("ix_items_guid", items.c.guid)
Index("ix_items_duplicate_of", items.c.duplicate_of)
Index("ix_items_published", items.c.published)

statements = Table(
    "statements", metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("item_guid", String(2000), nullable=False),
    Column("url", String(2000), nullable=False, default=""),
    Column("published", DateTime(timezone=True), nullable=False),
    Column("said_on", Date),
    Column("actor_id", String(200), nullable=False),
    Column("actor_name", String(500), nullable=False),
    Column("country", String(10), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("stance", String(50), nullable=False),
    Column("historical", Boolean, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("evidence_key", String(64), nullable=False),
    Column("attribution", Text, nullable=False, default=""),
    Column("provisional", Boolean, nullable=False, default=False),
    # A quote seen before (same speaker, same normalised words) is the same statement, re-reported.
    Column("quote_key", String(64)),
    Column("repeat_of", Integer, ForeignKey("statements.id")),
    UniqueConstraint("item_id", "actor_id", "topic", "evidence_key", name="uq_statements_item"),
)
Index("ix_statements_quote", statements.c.actor_id, statements.c.quote_key)
Index("ix_statements_actor", statements.c.actor_id, statements.c.topic, statements.c.published)
Index("ix_statements_country", statements.c.country)

positions = Table(
    "positions", metadata,
    Column("actor_id", String(200), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("actor_name", String(500), nullable=False),
    Column("country", String(10), nullable=False),
    Column("stance", String(50), nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("url", String(2000), nullable=False, default=""),
    Column("item_guid", String(2000), nullable=False),
    Column("confidence", Float, nullable=False, default=1.0),
)
Index("ix_positions_country", positions.c.country)

shifts = Table(
    "shifts", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(2500), nullable=False, unique=True),
    Column("actor_id", String(200), nullable=False),
    Column("actor_name", String(500), nullable=False),
    Column("country", String(10), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("from_stance", String(50), nullable=False),
    Column("to_stance", String(50), nullable=False),
    Column("magnitude", Integer, nullable=False, default=1),
    Column("item_guid", String(2000), nullable=False),
    Column("url", String(2000), nullable=False, default=""),
    Column("published", DateTime(timezone=True), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("prev_item_guid", String(2000), nullable=False),
    Column("prev_url", String(2000), nullable=False, default=""),
    Column("prev_published", DateTime(timezone=True), nullable=False),
    Column("prev_evidence", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # "confirmed" alerts; "unconfirmed" waits for a second independent source.
    Column("status", String(20), nullable=False, default="confirmed", server_default="confirmed"),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("corroborated_by", String(2000)),
)
# Store.positions looks up a country's unconfirmed shifts on every call (bench/positions.py).
Index("ix_shifts_status_country", shifts.c.status, shifts.c.country)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("shift_id", Integer, ForeignKey("shifts.id"), nullable=False),
    Column("destination", String(500), nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True)),
    # A worker claims a row before sending it, so several workers deliver it once.
    Column("claimed_by", String(200)),
    Column("claimed_until", DateTime(timezone=True)),
    UniqueConstraint("shift_id", "destination", name="uq_outbox_shift_destination"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("chat_id", String(200), nullable=False),
    Column("filters", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    UniqueConstraint("platform", "chat_id", name="uq_subscriptions_chat"),
)
