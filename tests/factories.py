"""Test data, committed like real data so a refused use case can be shown to change nothing."""

import itertools
from datetime import UTC, datetime

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app
from werkzeug.security import generate_password_hash

from app.domain.money import split_vat
from app.domain.policy import Role, Viewer
from app.extensions import db
from app.models import (
    AppUser,
    Comment,
    Invoice,
    Organisation,
    Payment,
    Project,
    ProjectFile,
    Refund,
)

PASSWORD = "mot-de-passe-de-test"
# Hashing with scrypt for every test user would dominate the run time.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
# Far above what the services number in a test, so a factory row never takes a service's number.
_references = itertools.count(50001)
_invoices = itertools.count(50001)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Atelier {n}")
    project_limit = None


class UserFactory(BaseFactory):
    class Meta:
        model = AppUser

    class Params:
        role = Role.ORG_MEMBER

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    username = factory.SelfAttribute("email")
    password = _PASSWORD_HASH
    active = True
    language = "fr"
    organisation = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role in (Role.ORG_ADMIN, Role.ORG_MEMBER)),
        yes_declaration=factory.SubFactory(OrganisationFactory),
        no_declaration=None,
    )
    roles = factory.LazyAttribute(
        lambda o: [current_app.appbuilder.sm.find_role(Role(o.role).value)]
    )


class ProjectFactory(BaseFactory):
    class Meta:
        model = Project

    organisation_id = None
    organisation = factory.Maybe(
        "organisation_id",
        yes_declaration=None,
        no_declaration=factory.SubFactory(OrganisationFactory),
    )
    reference = factory.LazyFunction(lambda: f"CNC-2026-{next(_references):05d}")
    client_name = factory.Faker("name", locale="fr_FR")
    client_email = factory.Sequence(lambda n: f"client{n}@example.test")
    client_phone = "+33 1 23 45 67 89"
    title = factory.Sequence(lambda n: f"Bride d'usinage {n}")
    description = "Programmation G-code pour une bride en aluminium 6061."
    status = "PENDING"
    priority = "MEDIUM"
    currency = "EUR"
    created_at = factory.LazyFunction(lambda: datetime.now(UTC))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Given an organisation_id, an empty relationship must not overwrite it with NULL.
        if kwargs.get("organisation") is None:
            kwargs.pop("organisation", None)
        return super()._create(model_class, *args, **kwargs)


class FileFactory(BaseFactory):
    class Meta:
        model = ProjectFile

    project_id = factory.LazyAttribute(lambda o: o.project_obj.id)
    organisation_id = factory.LazyAttribute(lambda o: o.project_obj.organisation_id)
    kind = "PROJECT"
    storage_key = factory.Sequence(lambda n: f"{n:040x}")
    original_name = factory.Sequence(lambda n: f"piece-{n}.step")
    size_bytes = 1024
    content_type = "application/octet-stream"
    sha256 = "0" * 64

    class Params:
        project_obj = None


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    project_id = factory.LazyAttribute(lambda o: o.project_obj.id)
    organisation_id = factory.LazyAttribute(lambda o: o.project_obj.organisation_id)
    author_name = "Équipe CNC Pulse"
    body = "Pouvez-vous préciser la tolérance sur l'alésage ?"
    is_internal = False

    class Params:
        project_obj = None


def viewer(user: AppUser) -> Viewer:
    from app.security import viewer_for

    found = viewer_for(user)
    assert found is not None
    return found


def paid(
    project: Project,
    paid_at: datetime,
    *,
    amount_cents: int = 120_00,
    number: str | None = None,
    method: str = "STRIPE",
    refunds: tuple[tuple[int, datetime], ...] = (),
    stripe_id: str | None = None,
) -> Payment:
    """Record a payment of a project as the accountant reads it: payment, invoice, refunds.

    Amounts split at 20 % VAT; ``refunds`` are (cents, moment) pairs.
    """
    payment = Payment(
        organisation_id=project.organisation_id,
        project_id=project.id,
        project_reference=project.reference,
        project_title=project.title,
        organisation_name=project.organisation.name,
        client_name=project.client_name,
        client_email=project.client_email,
        amount_cents=amount_cents,
        refunded_cents=sum(cents for cents, _ in refunds),
        currency=project.currency,
        method=method,
        status="PARTIALLY_REFUNDED" if refunds else "SUCCEEDED",
        stripe_checkout_session_id=f"cs_test_{stripe_id}" if stripe_id else None,
        stripe_payment_intent_id=f"pi_test_{stripe_id}" if stripe_id else None,
        paid_at=paid_at,
    )
    db.session.add(payment)
    db.session.flush()
    excl, vat = split_vat(amount_cents, 2000)
    year = paid_at.year
    sequence = next(_invoices)
    db.session.add(
        Invoice(
            organisation_id=project.organisation_id,
            number=number or f"F-{year}-{sequence:05d}",
            year=year,
            sequence=sequence,
            payment_id=payment.id,
            project_id=project.id,
            project_reference=project.reference,
            project_title=project.title,
            organisation_name=project.organisation.name,
            client_name=project.client_name,
            client_email=project.client_email,
            seller_name="CNC Pulse",
            seller_address="1 rue de l'Usinage, 69000 Lyon",
            vat_rate_basis_points=2000,
            amount_excl_cents=excl,
            vat_cents=vat,
            amount_incl_cents=amount_cents,
            currency=project.currency,
            issued_at=paid_at,
        )
    )
    for index, (cents, moment) in enumerate(refunds):
        db.session.add(
            Refund(
                organisation_id=project.organisation_id,
                payment_id=payment.id,
                amount_cents=cents,
                stripe_refund_id=f"re_test_{stripe_id}_{index}" if stripe_id else None,
                created_at=moment,
            )
        )
    db.session.commit()
    return payment
