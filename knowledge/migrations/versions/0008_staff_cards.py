"""staff cards: where each sign-up's card stands in coordinators' chats, to edit it in place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signup_id', sa.Integer(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['signup_id'], ['signups.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('chat_id', 'message_id', name='uq_staff_cards_message'),
    )
    op.create_index(op.f('ix_staff_cards_signup_id'), 'staff_cards', ['signup_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_cards_signup_id'), table_name='staff_cards')
    op.drop_table('staff_cards')
