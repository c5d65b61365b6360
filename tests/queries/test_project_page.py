"""The project page's reads: scoped to the viewer's organisation, internal notes for staff only."""

import json

import pytest

from app.domain.errors import NotFound
from app.extensions import db
from app.models import EventKind, ProjectEvent
from app.queries.project_page import (
    DeletionLoss,
    comments_for,
    deletion_loss,
    files_of,
    history_of,
    project_for,
)
from app.tenancy import set_tenant
from tests.factories import CommentFactory, FileFactory, ProjectFactory


def _event(project, details: dict[str, str]) -> None:
    db.session.add(
        ProjectEvent(
            project_id=project.id,
            organisation_id=project.organisation_id,
            kind=EventKind.FILE_ADDED.value,
            details=json.dumps(details),
            actor_name="Équipe CNC Pulse",
        )
    )
    db.session.commit()


def test_an_organisation_user_never_reads_an_internal_note(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    CommentFactory(project_obj=project, body="Bonjour")
    CommentFactory(project_obj=project, body="Client difficile", is_internal=True)
    # Entering a scope empties the session: keep the id, not the object.
    project_id = project.id
    set_tenant(db.session, cast.org_a_id)

    assert [c.body for c in comments_for(cast.member_a, project_id)] == ["Bonjour"]
    assert deletion_loss(project_id).comments == 1

    set_tenant(db.session, None)
    assert [c.body for c in comments_for(cast.team, project_id)] == ["Bonjour", "Client difficile"]


def test_another_organisations_project_reads_as_nothing(cast):
    foreign = ProjectFactory(organisation_id=cast.org_b_id)
    FileFactory(project_obj=foreign, original_name="CANARY.step")
    CommentFactory(project_obj=foreign)
    _event(foreign, {"name": "CANARY.step"})
    foreign_id = foreign.id
    set_tenant(db.session, cast.org_a_id)

    with pytest.raises(NotFound):
        project_for(cast.member_a, foreign_id)
    files = files_of(foreign_id)
    assert files.project_files == [] and files.deliverables == []
    assert history_of(foreign_id) == []
    assert deletion_loss(foreign_id) == DeletionLoss(files=0, comments=0)


def test_deliverables_stay_out_of_the_history_until_they_may_be_read(cast):
    project = ProjectFactory(organisation_id=cast.org_a_id)
    _event(project, {"kind": "PROJECT", "name": "plan.pdf"})
    _event(project, {"kind": "DELIVERABLE", "name": "bride.nc"})

    names = [entry.details["name"] for entry in history_of(project.id, deliverables=False)]

    assert names == ["plan.pdf"]
    assert len(history_of(project.id)) == 2
