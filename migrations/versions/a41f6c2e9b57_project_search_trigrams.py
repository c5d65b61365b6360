"""trigram indexes for the project search

Revision ID: a41f6c2e9b57
Revises: 5c2d8e7f1a90
Create Date: 2026-12-05 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a41f6c2e9b57'
down_revision = '5c2d8e7f1a90'
branch_labels = None
depends_on = None

# The columns the project search reads with ILIKE '%text%'.
SEARCHED_COLUMNS = ('reference', 'title', 'client_name', 'description')


def upgrade():
    # PostgreSQL answers ILIKE '%text%' from a trigram index (one bitmap per column, OR-ed)
    # instead of reading every project. SQLite has no trigram index: it gets a plain index of
    # the same name, so that one schema describes both databases, and its search scans.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for column in SEARCHED_COLUMNS:
        op.create_index(
            f'ix_project_{column}_trgm',
            'project',
            [column],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={column: 'gin_trgm_ops'},
        )


def downgrade():
    for column in SEARCHED_COLUMNS:
        op.drop_index(f'ix_project_{column}_trgm', table_name='project')
