"""lock an account for a while after repeated failed sign-ins

Revision ID: c7d4e1a9b3f2
Revises: c7d4e9a1b2f3
Create Date: 2026-12-05 21:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d4e1a9b3f2'
down_revision = 'c7d4e9a1b2f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins_since')
