"""Switched to English, our pages show no French sentence of our catalog."""

import html
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.domain.policy import Role
from tests.factories import CommentFactory, FileFactory, ProjectFactory, UserFactory
from tests.views.conftest import login

CATALOG = Path(__file__).resolve().parents[2] / "app/translations/fr/LC_MESSAGES/messages.po"


def french_sentences() -> set[str]:
    """The French texts of our catalog long enough to be unmistakable, without placeholders."""
    with CATALOG.open("rb") as po:
        catalog = read_po(po, locale="fr")
    return {
        str(m.string)
        for m in catalog
        if m.id
        and isinstance(m.string, str)
        and m.string != m.id
        and len(m.string) >= 12
        and "%" not in m.string
        and "{" not in m.string
    }


def french_on(page: str, sentences: set[str]) -> list[str]:
    text = html.unescape(page)
    return sorted(sentence for sentence in sentences if sentence in text)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.TEAM])
def test_back_office_pages_are_english(client, role):
    project = ProjectFactory(status="IN_PROGRESS")
    FileFactory(project_obj=project)
    CommentFactory(project_obj=project, is_internal=True)
    login(client, UserFactory(role=role).email)
    client.get("/lang/en")
    sentences = french_sentences()
    pages = [
        "/admin/dashboard/",
        "/admin/projects/list/",
        f"/admin/projects/show/{project.id}",
        f"/admin/projects/{project.id}/delete",
        "/admin/organisations/",
        "/admin/emails/list/",
        "/admin/payments/list/",
        "/admin/invoices/list/",
        "/admin/services/list/",
        "/admin/exports/",
        "/admin/settings/",
    ] + (["/users/list/", "/users/add"] if role is Role.ADMIN else [])

    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = french_on(response.text, sentences)

    assert {url: words for url, words in found.items() if words} == {}


def test_portal_pages_are_english(client):
    admin = UserFactory(role=Role.ORG_ADMIN)
    project = ProjectFactory(organisation=admin.organisation, status="COMPLETED")
    FileFactory(project_obj=project)
    CommentFactory(project_obj=project)
    project_id = project.id
    login(client, admin.email)
    client.get("/lang/en")
    sentences = french_sentences()
    pages = [
        "/portal/",
        "/portal/projects/",
        "/portal/projects/new",
        f"/portal/projects/{project_id}",
        f"/portal/projects/{project_id}/edit",
        f"/portal/projects/{project_id}/delete",
        "/account/",
        "/portal/members/",
    ]

    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = french_on(response.text, sentences)

    assert {url: words for url, words in found.items() if words} == {}
