"""say whether a payment's time of day is known, or only its day

Revision ID: a4f2c8e61d07
Revises: c7d4e1a9b3f2
Create Date: 2026-12-05 22:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4f2c8e61d07'
down_revision = 'c7d4e1a9b3f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paid_time_known', sa.Boolean(), server_default='1', nullable=False)
        )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('paid_time_known', sa.Boolean(), server_default='1', nullable=False)
        )
    # Payments recorded by hand so far were all dated 12:00 UTC of the day typed: an hour
    # nobody gave. Keep their day and show it without a time.
    manual = "('TRANSFER', 'CHEQUE', 'CASH', 'OTHER')"
    op.execute(
        sa.text(
            f"UPDATE payment SET paid_time_known = :known WHERE method IN {manual}"
        ).bindparams(known=False)
    )
    op.execute(
        sa.text(
            "UPDATE project SET paid_time_known = :known WHERE EXISTS ("
            "SELECT 1 FROM payment WHERE payment.project_id = project.id"
            " AND payment.paid_at = project.paid_at"
            f" AND payment.method IN {manual})"
        ).bindparams(known=False)
    )


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('paid_time_known')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('paid_time_known')
