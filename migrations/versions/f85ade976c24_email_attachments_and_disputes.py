"""attach documents to logged emails; mark payments disputed on Stripe

Revision ID: f85ade976c24
Revises: b6e3d52a9c14
Create Date: 2026-12-06 00:45:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'f85ade976c24'
down_revision = 'b6e3d52a9c14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment', sa.String(length=64), nullable=True))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_dispute_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('dispute_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('dispute_reason', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('dispute_amount_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disputed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dispute_closed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('dispute_closed_at')
        batch_op.drop_column('disputed_at')
        batch_op.drop_column('dispute_amount_cents')
        batch_op.drop_column('dispute_reason')
        batch_op.drop_column('dispute_status')
        batch_op.drop_column('stripe_dispute_id')
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.drop_column('attachment')
