"""The team's organisations: counts per status and members, created and edited through services."""

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import Organisation
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory
from tests.views.conftest import login

LIST = "/admin/organisations/"


@pytest.fixture(params=[Role.TEAM, Role.ADMIN], ids=lambda role: role.value)
def staff(request, client):
    login(client, UserFactory(role=request.param).email)
    return client


@pytest.fixture
def admin(client):
    """Admin alone creates and edits organisations (SPEC §1)."""
    login(client, UserFactory(role=Role.ADMIN).email)
    return client


def row_of(page: str, organisation_id: int) -> str:
    row = page[page.index(f'data-organisation-id="{organisation_id}"') :]
    return row[: row.index("</tr>")]


def test_list_counts_projects_per_status_and_members(staff):
    dupont = OrganisationFactory(name="Atelier Dupont", project_limit=10)
    for status in ("PENDING", "PENDING", "PAID", "CANCELLED"):
        ProjectFactory(organisation=dupont, status=status)
    UserFactory.create_batch(2, role=Role.ORG_MEMBER, organisation=dupont)
    empty = OrganisationFactory(name="Mécanique Lefèvre")

    page = staff.get(LIST).text

    cells = [cell.split(">")[-1] for cell in row_of(page, dupont.id).split("</td>")[:-1]]
    # name, members, limit, then one cell per status in workflow order, then the edit button
    assert cells[1:11] == ["2", "10", "2", "0", "0", "0", "0", "1", "0", "1"]
    assert "—" in row_of(page, empty.id)


def test_create_an_organisation(admin):
    response = admin.post(
        LIST + "new", data={"name": " Usinage Martin ", "limit": "5"}, follow_redirects=True
    )

    assert "Organisation créée." in response.text
    created = db.session.query(Organisation).filter_by(name="Usinage Martin").one()
    assert created.project_limit == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Atelier Dupont", "limit": ""}, "existe déjà"),
        ({"name": "  ", "limit": ""}, "Une organisation doit avoir un nom."),
        ({"name": "Neuve", "limit": "-3"}, "La limite de projets doit être un nombre entier"),
        ({"name": "Neuve", "limit": "beaucoup"}, "La limite de projets doit être un nombre entier"),
    ],
)
def test_refused_creation_keeps_what_was_typed(admin, data, message):
    OrganisationFactory(name="Atelier Dupont")

    response = admin.post(LIST + "new", data=data)

    assert response.status_code == 422
    assert message in response.text
    assert db.session.query(Organisation).count() == 1


def test_edit_name_and_limit(admin):
    organisation = OrganisationFactory(name="Atelier Dupont", project_limit=3)

    form = admin.get(f"{LIST}{organisation.id}/edit").text
    assert 'value="Atelier Dupont"' in form and 'value="3"' in form
    response = admin.post(
        f"{LIST}{organisation.id}/edit",
        data={"name": "Atelier Dupont & fils", "limit": ""},
        follow_redirects=True,
    )

    assert "Organisation enregistrée." in response.text
    db.session.expire_all()
    saved = db.session.get(Organisation, organisation.id)
    assert (saved.name, saved.project_limit) == ("Atelier Dupont & fils", None)


def test_edit_refuses_a_name_taken_by_another(admin):
    OrganisationFactory(name="Mécanique Lefèvre")
    organisation = OrganisationFactory(name="Atelier Dupont")

    response = admin.post(
        f"{LIST}{organisation.id}/edit", data={"name": "mécanique lefèvre", "limit": ""}
    )

    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Atelier Dupont"


def test_edit_of_a_missing_organisation_is_not_found(admin):
    assert admin.get(f"{LIST}999999/edit").status_code == 404


@pytest.mark.parametrize("role", [Role.ORG_MEMBER, Role.ORG_ADMIN])
def test_organisation_users_get_403(client, role):
    user = UserFactory(role=role)
    organisation_id = user.organisation_id
    login(client, user.email)

    assert client.get(LIST).status_code == 403
    assert client.post(LIST + "new", data={"name": "Pirate"}).status_code == 403
    response = client.post(f"{LIST}{organisation_id}/edit", data={"name": "Pirate"})
    assert response.status_code == 403
    assert db.session.query(Organisation).filter_by(name="Pirate").count() == 0


def test_the_team_reads_organisations_but_does_not_change_them(client):
    organisation = OrganisationFactory(name="Atelier Dupont")
    login(client, UserFactory(role=Role.TEAM).email)

    page = client.get(LIST).text

    assert "Atelier Dupont" in page
    assert "/admin/organisations/new" not in page and "/edit" not in page
    assert client.get(LIST + "new").status_code == 403
    assert client.post(LIST + "new", data={"name": "Neuve"}).status_code == 403
    edit = f"{LIST}{organisation.id}/edit"
    assert client.post(edit, data={"name": "Renommée"}).status_code == 403
    db.session.expire_all()
    assert [o.name for o in db.session.query(Organisation)] == ["Atelier Dupont"]
