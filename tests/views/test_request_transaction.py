"""A request that only read ends its transaction with COMMIT; any other one is rolled back."""

import pytest
from sqlalchemy import event, func, select, text, update

from app.database import end_request_transaction
from app.extensions import db
from app.models import Organisation
from tests.factories import OrganisationFactory, ProjectFactory
from tests.views.conftest import statements_of


@pytest.fixture
def ends(app):
    """Count the COMMITs and ROLLBACKs the engine sees."""
    seen = {"commit": 0, "rollback": 0}

    def on(name: str):
        def count(conn) -> None:  # noqa: ANN001
            seen[name] += 1

        return count

    listeners = [(name, on(name)) for name in seen]
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(db.engine, name, listener)


def names() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Organisation.name).order_by(Organisation.name)))


def test_a_page_that_only_read_commits_its_transaction(staff_client, ends):
    ProjectFactory.create_batch(2)
    ends.update(commit=0, rollback=0)

    statements_of(staff_client, "/admin/projects/list/")

    assert ends["commit"] == 1


def test_a_change_flushed_but_not_committed_is_rolled_back(app):
    with app.test_request_context():
        db.session.add(Organisation(name="Jamais écrite"))
        db.session.flush()
        end_request_transaction(None)
        assert names() == []


def test_a_change_not_flushed_is_not_committed(app):
    OrganisationFactory(name="Atelier Alpha")
    with app.test_request_context():
        db.session.scalars(select(Organisation)).one().name = "Atelier Modifié"
        end_request_transaction(None)
        assert names() == ["Atelier Alpha"]


@pytest.mark.parametrize(
    "statement",
    [
        update(Organisation).values(name="Atelier Modifié"),
        text("UPDATE organisation SET name = 'Atelier Modifié'"),
    ],
)
def test_a_write_run_through_the_session_is_not_committed(app, statement):
    OrganisationFactory(name="Atelier Alpha")
    with app.test_request_context():
        db.session.execute(statement)
        end_request_transaction(None)
        assert names() == ["Atelier Alpha"]


def test_a_failed_request_is_not_committed(app, ends):
    OrganisationFactory()
    ends.update(commit=0, rollback=0)
    with app.test_request_context():
        db.session.scalar(select(func.count()).select_from(Organisation))
        end_request_transaction(RuntimeError("the view failed"))
        assert db.session().in_transaction()
        assert ends["commit"] == 0


def test_reads_after_a_committed_write_still_commit(app, ends):
    ends.update(commit=0, rollback=0)
    with app.test_request_context():
        db.session.add(Organisation(name="Atelier Écrit"))
        db.session.commit()
        db.session.scalar(select(func.count()).select_from(Organisation))
        end_request_transaction(None)
        assert not db.session().in_transaction()
        assert ends["commit"] == 2
