"""Who reaches the team's project screens, and what FAB routes are not there at all."""

import pytest

from app.domain.policy import Role
from app.extensions import db
from tests.factories import ProjectFactory, UserFactory
from tests.views.conftest import login

LIST = "/admin/projects/list/"


def show_url(project_id: int) -> str:
    return f"/admin/projects/show/{project_id}"


@pytest.mark.parametrize("role", [Role.ORG_MEMBER, Role.ORG_ADMIN])
def test_organisation_users_cannot_reach_the_back_office(client, role):
    user = UserFactory(role=role)
    own = ProjectFactory(organisation=user.organisation)
    login(client, user.email)

    for url in (LIST, show_url(own.id)):
        response = client.get(url)
        assert response.status_code == 403, url
        assert own.reference not in response.text


@pytest.mark.parametrize("url", [LIST, "/admin/projects/show/1"])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.location.startswith("/login/")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/admin/projects/add"),
        ("post", "/admin/projects/add"),
        ("get", "/admin/projects/edit/{id}"),
        ("post", "/admin/projects/edit/{id}"),
        ("get", "/admin/projects/delete/{id}"),
        ("post", "/admin/projects/delete/{id}"),
        ("post", "/admin/projects/action/delete/{id}"),
        ("post", "/admin/projects/action_post"),
        ("get", "/admin/projects/download/x"),
    ],
)
def test_fab_write_routes_do_not_exist(staff_client, method, url):
    project = ProjectFactory(title="Inchangé")

    response = getattr(staff_client, method)(
        url.format(id=project.id), data={"title": "Changé", "action": "delete", "rowid": project.id}
    )

    assert response.status_code in (404, 405)
    db.session.expire_all()
    assert project.title == "Inchangé"


def test_the_view_grants_reading_only(app):
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "ProjectAdminView")
    assert sorted(view.base_permissions) == ["can_list", "can_show"]


@pytest.mark.parametrize(
    ("role", "home", "sees_portal", "sees_back_office"),
    [
        (Role.ADMIN, "/admin/projects/list/", False, True),
        (Role.TEAM, "/admin/projects/list/", False, True),
        (Role.ORG_ADMIN, "/portal/", True, False),
        (Role.ORG_MEMBER, "/portal/", True, False),
    ],
)
def test_the_navigation_offers_each_person_their_own_face(
    client, role, home, sees_portal, sees_back_office
):
    login(client, UserFactory(role=role).email)

    page = client.get(home).text

    assert ('href="/portal/projects/"' in page) is sees_portal
    assert ('href="/admin/projects/list/"' in page) is sees_back_office
