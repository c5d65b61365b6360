"""refused card payments

Revision ID: 5956b924388a
Revises: 7d03f6623b17
Create Date: 2026-11-25 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5956b924388a'
down_revision = '7d03f6623b17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stripe_checkout_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refusal', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('paid_amount_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paid_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(
            sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            'fk_stripe_checkout_session_resolved_by_id_ab_user',
            'ab_user',
            ['resolved_by_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('stripe_checkout_session', schema=None) as batch_op:
        batch_op.drop_constraint(
            'fk_stripe_checkout_session_resolved_by_id_ab_user', type_='foreignkey'
        )
        batch_op.drop_column('resolution')
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('stripe_payment_intent_id')
        batch_op.drop_column('paid_currency')
        batch_op.drop_column('paid_amount_cents')
        batch_op.drop_column('refusal')
