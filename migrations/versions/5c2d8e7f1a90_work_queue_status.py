"""the work queue's index carries the status

Revision ID: 5c2d8e7f1a90
Revises: 3b7e9c41d2a8
Create Date: 2026-11-25 09:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2d8e7f1a90'
down_revision = '3b7e9c41d2a8'
branch_labels = None
depends_on = None


def upgrade():
    # The team's list filtered by status or by a dashboard group walks the work queue's index
    # and checks each entry's status: carried in the index (PostgreSQL's INCLUDE), the check
    # reads no row. Other databases keep the index as it was.
    op.drop_index('ix_project_work_queue', table_name='project')
    op.create_index(
        'ix_project_work_queue',
        'project',
        ['queue_band', 'deadline', 'created_at', 'id'],
        unique=False,
        postgresql_include=['status'],
    )


def downgrade():
    op.drop_index('ix_project_work_queue', table_name='project')
    op.create_index(
        'ix_project_work_queue',
        'project',
        ['queue_band', 'deadline', 'created_at', 'id'],
        unique=False,
    )
