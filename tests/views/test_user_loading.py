"""Each page reads its signed-in user, with their roles and groups, in one statement."""

import pytest
from flask import g

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory
from tests.views.conftest import login, statements_of

# What loading a signed-in user reads besides their row; lists of users read no role.
ROLE_TABLES = ("ab_role", "ab_group")


@pytest.mark.parametrize(
    ("role", "urls"),
    [
        (Role.TEAM, ["/admin/projects/list/", "/admin/dashboard/"]),
        (Role.ORG_ADMIN, ["/portal/", "/portal/projects/", "/portal/members/"]),
        (Role.ORG_MEMBER, ["/portal/", "/portal/projects/"]),
    ],
)
def test_a_page_reads_its_user_once_whatever_its_menu(client, role, urls):
    organisation = None if role in (Role.ADMIN, Role.TEAM) else OrganisationFactory()
    ProjectFactory.create_batch(3, organisation=organisation or OrganisationFactory())
    login(client, UserFactory(role=role, organisation=organisation).email)

    for url in urls:
        statements = statements_of(client, url)
        reads = [s for s in statements if any(table in s for table in ROLE_TABLES)]

        # An organisation user's scope empties the session; their menu's permission checks
        # must not load them again, once per entry.
        assert len(reads) == 1, (url, reads)
        assert "FROM ab_user" in reads[0] and "ab_group" in reads[0] and "ab_role" in reads[0]


def test_a_deactivated_user_is_turned_away_on_their_next_page(client):
    user_id = UserFactory(role=Role.TEAM, email="sortant@cnc-pulse.fr").id
    login(client, "sortant@cnc-pulse.fr")
    assert statements_of(client, "/admin/projects/list/")

    db.session.get(AppUser, user_id).active = False
    db.session.commit()
    db.session.remove()
    g.pop("_login_user", None)

    response = client.get("/admin/projects/list/")
    assert response.status_code == 302
    assert "/login/" in response.location
