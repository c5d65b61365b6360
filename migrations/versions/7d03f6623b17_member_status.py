"""member account status

Revision ID: 7d03f6623b17
Revises: 7ff7e91b0215
Create Date: 2026-11-25 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d03f6623b17'
down_revision = '7ff7e91b0215'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status', sa.String(length=12), server_default='active', nullable=False)
        )
    with op.batch_alter_table('member_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))

    # Inactive accounts were told apart by guessing; say it once: an open invitation means
    # invited, anything else inactive was deactivated.
    op.execute(
        "UPDATE ab_user SET status = 'invited' WHERE active = false AND id IN ("
        "SELECT user_id FROM member_invitation WHERE accepted_at IS NULL)"
    )
    op.execute(
        "UPDATE ab_user SET status = 'deactivated' WHERE active = false AND status = 'active'"
    )


def downgrade():
    with op.batch_alter_table('member_invitation', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('status')
