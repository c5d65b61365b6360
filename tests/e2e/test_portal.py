"""An organisation member works in the portal with CSRF on: create, comment, edit, delete."""

import re
from datetime import date, timedelta

import pytest

from app.domain.policy import Role
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_member_creates_follows_edits_and_deletes_a_project(live_server, page, artifacts, tmp_path):
    with live_server.app.app_context():
        member = UserFactory(
            role=Role.ORG_MEMBER, organisation=OrganisationFactory(name="Atelier A")
        )
        email = member.email
        foreign = ProjectFactory(
            organisation=OrganisationFactory(name="Atelier B"),
            title="CANARY-B",
            reference="CNC-2025-99999",
        )
        foreign_id = foreign.id
    drawing, program = tmp_path / "plan bride.pdf", tmp_path / "bride.nc"
    drawing.write_bytes(b"%PDF-1.4 plan")
    program.write_bytes(b"G21 G90\nM30\n")

    page.goto(live_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))
    assert page.locator("#counter-total .cnc-counter-value").inner_text() == "0"

    page.click("text=Nouveau projet")
    page.fill("#client_name", "Lucie Faure")
    page.fill("#client_email", "lucie@example.test")
    page.fill("#client_phone", "06 12 34 56 78")
    page.fill("#title", "Bride de serrage")
    page.fill("#description", "Usinage d'une bride en aluminium 6061.")
    page.fill("#deadline", (date.today() + timedelta(days=20)).isoformat())
    page.set_input_files("#files", [drawing, program])
    page.screenshot(path=artifacts / "portal_new_project.png", full_page=True)
    page.click("button[type=submit]")

    page.wait_for_url(re.compile(r".*/portal/projects/\d+$"))
    page.locator(".alert", has_text="soumis").wait_for()
    project_url = page.url
    assert "Bride de serrage" in page.locator("h1").inner_text()
    assert page.locator(".cnc-subtitle .cnc-status-pending").inner_text() == "En attente"
    files = page.locator("#section-files .cnc-file-name").all_inner_texts()
    assert [name.strip() for name in files] == ["plan bride.pdf", "bride.nc"]

    page.goto(live_server("/portal/"))
    assert page.locator("#counter-pending .cnc-counter-value").inner_text() == "1"
    page.screenshot(path=artifacts / "portal_dashboard.png", full_page=True)
    page.click("#counter-pending")
    row = page.locator("table.cnc-table tbody tr", has_text="Bride de serrage")
    assert row.locator(".cnc-badge").inner_text() == "En attente"
    assert row.locator(".cnc-files-count").inner_text() == "2"
    page.screenshot(path=artifacts / "portal_list.png", full_page=True)

    page.goto(project_url)
    page.fill("#body", "Tolérance H7 sur l'alésage central, merci.")
    page.click("#section-comments button[type=submit]")
    page.locator(".cnc-comment", has_text="Tolérance H7").wait_for()

    page.click("text=Modifier")
    page.fill("#title", "Bride de serrage v2")
    page.click("button[type=submit]")
    page.wait_for_url(project_url)
    assert "Bride de serrage v2" in page.locator("h1").inner_text()
    page.screenshot(path=artifacts / "portal_project.png", full_page=True)

    response = page.goto(live_server(f"/portal/projects/{foreign_id}"))
    assert response.status == 404
    assert "CANARY-B" not in page.content()

    page.goto(project_url)
    page.click(".cnc-actions >> text=Supprimer")
    page.wait_for_url(re.compile(r".*/delete$"))
    assert "2 fichiers" in page.locator(".cnc-delete").inner_text()
    page.screenshot(path=artifacts / "portal_delete.png", full_page=True)
    page.click("button.btn-danger")
    page.wait_for_url(re.compile(r".*/portal/projects/$"))
    page.locator(".alert", has_text="supprimé").wait_for()
    assert page.locator("table.cnc-table").count() == 0
