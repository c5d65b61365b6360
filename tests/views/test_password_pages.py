"""The password pages: the forgotten-password link and page, the reset page, changing one's own."""

import re

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.domain.policy import Role
from app.extensions import db
from app.models import AppUser, EmailMessage, MemberStatus
from tests.factories import PASSWORD, UserFactory
from tests.views.conftest import login

NEW_PASSWORD = "Tr0mbone-violet-42"
ANSWER = "Si un compte actif utilise cette adresse, un e-mail avec un lien"


def emails(kind: str) -> list[EmailMessage]:
    return list(db.session.scalars(select(EmailMessage).where(EmailMessage.kind == kind)))


def reset_link() -> str:
    [email] = emails("password_reset")
    return re.search(r"https?://\S+(/reset-password/\S+)", email.body_text)[1]


def password_of(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(AppUser, user_id).password


def test_the_sign_in_page_links_to_the_forgotten_password_page(client):
    page = client.get("/login/").text

    assert 'href="/forgot-password/"' in page
    assert "Mot de passe oublié ?" in page
    assert "Saisissez l'adresse e-mail" in client.get("/forgot-password/").text


def test_every_address_gets_the_same_answer_and_only_an_account_gets_an_email(client):
    UserFactory(email="claire@atelier.test")
    UserFactory(email="off@atelier.test", active=False, status=MemberStatus.DEACTIVATED.value)

    answers = []
    for email in ("claire@atelier.test", "nobody@atelier.test", "off@atelier.test", "nope"):
        response = client.post("/forgot-password/", data={"email": email})
        answers.append((response.status_code, response.location))
        assert ANSWER in client.get(response.location).text

    assert answers == [(302, "/login/")] * 4
    assert [email.recipient for email in emails("password_reset")] == ["claire@atelier.test"]


def test_a_reset_link_sets_a_new_password_once_then_the_user_signs_in_with_it(client):
    user = UserFactory(email="claire@atelier.test")
    client.post("/forgot-password/", data={"email": "claire@atelier.test"})
    link = reset_link()

    page = client.get(link)
    assert page.status_code == 200
    assert "claire@atelier.test" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": "autre-chose"})
    assert "Les deux mots de passe diffèrent." in mismatch.text
    weak = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422
    assert "fait partie des plus courants" in weak.text
    assert check_password_hash(password_of(user.id), PASSWORD)

    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert (done.status_code, done.location) == (302, "/login/")
    assert "connectez-vous avec le nouveau" in client.get("/login/").text
    refused = client.post("/login/", data={"username": user.email, "password": PASSWORD})
    assert "/login/" in refused.location
    login(client, user.email, NEW_PASSWORD)
    client.get("/logout/")
    spent = client.get(link)
    assert spent.status_code == 404
    assert "n&#39;est plus valide" in spent.text
    [notice] = emails("password_changed")
    assert notice.subject == "Votre mot de passe CNC Pulse a été modifié"


def test_an_unknown_reset_link_is_not_found(client):
    response = client.post(
        "/reset-password/guess", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 404
    assert "Demander un nouveau lien" in response.text


def test_asking_for_links_is_rate_limited(limited_apps):
    client = limited_apps().test_client()
    pages = [client.get("/forgot-password/").status_code for _ in range(6)]
    codes = [
        client.post("/forgot-password/", data={"email": f"n{n}@x.test"}).status_code
        for n in range(6)
    ]
    assert pages == [200] * 6
    assert codes == [302] * 5 + [429]


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, email="lucas@atelier.test", language="en")


def change(client, current: str, new: str, confirm: str | None = None):
    return client.post(
        "/resetmypassword/form",
        data={"current_password": current, "password": new, "conf_password": confirm or new},
    )


def test_changing_one_s_own_password_needs_the_current_one(client, member):
    login(client, member.email)
    assert 'href="/resetmypassword/form"' in client.get("/portal/").text
    form = client.get("/resetmypassword/form").text
    assert 'autocomplete="current-password"' in form and 'name="current_password"' in form
    assert form.count('autocomplete="new-password"') == 2

    wrong = change(client, "pas-le-bon-mot-de-passe", NEW_PASSWORD)
    assert wrong.status_code == 422
    # Lucas reads English: his language applies from his login on.
    assert "The current password is not right." in wrong.text
    weak = change(client, PASSWORD, "aaaaaaaaaaaa")
    assert weak.status_code == 422
    assert "repeats characters" in weak.text
    missing = change(client, "", NEW_PASSWORD)
    assert missing.status_code == 200 and "form" in missing.text
    assert check_password_hash(password_of(member.id), PASSWORD)
    assert emails("password_changed") == []

    done = change(client, PASSWORD, NEW_PASSWORD)

    assert done.status_code == 302
    assert check_password_hash(password_of(member.id), NEW_PASSWORD)
    [notice] = emails("password_changed")
    assert (notice.recipient, notice.language) == ("lucas@atelier.test", "en")
    assert notice.subject == "Your CNC Pulse password was changed"
    assert "If it was not you" in notice.body_text


def test_guessing_the_current_password_is_rate_limited(limited_apps, member):
    client = limited_apps().test_client()
    login(client, member.email)
    codes = [change(client, f"guess-number-{n}", NEW_PASSWORD).status_code for n in range(11)]
    assert codes == [422] * 10 + [429]
    assert check_password_hash(password_of(member.id), PASSWORD)


def test_the_owner_is_told_when_an_admin_sets_their_password(client, member):
    login(client, UserFactory(role=Role.ADMIN).email)

    response = client.post(
        f"/resetpassword/form?pk={member.id}",
        data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD},
    )

    assert response.status_code == 302
    [notice] = emails("password_changed")
    assert notice.recipient == "lucas@atelier.test"
