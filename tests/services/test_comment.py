"""Comments and internal notes."""

import json

import pytest
from sqlalchemy import select

from app.domain.errors import Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.models import OutboxMessage
from app.queries.project_page import comments_for
from app.services.comment import add_comment
from tests.factories import ProjectFactory


def test_member_comment_is_public_and_notifies_the_team(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    comment = add_comment(cast.member_a, project.id, "  La tolérance est de ±0,02 mm.  ")
    assert comment.body == "La tolérance est de ±0,02 mm."
    assert comment.is_internal is False and comment.author_name == "Lucas Martin"
    payload = json.loads(db.session.scalars(select(OutboxMessage.payload)).one())
    assert payload["event"] == "comment_added"
    assert payload["data"] == {"comment_id": comment.id, "author_is_staff": False}


def test_internal_notes_are_for_staff_eyes_only(cast, unchanged):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    error = unchanged(
        lambda: add_comment(cast.member_a, project.id, "note", internal=True), PermissionDenied
    )
    assert str(error) == "Only the team can write internal notes."
    add_comment(cast.team, project.id, "Client difficile, vérifier le devis.", internal=True)
    add_comment(cast.team, project.id, "Nous avons bien reçu vos fichiers.")

    assert [c.body for c in comments_for(cast.member_a, project.id)] == [
        "Nous avons bien reçu vos fichiers."
    ]
    assert len(comments_for(cast.team, project.id)) == 2
    # An internal note notifies nobody; the public one notifies the organisation.
    [payload] = db.session.scalars(select(OutboxMessage.payload)).all()
    assert json.loads(payload)["data"]["author_is_staff"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   ", "Write a message before sending it."),
        ("x" * 10001, "A comment cannot exceed 10000 characters."),
    ],
)
def test_empty_or_overlong_comments_are_refused(cast, unchanged, body, message):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    assert str(unchanged(lambda: add_comment(cast.member_a, project.id, body), Invalid)) == message


def test_no_comment_on_a_cancelled_or_foreign_project(cast, unchanged):
    cancelled = ProjectFactory(organisation_id=cast.org_a_id, status="CANCELLED")
    unchanged(lambda: add_comment(cast.member_a, cancelled.id, "Bonjour"), PermissionDenied)
    foreign = ProjectFactory(organisation_id=cast.org_b_id)
    unchanged(lambda: add_comment(cast.member_a, foreign.id, "Bonjour"), NotFound)
    with pytest.raises(NotFound):
        comments_for(cast.member_a, foreign.id)
