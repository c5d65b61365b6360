"""The team's project page: every section, in French, internal notes marked."""

from datetime import UTC, datetime

from app.extensions import db
from app.models import ProjectEvent, RequestedService
from tests.factories import CommentFactory, FileFactory, ProjectFactory


def show_url(project_id: int) -> str:
    return f"/admin/projects/show/{project_id}"


def test_show_page_has_every_section(staff_client):
    project = ProjectFactory(
        client_name="Jeanne Martin",
        client_email="jeanne@example.test",
        client_phone="+33 6 12 34 56 78",
        description="Usinage d'une platine en acier S235.",
        status="COMPLETED",
        priority="HIGH",
        estimated_price_cents=90000,
        final_price_cents=123456,
        completed_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    service = RequestedService(name="Programmation G-code", name_en="G-code programming")
    project.services = [service]
    FileFactory(project_obj=project, original_name="platine.step", size_bytes=2048)
    FileFactory(project_obj=project, kind="DELIVERABLE", original_name="platine.nc")
    CommentFactory(project_obj=project, body="Merci pour la livraison.")
    db.session.add(
        ProjectEvent(
            project_id=project.id,
            organisation_id=project.organisation_id,
            kind="STATUS",
            from_status="IN_PROGRESS",
            to_status="COMPLETED",
            note="Pièces contrôlées.",
            actor_name="Marie Curie",
        )
    )
    db.session.commit()

    response = staff_client.get(show_url(project.id))

    assert response.status_code == 200
    page = response.text
    for text in (
        project.reference,
        "Informations générales",
        "Jeanne Martin",
        "jeanne@example.test",
        "+33 6 12 34 56 78",
        "Programmation G-code",
        "Usinage d&#39;une platine en acier S235.",
        "Dates",
        "02/03/2026 11:00",
        "Prix",
        "900,00\u00a0€",
        "1\u202f234,56\u00a0€",
        "Fichiers du projet",
        "platine.step",
        "2,0\u00a0Ko",
        "Livrables",
        "platine.nc",
        "Commentaires",
        "Merci pour la livraison.",
        "Historique",
        "Changement de statut",
        "Pièces contrôlées.",
        "Marie Curie",
        '<span class="cnc-badge cnc-status-completed">Terminé</span>',
        '<span class="cnc-badge cnc-priority-high">Haute</span>',
        project.organisation.name,
    ):
        assert text in page, text


def test_show_page_marks_internal_notes_for_staff(staff_client):
    project = ProjectFactory()
    CommentFactory(project_obj=project, body="Client pressé, prioriser.", is_internal=True)
    CommentFactory(project_obj=project, body="Question publique.")

    page = staff_client.get(show_url(project.id)).text

    assert "Client pressé, prioriser." in page
    assert "Question publique." in page
    assert page.count('<i class="fa fa-lock"></i> Note interne</span>') == 1
    assert "cnc-comment-internal" in page


def test_show_of_a_missing_project_is_404(staff_client):
    assert staff_client.get(show_url(999_999)).status_code == 404
