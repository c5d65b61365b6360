"""stripe checkout sessions and payment records

Revision ID: bb0e291cad9e
Revises: fe666fd891b7
Create Date: 2026-11-25 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb0e291cad9e'
down_revision = 'fe666fd891b7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_checkout_session',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('payment_link_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_link_id'], ['payment_link.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stripe_checkout_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_checkout_session_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_checkout_session_payment_link_id'), ['payment_link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_checkout_session_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_stripe_checkout_session_status', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stripe_checkout_session', schema=None) as batch_op:
        batch_op.drop_index('ix_stripe_checkout_session_status')
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_session_project_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_session_payment_link_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_session_organisation_id'))

    op.drop_table('stripe_checkout_session')
