"""The requested services' screen: Admin adds, renames, withdraws; the team only reads it."""

import html

import pytest
from sqlalchemy import select

from app.domain.policy import Role
from app.extensions import db
from app.models import RequestedService
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory
from tests.views.conftest import login

LIST = "/admin/services/list/"


@pytest.fixture
def admin_client(client):
    login(client, UserFactory(role=Role.ADMIN).email)
    return client


def service(name: str) -> RequestedService:
    db.session.expire_all()
    return db.session.scalars(select(RequestedService).where(RequestedService.name == name)).one()


def test_admin_adds_renames_withdraws_and_offers_again(admin_client):
    page = admin_client.get(LIST).text
    added = admin_client.post(
        "/admin/services/add",
        data={"name": "Programmation G-code", "name_en": "G-code programming"},
        follow_redirects=True,
    )
    pk = service("Programmation G-code").id
    form = admin_client.get(f"/admin/services/edit/{pk}").text
    renamed = admin_client.post(
        f"/admin/services/edit/{pk}",
        data={"name": "Programmation CN", "name_en": "CNC programming"},
        follow_redirects=True,
    )
    withdrawn = admin_client.post(
        f"/admin/services/{pk}/offered", data={"offered": "0"}, follow_redirects=True
    )
    active_once_withdrawn = service("Programmation CN").active
    offered = admin_client.post(
        f"/admin/services/{pk}/offered", data={"offered": "1"}, follow_redirects=True
    )

    assert 'href="/admin/services/add"' in page
    assert "Prestation Programmation G-code ajoutée." in added.text
    assert "G-code programming" in added.text
    assert 'value="Programmation G-code"' in form
    assert "Prestation enregistrée." in renamed.text and "CNC programming" in renamed.text
    assert "n'est plus proposée pour les nouveaux projets" in html.unescape(withdrawn.text)
    assert active_once_withdrawn is False
    assert "Programmation CN est de nouveau proposée." in offered.text
    assert service("Programmation CN").active is True


def test_a_refused_form_keeps_what_was_typed(admin_client):
    db.session.add(RequestedService(name="Retouche", position=1))
    db.session.commit()

    response = admin_client.post(
        "/admin/services/add", data={"name": "retouche", "name_en": "Touch-up"}
    )

    assert response.status_code == 422
    assert "Une prestation nommée retouche existe déjà." in html.unescape(response.text)
    assert 'value="Touch-up"' in response.text
    assert (
        db.session.scalar(select(RequestedService.id).where(RequestedService.name_en.is_not(None)))
        is None
    )


def test_a_service_in_use_is_refused_deletion_and_an_unused_one_deleted(admin_client):
    used = RequestedService(name="Programmation G-code", position=1)
    unused = RequestedService(name="Retouche", position=2)
    project = ProjectFactory(organisation=OrganisationFactory())
    project.services.append(used)
    db.session.add(unused)
    db.session.commit()
    used_id, unused_id = used.id, unused.id

    page = admin_client.get(LIST).text
    refused = admin_client.post(f"/admin/services/{used_id}/delete", follow_redirects=True)
    deleted = admin_client.post(f"/admin/services/{unused_id}/delete", follow_redirects=True)

    assert f"/admin/services/{used_id}/delete" not in page
    assert f"/admin/services/{unused_id}/delete" in page
    assert (
        "Programmation G-code est demandée par 1 projet(s) et ne peut pas être supprimée"
        in html.unescape(refused.text)
    )
    assert "Prestation Retouche supprimée." in deleted.text
    db.session.expire_all()
    assert [s.name for s in db.session.scalars(select(RequestedService))] == [
        "Programmation G-code"
    ]


def test_the_team_reads_the_list_and_cannot_change_it(staff_client):
    db.session.add(RequestedService(name="Retouche", position=1))
    db.session.commit()
    pk = service("Retouche").id

    page = staff_client.get(LIST)
    answers = [
        staff_client.get("/admin/services/add").status_code,
        staff_client.post("/admin/services/add", data={"name": "Autre"}).status_code,
        staff_client.post(f"/admin/services/edit/{pk}", data={"name": "Autre"}).status_code,
        staff_client.post(f"/admin/services/{pk}/offered", data={"offered": "0"}).status_code,
        staff_client.post(f"/admin/services/{pk}/delete").status_code,
    ]

    assert page.status_code == 200 and "Retouche" in page.text
    assert "/admin/services/add" not in page.text and "/offered" not in page.text
    assert set(answers) == {403}
    assert [(s.name, s.active) for s in db.session.scalars(select(RequestedService))] == [
        ("Retouche", True)
    ]


def test_a_withdrawn_service_is_offered_only_to_projects_that_have_it(client):
    member = UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())
    withdrawn = RequestedService(name="Programmation G-code", position=1, active=False)
    offered = RequestedService(name="Modélisation CAO", position=2)
    project = ProjectFactory(organisation_id=member.organisation_id)
    project.services.append(withdrawn)
    db.session.add(offered)
    db.session.commit()
    pk = project.id
    login(client, member.email)

    new_form = client.get("/portal/projects/new").text
    edit_form = client.get(f"/portal/projects/{pk}/edit").text
    shown = client.get(f"/portal/projects/{pk}").text

    assert "Modélisation CAO" in new_form and "Programmation G-code" not in new_form
    assert "Programmation G-code" in edit_form
    assert "n'est plus proposée" in html.unescape(edit_form)
    assert "Programmation G-code" in shown
