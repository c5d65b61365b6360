"""Two people moving one project at the same moment: the row lock serialises them."""

import threading

import pytest
from sqlalchemy import text

from app.domain.errors import TransitionNotAllowed
from app.extensions import db
from app.models import Project, ProjectEvent
from app.services.workflow import change_status
from tests.factories import ProjectFactory


@pytest.mark.postgres_only
def test_two_moves_from_the_same_status_cannot_both_apply(app, cast):
    project = ProjectFactory(
        organisation_id=cast.org_a_id, status="IN_REVIEW", estimated_price_cents=1000
    )
    outcome: dict[str, object] = {}

    def second_person() -> None:
        with app.app_context():
            try:
                change_status(cast.team, project.id, "IN_PROGRESS")
                outcome["result"] = "applied"
            except TransitionNotAllowed as error:
                outcome["result"] = str(error)

    # The first person holds the row, as change_status does, and steps the project back.
    with db.engine.connect() as first:
        transaction = first.begin()
        first.execute(text("SELECT id FROM project WHERE id = :id FOR UPDATE"), {"id": project.id})
        thread = threading.Thread(target=second_person)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second move must wait for the first one's lock"
        first.execute(
            text("UPDATE project SET status = 'PENDING' WHERE id = :id"), {"id": project.id}
        )
        transaction.commit()
    thread.join(timeout=10)

    assert outcome["result"] == "A project cannot move from Pending to In progress."
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == "PENDING"
    assert db.session.query(ProjectEvent).count() == 0
