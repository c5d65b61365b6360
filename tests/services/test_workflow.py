"""Status moves through the service: rules, history, effects, notices."""

import json

import pytest
from sqlalchemy import select

from app.domain.errors import Invalid, NotFound, PermissionDenied, TransitionNotAllowed
from app.extensions import db
from app.models import Comment, OutboxMessage, PaymentLink, Project, ProjectEvent
from app.services.payment_link import mark_payment_link_sent, open_client_link
from app.services.workflow import change_status
from tests.factories import FileFactory, ProjectFactory


def reload(project_id: int) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project_id)


def outbox_events(project_id: int) -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.project_id == project_id)
        .order_by(OutboxMessage.created_at)
    )
    return [json.loads(row.payload)["event"] for row in rows]


def test_team_moves_project_and_history_records_who_when_from_to_note(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    change_status(cast.team, project.id, "IN_REVIEW")
    change_status(cast.team, project.id, "PENDING", note="Il manque le plan 2D.")

    events = db.session.scalars(select(ProjectEvent).order_by(ProjectEvent.id)).all()
    assert [(e.from_status, e.to_status, e.note) for e in events] == [
        ("PENDING", "IN_REVIEW", None),
        ("IN_REVIEW", "PENDING", "Il manque le plan 2D."),
    ]
    assert {e.actor_name for e in events} == {"Théo Équipe"}
    assert all(e.actor_id == cast.team.user_id for e in events)
    assert outbox_events(project.id) == ["status_changed", "status_changed"]


def test_organisation_users_never_change_status(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    error = unchanged(
        lambda: change_status(cast.org_admin_a, project.id, "IN_REVIEW"), PermissionDenied
    )
    assert str(error) == "Only the team can change a project's status."


def test_foreign_member_cannot_learn_the_project_exists(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    unchanged(lambda: change_status(cast.member_b, project.id, "IN_REVIEW"), NotFound)
    unchanged(lambda: change_status(cast.team, 987654, "IN_REVIEW"), NotFound)


@pytest.mark.parametrize(
    ("status", "target", "error", "message"),
    [
        (
            "PENDING",
            "COMPLETED",
            TransitionNotAllowed,
            "A project cannot move from Pending to Completed.",
        ),
        (
            "PAID",
            "CANCELLED",
            TransitionNotAllowed,
            "A project cannot move from Paid to Cancelled.",
        ),
        ("PENDING", "PENDING", TransitionNotAllowed, "The project is already Pending."),
        (
            "IN_REVIEW",
            "IN_PROGRESS",
            Invalid,
            "Set an estimated price before starting work on the project.",
        ),
        (
            "IN_REVIEW",
            "PENDING",
            Invalid,
            "A note is required to move a project back from In review to Pending.",
        ),
        ("IN_PROGRESS", "REJECTED", Invalid, "A reason is required to reject a project."),
        (
            "IN_PROGRESS",
            "COMPLETED",
            Invalid,
            "Set a final price above zero before completing the project.",
        ),
        (
            "COMPLETED",
            "AWAITING_PAYMENT",
            TransitionNotAllowed,
            "A project moves from Completed to Awaiting payment on its own, never by hand.",
        ),
        (
            "AWAITING_PAYMENT",
            "PAID",
            Invalid,
            "Record the payment received to mark the project as paid.",
        ),
        ("PENDING", "ARCHIVED", Invalid, "Unknown status ARCHIVED."),
    ],
)
def test_refused_moves_say_why_and_change_nothing(cast, unchanged, status, target, error, message):
    project = ProjectFactory(organisation_id=cast.org_a_id, status=status)
    raised = unchanged(lambda: change_status(cast.team, project.id, target), error)
    assert str(raised) == message


def test_completion_needs_a_deliverable(cast, unchanged):
    project = ProjectFactory(
        organisation_id=cast.org_a_id, status="IN_PROGRESS", final_price_cents=50000
    )
    FileFactory(project_obj=project, kind="PROJECT")
    raised = unchanged(lambda: change_status(cast.team, project.id, "COMPLETED"), Invalid)
    assert str(raised) == "Upload at least one deliverable before completing the project."


def test_completion_sets_date_issues_a_link_and_awaits_payment_once_the_email_is_sent(cast):
    project = ProjectFactory(
        organisation_id=cast.org_a_id, status="IN_PROGRESS", final_price_cents=50000
    )
    FileFactory(project_obj=project, kind="DELIVERABLE")

    change_status(cast.team, project.id, "COMPLETED")

    project = reload(project.id)
    assert project.status == "COMPLETED" and project.completed_at is not None
    link = db.session.scalars(select(PaymentLink)).one()
    assert len(link.token_hash) == 64 and link.sent_at is None and link.revoked_at is None
    assert 6.9 < (link.expires_at - link.created_at).total_seconds() / 86400 <= 7
    assert outbox_events(project.id) == ["project_completed", "payment_link_issued"]
    payload = json.loads(
        db.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.payload.contains("token"))
        ).one()
    )
    token = payload["data"]["token"]
    assert open_client_link(token).link.id == link.id
    assert token not in link.token_hash

    mark_payment_link_sent(link.id)
    mark_payment_link_sent(link.id)

    project = reload(project.id)
    assert project.status == "AWAITING_PAYMENT"
    moves = db.session.scalars(select(ProjectEvent).where(ProjectEvent.kind == "STATUS")).all()
    assert [(m.to_status, m.actor_name) for m in moves] == [
        ("COMPLETED", "Théo Équipe"),
        ("AWAITING_PAYMENT", "CNC Pulse"),
    ]


def test_rejection_posts_the_reason_as_public_comment(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_REVIEW")
    change_status(
        cast.team, project.id, "REJECTED", note="  Pièce hors de notre capacité machine.  "
    )
    comment = db.session.scalars(select(Comment)).one()
    assert comment.body == "Pièce hors de notre capacité machine."
    assert comment.is_internal is False and comment.author_name == "Théo Équipe"
    assert reload(project.id).status == "REJECTED"
    change_status(cast.team, project.id, "IN_REVIEW")
    assert reload(project.id).status == "IN_REVIEW"


def test_cancelling_voids_the_payment_link(cast):
    project = ProjectFactory(
        organisation_id=cast.org_a_id, status="IN_PROGRESS", final_price_cents=9900
    )
    FileFactory(project_obj=project, kind="DELIVERABLE")
    change_status(cast.team, project.id, "COMPLETED")
    token = json.loads(
        db.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.payload.contains("token"))
        ).one()
    )["data"]["token"]
    assert open_client_link(token) is not None

    change_status(cast.admin, project.id, "CANCELLED")

    assert open_client_link(token) is None
    assert db.session.scalars(select(PaymentLink)).one().revoked_at is not None
    assert reload(project.id).status == "CANCELLED"


def test_a_refused_move_queues_no_notification(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id, status="IN_REVIEW")
    with pytest.raises(Invalid):
        change_status(cast.team, project.id, "PENDING")
    assert outbox_events(project.id) == []
