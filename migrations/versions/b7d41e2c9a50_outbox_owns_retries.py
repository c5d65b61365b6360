"""outbox retries: when a failed message is due again, and who sends a resent email

Revision ID: b7d41e2c9a50
Revises: a3c1f7e09b52
Create Date: 2026-12-06 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e2c9a50'
down_revision = 'a3c1f7e09b52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_outbox_id', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.drop_column('sending_outbox_id')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')
