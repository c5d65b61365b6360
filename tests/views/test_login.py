"""FAB's login page in French by default, English on request, and where each user lands."""

from app.domain.policy import Role
from tests.factories import PASSWORD, UserFactory
from tests.views.conftest import login


def test_login_page_is_french_by_default(client):
    page = client.get("/login/").text

    assert "Connexion" in page
    assert "Adresse e-mail" in page
    assert "Mot de passe" in page


def test_login_page_switches_to_english(client):
    response = client.get("/lang/en")
    assert response.status_code == 302

    page = client.get("/login/").text

    assert "Sign In" in page
    assert "Email" in page
    assert "Connexion" not in page


def test_english_can_switch_back_to_french(client):
    client.get("/lang/en")
    client.get("/lang/fr")

    assert "Connexion" in client.get("/login/").text


def test_unknown_language_is_404(client):
    assert client.get("/lang/de").status_code == 404


def test_wrong_password_is_refused_in_french(client):
    user = UserFactory(role=Role.TEAM)

    response = client.post(
        "/login/", data={"username": user.email, "password": PASSWORD + "x"}, follow_redirects=True
    )

    assert "Identifiants incorrects" in response.text


def test_the_user_language_applies_after_login(client):
    user = UserFactory(role=Role.TEAM, language="en")

    login(client, user.email)

    assert "All projects" in client.get("/admin/projects/list/").text


def test_anonymous_visitors_of_the_home_page_are_sent_to_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.location.startswith("/login/")


def test_staff_land_on_their_dashboard(client):
    login(client, UserFactory(role=Role.ADMIN).email)

    response = client.get("/")

    assert response.status_code == 302
    assert response.location == "/admin/dashboard/"


def test_organisation_users_land_on_their_portal(client):
    user = UserFactory(role=Role.ORG_MEMBER, organisation__name="Atelier Dupont")
    login(client, user.email)

    response = client.get("/", follow_redirects=True)

    assert response.request.path == "/portal/"
    assert "Atelier Dupont" in response.text
    assert "Tous les projets" not in response.text
