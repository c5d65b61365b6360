"""In a real browser, a file over the limit is refused before anything is sent."""

import re

import pytest

from app.domain.policy import Role
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.e2e

MEBIBYTE = 1024 * 1024


def sign_in(page, live_server, email: str) -> None:
    page.goto(live_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/(portal|admin)/.*"))


def posts_to(page, url: str) -> list[str]:
    """Record every request the page makes to ``url``."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.method) if request.url == url else None)
    return sent


def test_a_member_is_told_before_sending_and_a_smaller_file_goes_through(
    live_server, page, artifacts, tmp_path, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "MAX_FILE_BYTES", MEBIBYTE)
    with live_server.app.app_context():
        member = UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())
        email, project_id = member.email, ProjectFactory(organisation=member.organisation).id
    big, small = tmp_path / "carter.stl", tmp_path / "bride.nc"
    big.write_bytes(b"\1" * (2 * MEBIBYTE + 1))
    small.write_bytes(b"G21 G90\nM30\n")
    upload_url = live_server(f"/portal/projects/{project_id}/files")

    sign_in(page, live_server, email)
    page.goto(live_server(f"/portal/projects/{project_id}"))
    sent = posts_to(page, upload_url)
    page.set_input_files("#files", [small, big])
    refusal = page.locator(".cnc-upload-refusal")

    assert refusal.inner_text() == (
        "« carter.stl » pèse 2,1 Mo : un fichier ne peut pas dépasser 1 Mo. Rien n'a été envoyé."
    )
    page.click("form.cnc-upload button[type=submit]")
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts / "upload_refused_in_browser.png", full_page=True)
    assert sent == []
    assert refusal.is_visible()

    page.set_input_files("#files", [small])
    assert not refusal.is_visible()
    page.click("form.cnc-upload button[type=submit]")
    page.locator(".alert", has_text="1 fichier ajouté").wait_for()
    assert sent == ["POST"]
    names = page.locator("#section-files .cnc-file-name").all_inner_texts()
    assert [name.strip() for name in names] == ["bride.nc"]


def test_the_team_is_told_before_sending_a_deliverable_too_large(
    live_server, page, tmp_path, monkeypatch
):
    monkeypatch.setitem(live_server.app.config, "MAX_FILE_BYTES", MEBIBYTE)
    with live_server.app.app_context():
        email = UserFactory(role=Role.TEAM).email
        project_id = ProjectFactory(status="IN_PROGRESS").id
    big = tmp_path / "programme.nc"
    big.write_bytes(b"G1 X1\n" * MEBIBYTE)
    upload_url = live_server(f"/admin/projects/{project_id}/files")

    sign_in(page, live_server, email)
    page.goto(live_server(f"/admin/projects/show/{project_id}"))
    sent = posts_to(page, upload_url)
    page.set_input_files("#upload-deliverable input[type=file]", big)
    page.click("#upload-deliverable button[type=submit]")
    page.wait_for_timeout(500)

    refusal = page.locator("#upload-deliverable .cnc-upload-refusal")
    assert refusal.inner_text() == (
        "« programme.nc » pèse 6 Mo : un fichier ne peut pas dépasser 1 Mo. Rien n'a été envoyé."
    )
    assert sent == []
    assert page.locator("#upload-deliverable .cnc-progress").is_hidden()
