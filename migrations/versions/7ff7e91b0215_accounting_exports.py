"""accounting exports

Revision ID: 7ff7e91b0215
Revises: bb0e291cad9e
Create Date: 2026-11-25 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7ff7e91b0215'
down_revision = 'bb0e291cad9e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounting_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('dialect', sa.String(length=20), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('marks_lines', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounting_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounting_export_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounting_export_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounting_export_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('journal_export_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['export_id'], ['accounting_export.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('payment_id'),
    sa.UniqueConstraint('refund_id')
    )
    with op.batch_alter_table('journal_export_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_export_line_export_id'), ['export_id'], unique=False)


def downgrade():
    with op.batch_alter_table('journal_export_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_export_line_export_id'))

    op.drop_table('journal_export_line')
    with op.batch_alter_table('accounting_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounting_export_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_accounting_export_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_accounting_export_created_at'))

    op.drop_table('accounting_export')
