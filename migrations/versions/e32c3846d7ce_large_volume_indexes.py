"""the work queue order, stored and indexed

Revision ID: e32c3846d7ce
Revises: 5956b924388a
Create Date: 2026-11-25 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e32c3846d7ce'
down_revision = '5956b924388a'
branch_labels = None
depends_on = None


def upgrade():
    # The band of the team's work queue (URGENT 0, HIGH 1, else 2), stored so that one index
    # serves the queue's order; app.models.project keeps it in step with the priority.
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('queue_band', sa.SmallInteger(), server_default='2', nullable=False)
        )
    # Every other priority is in the last band, the column's default.
    op.execute(
        "UPDATE project SET queue_band = CASE priority WHEN 'URGENT' THEN 0 ELSE 1 END"
        " WHERE priority IN ('URGENT', 'HIGH')"
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(
            'ix_project_work_queue',
            ['queue_band', 'deadline', 'created_at', 'id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_work_queue')
        batch_op.drop_column('queue_band')
