"""The demo data: every role, every status, real histories; loaded once."""

from sqlalchemy import func, select

from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.models import AppUser, Comment, Invoice, Organisation, Payment, Project, ProjectFile
from app.services.demo import DEMO_LOGINS, seed_demo


def test_seed_demo_loads_every_role_and_status_once(app):
    assert seed_demo() is True
    assert seed_demo() is False

    assert db.session.scalar(select(func.count(Organisation.id))) == 2
    roles = {user.email: user.roles[0].name for user in db.session.scalars(select(AppUser))}
    assert roles == {email: role for email, _, role in DEMO_LOGINS}
    statuses = set(db.session.scalars(select(Project.status)))
    assert statuses == {status.value for status in ProjectStatus}
    assert db.session.scalar(select(func.count(ProjectFile.id))) > 2 * len(statuses)
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.is_internal)) > 0
    invoice = db.session.scalars(select(Invoice)).one()
    payment = db.session.scalars(select(Payment)).one()
    assert invoice.payment_id == payment.id and invoice.number.endswith("-00001")
    assert invoice.amount_excl_cents + invoice.vat_cents == invoice.amount_incl_cents == 18000
    assert invoice.seller_vat_number == "FR12912345678"
