"""indexes for the team dashboard

Revision ID: d9056e0b5fa6
Revises: e32c3846d7ce
Create Date: 2026-11-25 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9056e0b5fa6'
down_revision = 'e32c3846d7ce'
branch_labels = None
depends_on = None


def upgrade():
    # The amounts awaiting payment are summed per currency over two statuses: with every column
    # read in the index, PostgreSQL answers without visiting the (wide) project rows.
    op.create_index(
        'ix_project_status_currency_price',
        'project',
        ['status', 'currency', 'final_price_cents'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_project_status_currency_price', table_name='project')
