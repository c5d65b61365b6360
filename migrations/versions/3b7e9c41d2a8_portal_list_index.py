"""the portal list's order in its index

Revision ID: 3b7e9c41d2a8
Revises: d9056e0b5fa6
Create Date: 2026-11-25 09:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e9c41d2a8'
down_revision = 'd9056e0b5fa6'
branch_labels = None
depends_on = None


def upgrade():
    # The portal lists an organisation's projects by creation date, then id: with the id in the
    # index, a page's ids are read from the index alone, in order, however deep the page.
    op.drop_index('ix_project_org_created', table_name='project')
    op.create_index(
        'ix_project_org_created', 'project', ['organisation_id', 'created_at', 'id'], unique=False
    )


def downgrade():
    op.drop_index('ix_project_org_created', table_name='project')
    op.create_index(
        'ix_project_org_created', 'project', ['organisation_id', 'created_at'], unique=False
    )
