"""record to whom a payment link was sent, when its client first opened it, and the
last reminder or resend by hand

Revision ID: b81e5d2c9a40
Revises: a4f2c8e61d07
Create Date: 2026-12-06 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b81e5d2c9a40'
down_revision = 'a4f2c8e61d07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_to', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(), nullable=True))
    # Links sent so far went to the client's address of the time; the project's is the best
    # record of it left.
    op.execute(
        sa.text(
            "UPDATE payment_link SET sent_to = (SELECT project.client_email FROM project"
            " WHERE project.id = payment_link.project_id) WHERE sent_at IS NOT NULL"
        )
    )


def downgrade():
    with op.batch_alter_table('payment_link', schema=None) as batch_op:
        batch_op.drop_column('followed_up_at')
        batch_op.drop_column('opened_at')
        batch_op.drop_column('sent_to')
