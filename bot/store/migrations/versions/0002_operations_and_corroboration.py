"""feed leases and disabling, full text, syndication fingerprints, re-reported quotes,
unconfirmed shifts, outbox claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feeds') as t:
        t.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column('disabled_reason', sa.Text(), nullable=True))
        t.add_column(sa.Column('lease_owner', sa.String(length=200), nullable=True))
        t.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('items') as t:
        t.add_column(sa.Column('full_text', sa.Text(), nullable=True))
        t.add_column(sa.Column('full_text_error', sa.Text(), nullable=True))
        t.add_column(sa.Column('fingerprint', sa.LargeBinary(), nullable=True))
        t.add_column(sa.Column('duplicate_of', sa.Integer(), nullable=True))
        t.create_foreign_key('fk_items_duplicate_of', 'items', ['duplicate_of'], ['id'])
        t.create_index('ix_items_duplicate_of', ['duplicate_of'])
        t.create_index('ix_items_published', ['published'])
    with op.batch_alter_table('statements') as t:
        t.add_column(sa.Column('quote_key', sa.String(length=64), nullable=True))
        t.add_column(sa.Column('repeat_of', sa.Integer(), nullable=True))
        t.create_foreign_key('fk_statements_repeat_of', 'statements', ['repeat_of'], ['id'])
        t.create_index('ix_statements_quote', ['actor_id', 'quote_key'])
    with op.batch_alter_table('shifts') as t:
        t.add_column(sa.Column('status', sa.String(length=20), nullable=False,
                               server_default='confirmed'))
        t.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        t.add_column(sa.Column('corroborated_by', sa.String(length=2000), nullable=True))
        t.create_index('ix_shifts_status_country', ['status', 'country'])
    with op.batch_alter_table('outbox') as t:
        t.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))
        t.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as t:
        t.drop_column('claimed_until')
        t.drop_column('claimed_by')
    with op.batch_alter_table('shifts') as t:
        t.drop_index('ix_shifts_status_country')
        t.drop_column('corroborated_by')
        t.drop_column('confirmed_at')
        t.drop_column('status')
    with op.batch_alter_table('statements') as t:
        t.drop_index('ix_statements_quote')
        t.drop_constraint('fk_statements_repeat_of', type_='foreignkey')
        t.drop_column('repeat_of')
        t.drop_column('quote_key')
    with op.batch_alter_table('items') as t:
        t.drop_index('ix_items_published')
        t.drop_index('ix_items_duplicate_of')
        t.drop_constraint('fk_items_duplicate_of', type_='foreignkey')
        t.drop_column('duplicate_of')
        t.drop_column('fingerprint')
        t.drop_column('full_text_error')
        t.drop_column('full_text')
    with op.batch_alter_table('feeds') as t:
        t.drop_column('lease_until')
        t.drop_column('lease_owner')
        t.drop_column('disabled_reason')
        t.drop_column('disabled_at')
