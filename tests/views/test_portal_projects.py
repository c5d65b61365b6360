"""The portal's dashboard, project list, project page, creation, edition and deletion."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.policy import Role
from app.extensions import db
from app.models import Comment, Project, ProjectFile, RequestedService
from tests.factories import (
    CommentFactory,
    FileFactory,
    OrganisationFactory,
    ProjectFactory,
    UserFactory,
)
from tests.views.conftest import login, statements_of


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory(name="Atelier A"))


@pytest.fixture
def member_client(client, member):
    login(client, member.email)
    return client


def project_count() -> int:
    return db.session.scalar(select(func.count(Project.id)))


def test_the_index_sends_an_organisation_user_to_the_dashboard(member_client):
    response = member_client.get("/")

    assert response.status_code == 302
    assert response.location.endswith("/portal/")


def test_dashboard_counts_the_organisation_projects_by_group(member_client, member):
    for status in ("PENDING", "PENDING", "IN_REVIEW", "AWAITING_PAYMENT", "PAID", "CANCELLED"):
        ProjectFactory(organisation_id=member.organisation_id, status=status)
    ProjectFactory(status="PENDING")  # another organisation's

    page = member_client.get("/portal/").text

    expected = {"total": 6, "pending": 2, "in_progress": 1, "awaiting_payment": 1}
    expected |= {"paid": 1, "closed": 1}
    for key, count in expected.items():
        start = page.index(f'id="counter-{key}"')
        value = page[start:].split('cnc-counter-value">', 1)[1].split("<", 1)[0]
        assert int(value) == count, key
    assert 'href="/portal/projects/?status=pending"' in page
    assert "En attente" in page


def test_list_searches_filters_and_counts(member_client, member):
    org = member.organisation_id
    bride = ProjectFactory(organisation_id=org, title="Bride", client_name="Lucie Faure")
    ProjectFactory(organisation_id=org, title="Carter", description="acier inox", status="PAID")
    FileFactory(project_obj=bride)
    FileFactory(project_obj=bride)
    CommentFactory(project_obj=bride)
    CommentFactory(project_obj=bride, is_internal=True)
    bride_id = bride.id

    page = member_client.get("/portal/projects/").text
    row = page[page.index(f'data-project-id="{bride_id}"') :].split("</tr>", 1)[0]
    assert 'cnc-files-count">2<' in row
    assert 'cnc-comments-count">1<' in row
    assert "cnc-status-pending" in row

    assert "Carter" not in member_client.get("/portal/projects/?q=faure").text
    assert "Bride" not in member_client.get("/portal/projects/?q=INOX").text
    assert "Bride" not in member_client.get("/portal/projects/?status=PAID").text
    assert "Carter" not in member_client.get("/portal/projects/?status=pending").text
    assert "Bride" not in member_client.get("/portal/projects/?q=100%25").text
    by_reference = member_client.get(f"/portal/projects/?q={bride.reference.lower()}").text
    assert "Bride" in by_reference and "Carter" not in by_reference


def test_list_sorts_by_creation_date_and_caps_the_page_size(member_client, member):
    first_id = ProjectFactory(organisation_id=member.organisation_id, title="Premier").id
    ProjectFactory(organisation_id=member.organisation_id, title="Second")

    newest = member_client.get("/portal/projects/").text
    oldest = member_client.get("/portal/projects/?sort=created").text
    assert newest.index("Second") < newest.index("Premier")
    assert oldest.index("Premier") < oldest.index("Second")

    assert member_client.get("/portal/projects/?psize=100000").status_code == 200
    assert member_client.get("/portal/projects/?psize=abc").status_code == 400
    assert member_client.get("/portal/projects/?page=0").status_code == 400
    assert member_client.get("/portal/projects/?status=NOPE").status_code == 400
    second_page = member_client.get("/portal/projects/?psize=1&page=2").text
    assert f'data-project-id="{first_id}"' in second_page


def count_queries(client, url: str) -> int:
    return len(statements_of(client, url))


def test_list_runs_as_many_queries_for_thirty_rows_as_for_one(member_client, member):
    organisation_id = member.organisation_id

    def add_project() -> None:
        project = ProjectFactory(organisation_id=organisation_id)
        FileFactory(project_obj=project)
        CommentFactory(project_obj=project)

    add_project()
    count_queries(member_client, "/portal/projects/")  # the first request caches permissions
    one = count_queries(member_client, "/portal/projects/")
    for _ in range(29):
        add_project()

    assert count_queries(member_client, "/portal/projects/?psize=30") == one


def test_project_page_shows_public_comments_and_hides_internal_notes(member_client, member):
    project = ProjectFactory(organisation_id=member.organisation_id, title="Platine")
    CommentFactory(project_obj=project, body="Commentaire public")
    CommentFactory(project_obj=project, body="Marge confidentielle", is_internal=True)
    FileFactory(project_obj=project, original_name="plan.step")
    FileFactory(project_obj=project, kind="DELIVERABLE", original_name="secret.nc")

    page = member_client.get(f"/portal/projects/{project.id}").text

    assert "Platine" in page and "Commentaire public" in page and "plan.step" in page
    assert "Marge confidentielle" not in page
    assert "Note interne" not in page
    assert "secret.nc" not in page  # deliverables wait for COMPLETED


def test_deliverables_are_listed_from_completed_on(member_client, member):
    project = ProjectFactory(organisation_id=member.organisation_id, status="COMPLETED")
    deliverable = FileFactory(project_obj=project, kind="DELIVERABLE", original_name="piece.nc")
    pid, fid = project.id, deliverable.id

    page = member_client.get(f"/portal/projects/{pid}").text

    assert "piece.nc" in page
    assert f"/portal/projects/{pid}/files/{fid}" in page


def test_create_a_project_with_two_files(member_client, member, storage_dir):
    service = RequestedService(name="Programmation G-code", position=1)
    db.session.add(service)
    db.session.commit()
    deadline = (date.today() + timedelta(days=10)).isoformat()

    response = member_client.post(
        "/portal/projects/new",
        data={
            "client_name": "Paul Girard",
            "client_email": "paul@example.test",
            "client_phone": "0601020304",
            "client_language": "en",
            "title": "Support moteur",
            "description": "Aluminium",
            "service_ids": [str(service.id)],
            "deadline": deadline,
            "organisation_id": "999",
            "files": [(io.BytesIO(b"a" * 10), "a.step"), (io.BytesIO(b"b" * 20), "b.step")],
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    project = db.session.scalars(select(Project)).one()
    assert project.organisation_id == member.organisation_id
    assert (project.status, project.priority, project.client_language) == (
        "PENDING",
        "MEDIUM",
        "en",
    )
    assert [s.name for s in project.services] == ["Programmation G-code"]
    names = db.session.scalars(select(ProjectFile.original_name).order_by(ProjectFile.id)).all()
    assert names == ["a.step", "b.step"]
    assert response.location.endswith(f"/portal/projects/{project.id}")
    page = member_client.get(response.location).text
    assert "Support moteur" in page and "a.step" in page


def test_create_refuses_bad_input_and_keeps_what_was_typed(member_client):
    response = member_client.post(
        "/portal/projects/new",
        data={"client_name": "Paul", "client_email": "pas-un-email", "title": "Support"},
    )

    assert response.status_code == 422
    assert "pas-un-email n&#39;est pas une adresse e-mail valide" in response.text or (
        "pas-un-email" in response.text
    )
    assert 'value="Support"' in response.text
    assert project_count() == 0


def test_create_beyond_the_limit_gives_the_limit(member_client, member):
    member.organisation.project_limit = 1
    db.session.commit()
    ProjectFactory(organisation_id=member.organisation_id)

    response = member_client.post(
        "/portal/projects/new",
        data={"client_name": "Paul", "client_email": "paul@example.test", "title": "Support"},
    )

    assert response.status_code == 409
    assert "1" in response.text and "limite" in response.text
    assert project_count() == 1


def test_edit_saves_the_allowed_fields(member_client, member):
    pid = ProjectFactory(organisation_id=member.organisation_id, title="Ancien").id
    form = member_client.get(f"/portal/projects/{pid}/edit").text
    assert 'value="Ancien"' in form

    response = member_client.post(
        f"/portal/projects/{pid}/edit",
        data={"client_name": "Nouveau client", "client_email": "n@example.test", "title": "Neuf"},
    )

    assert response.status_code == 302
    project = db.session.get(Project, pid)
    assert (project.title, project.client_name) == ("Neuf", "Nouveau client")


@pytest.mark.parametrize("field", ["status", "priority", "final_price_cents"])
def test_edit_refuses_team_only_fields(member_client, member, field):
    pid = ProjectFactory(organisation_id=member.organisation_id, title="Ancien").id

    response = member_client.post(
        f"/portal/projects/{pid}/edit",
        data={"client_name": "X", "client_email": "x@example.test", "title": "Neuf", field: "1"},
    )

    assert response.status_code == 403
    assert field in response.text
    assert db.session.get(Project, pid).title == "Ancien"


def test_a_cancelled_project_cannot_be_edited(member_client, member):
    project = ProjectFactory(organisation_id=member.organisation_id, status="CANCELLED")

    assert member_client.get(f"/portal/projects/{project.id}/edit").status_code == 302
    response = member_client.post(
        f"/portal/projects/{project.id}/edit",
        data={"client_name": "X", "client_email": "x@example.test", "title": "Neuf"},
    )
    assert response.status_code == 403
    assert "annulé" in response.text


def test_comment_is_posted_public(member_client, member):
    project = ProjectFactory(organisation_id=member.organisation_id)

    response = member_client.post(
        f"/portal/projects/{project.id}/comments", data={"body": "Bonjour", "internal": "1"}
    )

    assert response.status_code == 302
    comment = db.session.scalars(select(Comment)).one()
    assert (comment.body, comment.is_internal) == ("Bonjour", False)


def test_delete_asks_for_confirmation_then_deletes(member_client, member):
    project = ProjectFactory(organisation_id=member.organisation_id)
    FileFactory(project_obj=project)
    pid = project.id

    page = member_client.get(f"/portal/projects/{pid}/delete").text
    assert "1 fichier" in page and "factures" in page.lower()

    member_client.post(f"/portal/projects/{pid}/delete", data={})
    assert project_count() == 1
    response = member_client.post(f"/portal/projects/{pid}/delete", data={"confirm": "yes"})
    assert response.status_code == 302
    assert project_count() == 0


def test_staff_are_not_portal_users(staff_client):
    assert staff_client.get("/portal/projects/").status_code in (302, 403)
