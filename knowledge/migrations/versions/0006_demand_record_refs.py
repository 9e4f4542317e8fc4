"""demand record refs: rows written in batches get a random reference for feedback

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('demand_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_demand_records_ref'), ['ref'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('demand_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_records_ref'))
        batch_op.drop_column('ref')
