"""The demo admin logs in through the French login page and browses the demo projects."""

import re

import pytest

from app.services.demo import seed_demo

pytestmark = pytest.mark.e2e

DEMO_ADMIN = ("admin@cnc-pulse.fr", "cncpulse-admin")


def test_demo_admin_browses_the_projects(live_server, page, artifacts, tmp_path, monkeypatch):
    # As `make run` loads it: the demo's emails land in the development mailbox.
    monkeypatch.setitem(live_server.app.config, "MAIL_MAILBOX_DIR", str(tmp_path / "mailbox"))
    with live_server.app.app_context():
        assert seed_demo()

    # A bookmark to the list: FAB sends the visitor to log in, then back to the list.
    page.goto(live_server("/admin/projects/list/"))
    assert "/login/" in page.url
    assert page.locator(".panel-title").inner_text().strip() == "Connexion"
    page.fill("#username", DEMO_ADMIN[0])
    page.fill("#password", DEMO_ADMIN[1])
    page.click("input[type=submit]")

    page.wait_for_url(re.compile(r".*/admin/projects/list/$"))
    table = page.locator("table.cnc-table")
    references = table.locator("tbody tr td:first-child").all_inner_texts()
    assert len(references) >= 8
    assert all(re.fullmatch(r"CNC-\d{4}-\d{5}", ref.strip()) for ref in references)
    organisations = set(table.locator("tbody tr td:nth-child(3)").all_inner_texts())
    assert {"Atelier Dupont", "Mécanique Lefèvre"} <= organisations
    assert table.locator(".cnc-badge", has_text="En attente de paiement").count() >= 1
    page.screenshot(path=artifacts / "project_list.png", full_page=True)

    row = table.locator("tbody tr", has_text="Carter de réducteur")
    reference = row.locator("td:first-child").inner_text().strip()
    row.locator("td:first-child a").click()

    page.wait_for_url(re.compile(r".*/admin/projects/show/\d+$"))
    assert reference in page.locator("h1").inner_text()
    for section in (
        "Informations générales",
        "Fichiers du projet",
        "Livrables",
        "Commentaires",
        "Dates",
        "Prix",
        "Historique",
    ):
        assert page.locator(".cnc-section .panel-title", has_text=section).count() == 1, section
    assert page.locator(".cnc-internal-mark").first.inner_text().strip() == "Note interne"
    assert page.locator("#section-deliverables .cnc-file-name").count() >= 1
    page.screenshot(path=artifacts / "project_show.png", full_page=True)
