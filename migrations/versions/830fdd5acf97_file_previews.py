"""previews of files: sheets, pictures, viewer data, keyed by the bytes' SHA-256

Revision ID: 830fdd5acf97
Revises: f85ade976c24
Create Date: 2026-12-06 03:15:24.311126

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '830fdd5acf97'
down_revision = 'f85ade976c24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('file_preview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('reader', sa.String(length=16), nullable=False),
    sa.Column('generator_version', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('sheet', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('reason_params', sa.Text(), nullable=True),
    sa.Column('picture_key', sa.String(length=80), nullable=True),
    sa.Column('thumbnail_key', sa.String(length=80), nullable=True),
    sa.Column('watermark_key', sa.String(length=80), nullable=True),
    sa.Column('viewer_key', sa.String(length=80), nullable=True),
    sa.Column('viewer_name', sa.String(length=40), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('peak_memory_bytes', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256', 'reader', name='uq_file_preview_sha256_reader')
    )
    # Which files share a preview's bytes: the clean-up of unused previews asks.
    op.create_index('ix_project_file_sha256', 'project_file', ['sha256'], unique=False)


def downgrade():
    op.drop_index('ix_project_file_sha256', table_name='project_file')
    op.drop_table('file_preview')
