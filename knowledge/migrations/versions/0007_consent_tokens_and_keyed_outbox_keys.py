"""consent tokens: one sign-up per consent; outbox keys written before keyed hashing made unreadable

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_token', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_signups_consent_token'), ['consent_token'], unique=True)
    # keys of earlier rows held Telegram ids and reference numbers in plain text; an id of the
    # row itself is as unique, and such a row is no longer written twice by the same cause
    op.execute("UPDATE outbox SET dedupe_key = 'legacy:' || CAST(id AS VARCHAR(20))")


def downgrade() -> None:
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signups_consent_token'))
        batch_op.drop_column('consent_token')
