"""A team member's working session in the French back office, with CSRF on, in a real browser."""

import re
from datetime import date, timedelta

import pytest

from app.domain.policy import Role
from app.extensions import db
from app.models import Project
from app.services.payment import record_manual_payment
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory, viewer

pytestmark = pytest.mark.e2e


def seed() -> tuple[str, str]:
    """Create a team member and a few projects; return the login and the reference to work on."""
    team = UserFactory(role=Role.TEAM, email="claire@cnc-pulse.test", first_name="Claire")
    organisation = OrganisationFactory(name="Atelier Dupont")
    project = ProjectFactory(
        organisation=organisation,
        status="IN_REVIEW",
        priority="HIGH",
        title="Carter de réducteur",
        estimated_price_cents=90000,
    )
    for status in ("PENDING", "IN_PROGRESS", "AWAITING_PAYMENT", "AWAITING_PAYMENT"):
        ProjectFactory(organisation=organisation, status=status, final_price_cents=45000)
    ProjectFactory(status="IN_PROGRESS", deadline=date.today() - timedelta(days=3))
    paid = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=123400)
    record_manual_payment(viewer(team), paid.id, "TRANSFER", date.today(), "VIR-1")
    return team.email, project.reference


@pytest.fixture
def page(browser):
    """A French browser, so that even the file pickers speak French."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_team_member_takes_a_project_from_review_to_completed(
    live_server, page, artifacts, tmp_path
):
    with live_server.app.app_context():
        email, reference = seed()

    page.goto(live_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")

    # Staff land on their dashboard; each counter opens its list.
    page.wait_for_url(re.compile(r".*/admin/dashboard/$"))
    assert page.locator("h1").inner_text().strip() == "Tableau de bord"
    assert page.locator("#counter-total .cnc-counter-value").inner_text() == "7"
    assert page.locator("#counter-overdue .cnc-counter-value").inner_text() == "1"
    page.screenshot(path=artifacts / "dashboard.png", full_page=True)

    # Filter the list by status with its search form.
    page.click(".navbar a.dropdown-toggle:has-text('Projets')")
    page.click(".navbar a:has-text('Tous les projets')")
    page.wait_for_url(re.compile(r".*/admin/projects/list/$"))
    overdue = page.locator("table.cnc-table tbody tr.cnc-overdue")
    assert overdue.count() == 1
    assert "En retard" in overdue.inner_text()
    page.screenshot(path=artifacts / "project_queue.png", full_page=True)
    page.select_option("#project-search select[name=_flt_0_status]", "IN_REVIEW")
    page.click("#project-search button[type=submit]")
    # The empty fields stay out of the address.
    page.wait_for_url(re.compile(r".*/admin/projects/list/\?_flt_0_status=IN_REVIEW$"))
    rows = page.locator("table.cnc-table tbody tr")
    assert rows.count() == 1
    assert reference in rows.first.inner_text()
    page.screenshot(path=artifacts / "project_list_filtered.png", full_page=True)

    rows.first.locator("td:first-child a").click()
    page.wait_for_url(re.compile(r".*/admin/projects/show/\d+$"))
    assert reference in page.locator("h1").inner_text()

    move(page, "IN_PROGRESS")
    expect_flash(page, "Statut modifié.")
    assert page.locator(".cnc-subtitle").inner_text().count("En cours") == 1

    # Completing before delivering is refused, with the reason, and nothing moves.
    move(page, "COMPLETED")
    expect_flash(
        page, "Indiquez un prix final supérieur à zéro avant de terminer le projet.", "danger"
    )
    assert "En cours" in page.locator(".cnc-subtitle").inner_text()

    deliverable = tmp_path / "carter.nc"
    deliverable.write_text("G21 G90\nG0 X0 Y0\nM30\n")
    form = page.locator("#upload-deliverable")
    form.locator("input[type=file]").set_input_files(str(deliverable))
    form.locator("button[type=submit]").click()
    expect_flash(page, "Fichiers envoyés.")
    assert page.locator("#section-deliverables .cnc-file-name", has_text="carter.nc").count() == 1

    page.fill("#final_price", "1 234,56")
    page.locator("#prices-form button[type=submit]").click()
    expect_flash(page, "Prix enregistrés.")
    assert "1\u202f234,56\u00a0€" in page.locator("#section-prices").inner_text()

    move(page, "COMPLETED", note="Pièces contrôlées, programme livré.")
    expect_flash(page, "Statut modifié.")
    assert "Terminé" in page.locator(".cnc-subtitle").inner_text() or "En attente de paiement" in (
        page.locator(".cnc-subtitle").inner_text()
    )

    history = page.locator("#section-history").inner_text()
    lines = ("Changement de statut", "Livrable ajouté", "Changement de prix", "Pièces contrôlées")
    for line in (*lines, "Lien de paiement émis"):
        assert line in history, line
    page.screenshot(path=artifacts / "project_show_completed.png", full_page=True)

    with live_server.app.app_context():
        saved = db.session.query(Project).filter_by(reference=reference).one()
        assert saved.final_price_cents == 123456
        assert saved.status in ("COMPLETED", "AWAITING_PAYMENT")


def move(page, target: str, note: str = "") -> None:
    page.select_option("#target", target)
    page.fill("#note", note)
    page.locator("#status-form button[type=submit]").click()


def expect_flash(page, text: str, kind: str = "success") -> None:
    alert = page.locator(f".alert-{kind}", has_text=text)
    alert.wait_for()
    assert alert.count() == 1
