"""Every face answers with the browser's security headers: content policy, framing, referrer, cache.

Through the test client, as a browser would be answered: the back office, the portal, the API,
the client's payment page, the invitation page, the login page.
"""

import re

import pytest
from flask import Flask

from app.domain.policy import Role
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory
from tests.views.conftest import login

NONCE = re.compile(r"'nonce-([A-Za-z0-9_\-]+)'")


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    found = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        found[name] = value
    return found


def assert_browser_headers(response, referrer: str = "strict-origin-when-cross-origin") -> None:
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert NONCE.search(policy["script-src"])
    # A form-action would stop the payment form's redirect to Stripe's hosted page.
    assert "form-action" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == referrer
    # HSTS only where CNC_ENV=production.
    assert "Strict-Transport-Security" not in response.headers


def inline_scripts_carry_the_nonce(response) -> None:
    """Every inline script of the page carries the nonce of its own answer; no on* handler."""
    nonce = NONCE.search(response.headers["Content-Security-Policy"])[1]
    html = response.text
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" not in tag:
            assert f'nonce="{nonce}"' in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


def test_the_login_page(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert_browser_headers(response)
    inline_scripts_carry_the_nonce(response)


def test_each_answer_has_its_own_nonce(client):
    first = NONCE.search(client.get("/login/").headers["Content-Security-Policy"])[1]
    second = NONCE.search(client.get("/login/").headers["Content-Security-Policy"])[1]
    assert first != second


def test_back_office_pages_are_not_stored(client):
    team = UserFactory(role=Role.TEAM)
    project = ProjectFactory()
    login(client, team.email)
    for url in ("/admin/projects/list/", f"/admin/projects/show/{project.id}", "/users/list/"):
        response = client.get(url)
        if url == "/users/list/":
            # The Team may not list accounts: the answer still carries the headers.
            assert response.status_code in (200, 302, 403), url
        else:
            assert response.status_code == 200, url
        assert_browser_headers(response)
        assert response.headers["Cache-Control"] == "no-store", url
        inline_scripts_carry_the_nonce(response)


def test_fab_list_pages_inline_scripts_get_the_nonce(client):
    admin = UserFactory(role=Role.ADMIN)
    login(client, admin.email)
    response = client.get("/users/list/")
    assert response.status_code == 200
    # FAB's list widget starts its actions with an inline script: it must carry our nonce.
    assert "new AdminActions()" in response.text
    inline_scripts_carry_the_nonce(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_portal_pages_are_not_stored(client):
    organisation = OrganisationFactory()
    member = UserFactory(role=Role.ORG_ADMIN, organisation=organisation)
    project = ProjectFactory(organisation=organisation)
    login(client, member.email)
    for url in ("/portal/projects/", f"/portal/projects/{project.id}", "/portal/members/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_browser_headers(response)
        assert response.headers["Cache-Control"] == "no-store", url
        inline_scripts_carry_the_nonce(response)


def test_api_answers_are_not_stored(client):
    user = UserFactory(role=Role.TEAM)
    answer = client.post(
        "/api/v1/security/login",
        json={"username": user.email, "password": PASSWORD, "provider": "db"},
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert_browser_headers(answer)
    token = answer.get_json()["access_token"]
    listed = client.get("/api/v1/project/", headers={"Authorization": f"Bearer {token}"})
    assert listed.headers["Cache-Control"] == "no-store"
    assert_browser_headers(listed)


@pytest.mark.parametrize(
    "url", ["/pay/not-a-real-token", "/invitation/not-a-real-token", "/reset-password/x"]
)
def test_token_pages_send_no_referrer_and_are_not_stored(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert_browser_headers(response, referrer="no-referrer")
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/public.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
