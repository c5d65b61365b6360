"""credit notes; the client's postal address; payment date and method on invoices

Revision ID: b6e3d52a9c14
Revises: b81e5d2c9a40
Create Date: 2026-12-06 00:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b6e3d52a9c14'
down_revision = 'b81e5d2c9a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.Text(), nullable=True))
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('payment_method', sa.String(length=12), nullable=True))
    # Invoices issued so far print the payment they were issued for: its date and method.
    op.execute(
        "UPDATE invoice SET"
        " paid_at = (SELECT payment.paid_at FROM payment WHERE payment.id = invoice.payment_id),"
        " payment_method = (SELECT payment.method FROM payment"
        " WHERE payment.id = invoice.payment_id)"
    )
    op.create_table('credit_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('invoice_number', sa.String(length=32), nullable=False),
    sa.Column('invoice_issued_at', sa.DateTime(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('project_reference', sa.String(length=32), nullable=False),
    sa.Column('project_title', sa.String(length=200), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('client_email', sa.String(length=320), nullable=False),
    sa.Column('client_address', sa.Text(), nullable=True),
    sa.Column('seller_name', sa.String(length=200), nullable=False),
    sa.Column('seller_address', sa.Text(), nullable=False),
    sa.Column('seller_registration', sa.String(length=100), nullable=True),
    sa.Column('seller_vat_number', sa.String(length=100), nullable=True),
    sa.Column('vat_rate_basis_points', sa.Integer(), nullable=False),
    sa.Column('amount_excl_cents', sa.Integer(), nullable=False),
    sa.Column('vat_cents', sa.Integer(), nullable=False),
    sa.Column('amount_incl_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_method', sa.String(length=12), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('refund_id'),
    sa.UniqueConstraint('year', 'sequence')
    )
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_note_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_note_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_project_id'))
        batch_op.drop_index(batch_op.f('ix_credit_note_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_credit_note_invoice_id'))
    op.drop_table('credit_note')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('payment_method')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('client_address')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('client_address')
