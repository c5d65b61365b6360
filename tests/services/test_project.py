"""Creating, editing, deleting projects; priority and prices."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.errors import Invalid, LimitReached, NotFound, PermissionDenied
from app.extensions import db
from app.models import (
    Comment,
    Invoice,
    OutboxMessage,
    Payment,
    Project,
    ProjectEvent,
    ProjectFile,
    RequestedService,
)
from app.services.project import (
    ProjectInput,
    create_project,
    delete_project,
    edit_client_details,
    edit_project,
    set_prices,
    set_priority,
)
from tests.conftest import stored_files
from tests.factories import CommentFactory, OrganisationFactory, ProjectFactory
from tests.services.conftest import upload


def project_input(**overrides) -> ProjectInput:
    values = dict(
        client_name="Garage Moreau",
        client_email="Contact@Garage-Moreau.fr ",
        title="  Support moteur fraisé ",
        description="Usinage 3 axes, aluminium 7075.",
        client_phone="01 23 45 67 89",
        deadline=date.today() + timedelta(days=10),
    )
    values.update(overrides)
    return ProjectInput(**values)


def test_member_creates_project_pending_medium_with_reference_history_and_notice(cast):
    service = RequestedService(name="Programmation G-code", position=1)
    db.session.add(service)
    db.session.commit()

    project = create_project(
        cast.member_a,
        cast.org_a_id,
        project_input(service_ids=[service.id]),
        [upload("a.step"), upload("b.dxf")],
    )

    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status == "PENDING" and project.priority == "MEDIUM"
    assert project.reference == f"CNC-{date.today().year}-00001"
    assert project.title == "Support moteur fraisé"
    assert project.client_email == "contact@garage-moreau.fr"
    assert [s.name for s in project.services] == ["Programmation G-code"]
    assert project.currency == "EUR" and project.created_by_id == cast.member_a.user_id
    files = db.session.scalars(
        select(ProjectFile).where(ProjectFile.project_id == project.id)
    ).all()
    assert sorted(f.original_name for f in files) == ["a.step", "b.dxf"]
    assert {f.kind for f in files} == {"PROJECT"}
    kinds = db.session.scalars(
        select(ProjectEvent.kind).where(ProjectEvent.project_id == project.id)
    ).all()
    assert sorted(kinds) == ["CREATED", "FILE_ADDED", "FILE_ADDED"]
    jobs = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.project_id == project.id)
    ).all()
    assert [j.job for j in jobs] == ["send_notification"]
    assert '"project_created"' in jobs[0].payload


def test_references_follow_each_other_and_are_never_reused(cast):
    first = create_project(cast.team, cast.org_a_id, project_input())
    delete_project(cast.team, first.id, confirmed=True)
    second = create_project(cast.team, cast.org_b_id, project_input())
    assert first.reference.endswith("-00001")
    assert second.reference.endswith("-00002")


def test_member_cannot_create_for_another_organisation(cast, unchanged):
    error = unchanged(
        lambda: create_project(cast.member_a, cast.org_b_id, project_input()), PermissionDenied
    )
    assert str(error) == "You can only create projects for your own organisation."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_name": "  "}, "The client's name is required."),
        ({"client_email": "pas-un-email"}, "pas-un-email is not a valid email address."),
        ({"title": ""}, "The title is required."),
        ({"title": "x" * 201}, "The title is too long."),
        ({"deadline": date.today() - timedelta(days=1)}, "The deadline cannot be in the past."),
        ({"client_language": "de"}, "Choose French or English for the client's emails."),
        ({"service_ids": [999]}, "Choose services from the list."),
        ({"description": "a\x00b"}, "The text contains a forbidden character."),
    ],
)
def test_invalid_input_is_refused_with_its_message(cast, unchanged, overrides, message):
    error = unchanged(
        lambda: create_project(cast.member_a, cast.org_a_id, project_input(**overrides)), Invalid
    )
    assert str(error) == message


def test_limit_counts_every_project_but_cancelled(cast, unchanged):
    organisation = OrganisationFactory(project_limit=2)
    ProjectFactory(organisation=organisation, status="PAID")
    ProjectFactory(organisation=organisation, status="CANCELLED")
    create_project(cast.team, organisation.id, project_input())

    error = unchanged(
        lambda: create_project(cast.team, organisation.id, project_input()), LimitReached
    )
    assert "limit of 2 projects" in str(error)
    assert "Delete a project" in str(error)


def test_files_of_a_refused_creation_leave_no_bytes(cast, storage, app):
    organisation = OrganisationFactory(project_limit=0)
    with pytest.raises(LimitReached):
        create_project(cast.team, organisation.id, project_input(), [upload()])
    assert stored_files(storage.root) == []


def test_edit_changes_allowed_fields_and_records_what_changed(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id, title="Ancien titre")
    edit_project(cast.member_a, project.id, {"title": "Nouveau titre", "client_phone": ""})
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.title == "Nouveau titre" and project.client_phone is None
    event = db.session.scalars(select(ProjectEvent).where(ProjectEvent.kind == "EDITED")).one()
    assert "Ancien titre" in event.details and "Nouveau titre" in event.details


@pytest.mark.parametrize("field", ["status", "priority", "final_price_cents", "organisation_id"])
def test_edit_refuses_fields_outside_the_form(cast, unchanged, field):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    error = unchanged(
        lambda: edit_project(cast.member_a, project.id, {field: "x"}), PermissionDenied
    )
    assert field in str(error)


def test_cancelled_project_is_read_only(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="CANCELLED")
    error = unchanged(
        lambda: edit_project(cast.team, project.id, {"title": "Autre"}), PermissionDenied
    )
    assert str(error) == "A cancelled project can no longer be changed."


def test_foreign_project_looks_missing(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_b_id)
    unchanged(lambda: edit_project(cast.member_a, project.id, {"title": "Piraté"}), NotFound)
    unchanged(lambda: delete_project(cast.member_a, project.id, confirmed=True), NotFound)


def test_delete_needs_confirmation(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    error = unchanged(lambda: delete_project(cast.member_a, project.id, confirmed=False), Invalid)
    assert "cannot be undone" in str(error)


def test_delete_removes_files_comments_history_and_keeps_payments_and_invoices(cast, storage):
    project = create_project(
        cast.member_a, cast.org_a_id, project_input(), [upload("plan.pdf", b"%PDF")]
    )
    key = db.session.scalars(select(ProjectFile.storage_key)).one()
    assert storage.exists(key)
    CommentFactory(project_obj=project)
    payment = Payment(
        organisation_id=cast.org_a_id,
        project_id=project.id,
        project_reference=project.reference,
        project_title=project.title,
        organisation_name="Atelier Dupont",
        client_name=project.client_name,
        client_email=project.client_email,
        amount_cents=12000,
        currency="EUR",
        method="TRANSFER",
        paid_at=project.created_at,
    )
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        Invoice(
            organisation_id=cast.org_a_id,
            number="F-2026-00001",
            year=2026,
            sequence=1,
            payment_id=payment.id,
            project_id=project.id,
            project_reference=project.reference,
            project_title=project.title,
            organisation_name="Atelier Dupont",
            client_name=project.client_name,
            client_email=project.client_email,
            seller_name="CNC Pulse",
            seller_address="Lyon",
            vat_rate_basis_points=2000,
            amount_excl_cents=10000,
            vat_cents=2000,
            amount_incl_cents=12000,
            currency="EUR",
        )
    )
    db.session.commit()

    delete_project(cast.member_a, project.id, confirmed=True)

    db.session.expire_all()
    assert db.session.get(Project, project.id) is None
    for model in (ProjectFile, Comment, ProjectEvent):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert not storage.exists(key)
    kept = db.session.scalars(select(Payment)).one()
    assert kept.project_id is None and kept.project_reference == project.reference
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.project_id is None and invoice.amount_incl_cents == 12000


def test_priority_is_team_only_and_recorded(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    error = unchanged(
        lambda: set_priority(cast.org_admin_a, project.id, "URGENT"), PermissionDenied
    )
    assert str(error) == "Only the team can set the priority."
    unchanged(lambda: set_priority(cast.team, project.id, "VITE"), Invalid)

    set_priority(cast.team, project.id, "URGENT")
    db.session.expire_all()
    assert db.session.get(Project, project.id).priority == "URGENT"
    assert db.session.scalars(select(ProjectEvent.kind)).all() == ["PRIORITY"]


def test_prices_are_team_only_positive_and_frozen_once_completed(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_REVIEW")
    error = unchanged(
        lambda: set_prices(cast.member_a, project.id, final_price_cents=100), PermissionDenied
    )
    assert str(error) == "Only the team can set prices."
    unchanged(lambda: set_prices(cast.team, project.id, final_price_cents=-1), Invalid)

    set_prices(cast.admin, project.id, estimated_price_cents=45000, final_price_cents=48000)
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert (project.estimated_price_cents, project.final_price_cents) == (45000, 48000)

    done = ProjectFactory(
        organisation_id=cast.org_a_id, status="AWAITING_PAYMENT", final_price_cents=100
    )
    error = unchanged(lambda: set_prices(cast.team, done.id, final_price_cents=50), Invalid)
    assert "Prices cannot change once a project is Awaiting payment." == str(error)


@pytest.mark.parametrize("status", ["PENDING", "AWAITING_PAYMENT", "PAID"])
def test_the_team_corrects_the_clients_details_and_the_history_keeps_old_and_new(cast, status):
    project = ProjectFactory(
        organisation_id=cast.org_a_id,
        status=status,
        client_name="Jean Dupond",
        client_email="jean.dupond@exmple.com",
        client_phone=None,
        client_language="fr",
    )

    changed = edit_client_details(
        cast.team,
        project.id,
        {
            "client_name": "Jean Dupont",
            "client_email": " Jean.Dupont@Example.com ",
            "client_phone": "+33 6 12 34 56 78",
            "client_language": "en",
        },
    )

    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert (
        project.client_name,
        project.client_email,
        project.client_phone,
        project.client_language,
    ) == ("Jean Dupont", "jean.dupont@example.com", "+33 6 12 34 56 78", "en")
    assert set(changed) == {"client_name", "client_email", "client_phone", "client_language"}
    event = db.session.scalars(select(ProjectEvent).where(ProjectEvent.kind == "EDITED")).one()
    assert json.loads(event.details) == {
        "client_name": {"from": "Jean Dupond", "to": "Jean Dupont"},
        "client_email": {"from": "jean.dupond@exmple.com", "to": "jean.dupont@example.com"},
        "client_phone": {"from": None, "to": "+33 6 12 34 56 78"},
        "client_language": {"from": "fr", "to": "en"},
    }
    assert event.actor_id == cast.team.user_id and event.actor_name == "Théo Équipe"


def test_unchanged_client_details_record_nothing(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id, client_name="Jean Dupont")

    changed = edit_client_details(cast.admin, project.id, {"client_name": "Jean Dupont "})

    assert changed == {}
    assert db.session.scalar(select(func.count()).select_from(ProjectEvent)) == 0


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"client_email": "jean.dupont@"}, Invalid, "jean.dupont@ is not a valid email address."),
        ({"client_email": "  "}, Invalid, "The client's email is required."),
        ({"client_name": ""}, Invalid, "The client's name is required."),
        ({"client_language": "de"}, Invalid, "Choose French or English for the client's emails."),
        ({"client_phone": "6" * 41}, Invalid, "The client's phone is too long."),
        (
            {"title": "Autre"},
            PermissionDenied,
            "These fields cannot be changed here: title.",
        ),
    ],
)
def test_bad_client_details_are_refused_and_nothing_is_lost(
    cast, unchanged, changes, error, message
):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="AWAITING_PAYMENT")

    raised = unchanged(
        lambda: edit_client_details(
            cast.team, project.id, {"client_name": "Jean Dupont", **changes}
        ),
        error,
    )

    assert str(raised) == message


def test_client_details_are_the_teams_and_not_for_a_cancelled_project(cast, unchanged):
    own = ProjectFactory(organisation_id=cast.org_a_id)
    cancelled = ProjectFactory(organisation_id=cast.org_a_id, status="CANCELLED")

    for who in (cast.org_admin_a, cast.member_a):
        raised = unchanged(
            lambda who=who: edit_client_details(who, own.id, {"client_name": "X"}),
            PermissionDenied,
        )
        assert str(raised) == "Only the team can correct the client's details."
    raised = unchanged(
        lambda: edit_client_details(cast.team, cancelled.id, {"client_name": "X"}),
        PermissionDenied,
    )
    assert str(raised) == "A cancelled project can no longer be changed."
    unchanged(lambda: edit_client_details(cast.team, 424242, {"client_name": "X"}), NotFound)
