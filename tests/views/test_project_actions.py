"""The team's actions on a project: each allowed, each refused with its message and no change."""

import io
from datetime import timedelta

import pytest

from app.domain.dates import business_today
from app.domain.policy import Role
from app.extensions import db
from app.models import Comment, Invoice, Payment, Project, ProjectEvent, ProjectFile
from tests.factories import CommentFactory, FileFactory, ProjectFactory, UserFactory
from tests.views.conftest import login

STAFF = [Role.TEAM, Role.ADMIN]


@pytest.fixture(params=STAFF, ids=lambda role: role.value)
def staff(request, client):
    """A client logged in as Team, then as Admin."""
    login(client, UserFactory(role=request.param).email)
    return client


def show_url(project: Project) -> str:
    return f"/admin/projects/show/{project.id}"


def post(client, project: Project, path: str, **data):
    return client.post(f"/admin/projects/{project.id}/{path}", data=data, follow_redirects=True)


def reloaded(project: Project) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project.id)


def history_count(project: Project) -> int:
    return db.session.query(ProjectEvent).filter_by(project_id=project.id).count()


def assert_refused(response, message: str) -> None:
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.text
    assert message in response.text


def test_page_offers_only_the_teams_legal_moves(staff):
    project = ProjectFactory(status="IN_REVIEW")

    page = staff.get(show_url(project)).text

    assert '<option value="IN_PROGRESS">En cours</option>' in page
    assert '<option value="PENDING">En attente</option>' in page
    assert '<option value="REJECTED">Rejeté</option>' in page
    assert '<option value="COMPLETED">' not in page
    assert '<option value="PAID">' not in page


def test_awaiting_payment_offers_no_move_to_paid_but_a_payment_form(staff):
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=12000)

    page = staff.get(show_url(project)).text

    assert '<option value="PAID">' not in page
    assert 'id="payment-form"' in page
    assert "120,00" in page


def test_move_status(staff):
    project = ProjectFactory(status="PENDING")

    response = post(staff, project, "status", target="IN_REVIEW", note="On regarde.")

    assert response.request.path == show_url(project)
    assert "Statut modifié." in response.text
    assert reloaded(project).status == "IN_REVIEW"
    event = db.session.query(ProjectEvent).filter_by(project_id=project.id).one()
    assert (event.from_status, event.to_status, event.note) == (
        "PENDING",
        "IN_REVIEW",
        "On regarde.",
    )


def test_illegal_move_is_refused_with_its_message(staff):
    project = ProjectFactory(status="PENDING")

    response = post(staff, project, "status", target="COMPLETED")

    assert_refused(response, "Un projet ne peut pas passer de « En attente » à « Terminé ».")
    assert reloaded(project).status == "PENDING"
    assert history_count(project) == 0


def test_rejection_needs_a_reason_and_posts_it(staff):
    project = ProjectFactory(status="IN_REVIEW")

    refused = post(staff, project, "status", target="REJECTED", note="  ")
    assert_refused(refused, "Un motif est obligatoire pour rejeter un projet.")
    assert reloaded(project).status == "IN_REVIEW"

    post(staff, project, "status", target="REJECTED", note="Hors de notre domaine.")
    assert reloaded(project).status == "REJECTED"
    comment = db.session.query(Comment).filter_by(project_id=project.id).one()
    assert (comment.body, comment.is_internal) == ("Hors de notre domaine.", False)


def test_moving_to_paid_by_hand_is_refused(staff):
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=1000)

    response = post(staff, project, "status", target="PAID")

    assert_refused(response, "Enregistrez le paiement reçu pour marquer le projet comme payé.")
    assert reloaded(project).status == "AWAITING_PAYMENT"


def test_set_priority(staff):
    project = ProjectFactory(priority="MEDIUM")

    response = post(staff, project, "priority", priority="URGENT")

    assert "Priorité enregistrée." in response.text
    assert reloaded(project).priority == "URGENT"


def test_priority_of_a_cancelled_project_is_refused(staff):
    project = ProjectFactory(status="CANCELLED", priority="LOW")

    response = post(staff, project, "priority", priority="HIGH")

    assert_refused(response, "Un projet annulé ne peut plus être modifié.")
    assert reloaded(project).priority == "LOW"


def test_set_prices_typed_the_french_way(staff):
    project = ProjectFactory(status="IN_PROGRESS", estimated_price_cents=5000)

    response = post(staff, project, "prices", estimated_price="", final_price="1 234,56")

    assert "Prix enregistrés." in response.text
    saved = reloaded(project)
    assert (saved.estimated_price_cents, saved.final_price_cents) == (5000, 123456)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("douze", "Saisissez un montant en chiffres, par exemple 1234,56."),
        ("-5", "Le montant ne peut pas être négatif."),
    ],
)
def test_prices_that_are_not_amounts_are_refused(staff, typed, message):
    project = ProjectFactory(status="IN_PROGRESS", final_price_cents=100)

    response = post(staff, project, "prices", final_price=typed)

    assert_refused(response, message)
    assert reloaded(project).final_price_cents == 100


def test_prices_of_a_completed_project_are_refused(staff):
    project = ProjectFactory(status="COMPLETED", final_price_cents=100)

    response = post(staff, project, "prices", final_price="200")

    assert_refused(response, "Les prix ne peuvent plus changer")
    assert reloaded(project).final_price_cents == 100


def test_upload_several_deliverables(staff):
    project = ProjectFactory(status="IN_PROGRESS")

    response = staff.post(
        f"/admin/projects/{project.id}/files",
        data={
            "kind": "DELIVERABLE",
            "files": [
                (io.BytesIO(b"G0 X0"), "bride.nc"),
                (io.BytesIO(b"solid"), "bride.stl"),
            ],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert "Fichiers envoyés." in response.text
    files = db.session.query(ProjectFile).filter_by(project_id=project.id).all()
    assert sorted((f.original_name, f.kind) for f in files) == [
        ("bride.nc", "DELIVERABLE"),
        ("bride.stl", "DELIVERABLE"),
    ]


def test_upload_sent_by_script_is_answered_with_where_to_go(staff):
    project = ProjectFactory(status="IN_REVIEW")

    response = staff.post(
        f"/admin/projects/{project.id}/files",
        data={"kind": "PROJECT", "files": [(io.BytesIO(b"x"), "plan.pdf")]},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.json == {"redirect": show_url(project)}
    assert "Fichiers envoyés." in staff.get(show_url(project)).text


def test_upload_without_a_file_is_refused(staff):
    project = ProjectFactory(status="IN_REVIEW")

    response = staff.post(
        f"/admin/projects/{project.id}/files",
        data={"kind": "PROJECT"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert_refused(response, "Choisissez au moins un fichier.")


def test_upload_to_a_cancelled_project_is_refused(staff):
    project = ProjectFactory(status="CANCELLED")

    response = staff.post(
        f"/admin/projects/{project.id}/files",
        data={"kind": "PROJECT", "files": [(io.BytesIO(b"x"), "plan.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )

    assert_refused(response, "Un projet annulé ne peut plus être modifié.")
    assert db.session.query(ProjectFile).filter_by(project_id=project.id).count() == 0


def upload(client, project: Project, name: str, content: bytes, kind: str = "PROJECT") -> int:
    client.post(
        f"/admin/projects/{project.id}/files",
        data={"kind": kind, "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )
    return db.session.query(ProjectFile).filter_by(project_id=project.id).one().id


def test_download_is_an_attachment_under_its_original_name(staff):
    project = ProjectFactory(status="IN_REVIEW")
    file_id = upload(staff, project, "plan d'ensemble é.html", b"<script>alert(1)</script>")

    response = staff.get(f"/admin/projects/{project.id}/files/{file_id}/download")

    assert response.status_code == 200
    assert response.data == b"<script>alert(1)</script>"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''plan%20d%27ensemble%20%C3%A9.html" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_download_of_another_projects_file_is_not_found(staff):
    project = ProjectFactory()
    other = FileFactory(project_obj=ProjectFactory())

    assert staff.get(f"/admin/projects/{project.id}/files/{other.id}/download").status_code == 404


def test_remove_a_file(staff):
    project = ProjectFactory(status="PAID")
    file_id = upload(staff, project, "livrable.nc", b"G0", kind="DELIVERABLE")

    response = post(staff, project, f"files/{file_id}/remove")

    assert "Fichier supprimé." in response.text
    assert db.session.get(ProjectFile, file_id) is None


def test_removing_a_file_of_a_cancelled_project_is_refused(staff):
    project = ProjectFactory(status="CANCELLED")
    stored = FileFactory(project_obj=project)

    response = post(staff, project, f"files/{stored.id}/remove")

    assert_refused(response, "Un projet annulé ne peut plus être modifié.")
    db.session.expire_all()
    assert db.session.get(ProjectFile, stored.id) is not None


def test_the_page_asks_before_removing_a_file(staff):
    project = ProjectFactory()
    FileFactory(project_obj=project, original_name="plan.pdf")

    page = staff.get(show_url(project)).text

    assert 'data-confirm="Supprimer plan.pdf ? Le fichier est effacé du stockage' in page


@pytest.mark.parametrize(
    ("internal", "flashed"), [("1", "Note interne ajoutée."), ("", "Commentaire publié.")]
)
def test_comment_or_internal_note(staff, internal, flashed):
    project = ProjectFactory()

    response = post(staff, project, "comments", body="Tolérance H7 confirmée.", internal=internal)

    assert flashed in response.text
    comment = db.session.query(Comment).filter_by(project_id=project.id).one()
    assert (comment.body, comment.is_internal) == ("Tolérance H7 confirmée.", internal == "1")


def test_empty_comment_is_refused(staff):
    project = ProjectFactory()
    CommentFactory(project_obj=project)

    response = post(staff, project, "comments", body="   ")

    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.text
    assert db.session.query(Comment).filter_by(project_id=project.id).count() == 1


def test_record_a_manual_payment(staff):
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=60000)

    response = post(
        staff,
        project,
        "payments",
        method="TRANSFER",
        paid_on=business_today().isoformat(),
        reference="VIR-42",
    )

    assert "Paiement enregistré ; la facture est émise." in response.text
    assert reloaded(project).status == "PAID"
    paid = db.session.query(Payment).filter_by(project_id=project.id).one()
    assert (paid.method, paid.amount_cents, paid.external_reference) == (
        "TRANSFER",
        60000,
        "VIR-42",
    )
    assert db.session.query(Invoice).filter_by(payment_id=paid.id).count() == 1


@pytest.mark.parametrize(
    ("status", "data", "message"),
    [
        ("AWAITING_PAYMENT", {"method": "STRIPE"}, "Indiquez comment le client a payé"),
        ("AWAITING_PAYMENT", {"paid_on": "hier"}, "Saisissez la date de réception du paiement."),
        (
            "AWAITING_PAYMENT",
            {"paid_on": (business_today() + timedelta(days=1)).isoformat()},
            "La date de paiement ne peut pas être dans le futur.",
        ),
        ("IN_PROGRESS", {}, None),
    ],
)
def test_manual_payment_refused(staff, status, data, message):
    project = ProjectFactory(status=status, final_price_cents=60000)
    form = {"method": "CHEQUE", "paid_on": business_today().isoformat(), **data}

    response = post(staff, project, "payments", **form)

    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.text
    if message:
        assert message in response.text
    assert reloaded(project).status == status
    assert db.session.query(Payment).count() == 0


def test_delete_asks_first_and_says_what_is_kept(staff):
    project = ProjectFactory()

    page = staff.get(f"/admin/projects/{project.id}/delete").text

    assert f"Supprimer définitivement {project.reference} ?" in page
    assert "Les paiements et factures sont conservés pour la comptabilité" in page
    assert reloaded(project) is not None


def test_delete_without_confirmation_is_refused(staff):
    project = ProjectFactory()

    response = post(staff, project, "delete")

    assert_refused(response, "Confirmez la suppression")
    assert reloaded(project) is not None


def test_delete_once_confirmed(staff):
    project = ProjectFactory()
    FileFactory(project_obj=project)
    project_id = project.id

    response = post(staff, project, "delete", confirm="yes")

    assert response.request.path == "/admin/projects/list/"
    assert "Projet supprimé." in response.text
    db.session.expire_all()
    assert db.session.get(Project, project_id) is None


def test_actions_on_a_missing_project_are_not_found(staff):
    # A form refused before the project is looked up goes back to the page, which is not found.
    for path in (
        "status",
        "priority",
        "prices",
        "comments",
        "payments",
        "delete",
        "files",
        "client",
    ):
        response = staff.post(f"/admin/projects/999999/{path}", data={}, follow_redirects=True)
        assert response.status_code == 404, path
    assert staff.get("/admin/projects/999999/delete").status_code == 404


ACTION_ROUTES = [
    ("post", "status"),
    ("post", "priority"),
    ("post", "prices"),
    ("post", "files"),
    ("post", "files/{file}/remove"),
    ("get", "files/{file}/download"),
    ("post", "comments"),
    ("post", "payments"),
    ("post", "client"),
    ("get", "delete"),
    ("post", "delete"),
]


@pytest.mark.parametrize("role", [Role.ORG_MEMBER, Role.ORG_ADMIN])
@pytest.mark.parametrize(("method", "path"), ACTION_ROUTES)
def test_organisation_users_get_403_on_every_action(client, role, method, path):
    user = UserFactory(role=role)
    project = ProjectFactory(organisation=user.organisation, status="PENDING")
    stored = FileFactory(project_obj=project)
    login(client, user.email)

    url = f"/admin/projects/{project.id}/" + path.format(file=stored.id)
    form = {"target": "IN_REVIEW", "priority": "URGENT", "body": "x", "confirm": "yes"}
    response = getattr(client, method)(url, data=form)

    assert response.status_code == 403
    assert project.reference not in response.text
    saved = reloaded(project)
    assert (saved.status, saved.priority) == ("PENDING", "MEDIUM")


@pytest.mark.parametrize(("method", "path"), ACTION_ROUTES)
def test_anonymous_visitors_are_sent_to_login(client, method, path):
    project = ProjectFactory()

    response = getattr(client, method)(f"/admin/projects/{project.id}/" + path.format(file=1))

    assert response.status_code == 302
    assert response.location.startswith("/login/")


@pytest.mark.parametrize("path", ["status", "priority", "prices", "comments", "payments"])
def test_actions_do_not_answer_get(staff, path):
    project = ProjectFactory()

    assert staff.get(f"/admin/projects/{project.id}/{path}").status_code == 405


def test_a_payment_recorded_today_shows_the_time_it_was_recorded(staff, monkeypatch):
    from datetime import UTC, datetime, time

    from app.domain.dates import BUSINESS_TIMEZONE
    from app.services import payment as payment_service

    today = business_today()
    now = datetime.combine(today, time(12, 37), tzinfo=BUSINESS_TIMEZONE)
    monkeypatch.setattr(payment_service, "utcnow", lambda: now.astimezone(UTC))
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=60000)

    page = post(staff, project, "payments", method="TRANSFER", paid_on=today.isoformat()).text

    day = today.strftime("%d/%m/%Y")
    assert f"<dt>Payé</dt><dd>{day} 12:37</dd>" in page
    assert f"· Virement bancaire · {day} 12:37" in page
    assert "13:00" not in page


def test_a_payment_received_another_day_shows_its_date_without_a_time(staff):
    paid_on = business_today() - timedelta(days=4)
    project = ProjectFactory(status="AWAITING_PAYMENT", final_price_cents=60000)

    page = post(staff, project, "payments", method="CHEQUE", paid_on=paid_on.isoformat()).text

    day = paid_on.strftime("%d/%m/%Y")
    assert f"<dt>Payé</dt><dd>{day}</dd>" in page
    assert f"· Chèque · {day}\n" in page
    listing = staff.get("/admin/payments/list/").text
    assert f'<td class="cnc-nowrap">{day}</td>' in listing


def test_the_team_corrects_a_typo_in_the_clients_email_from_the_project_page(staff):
    project = ProjectFactory(
        status="AWAITING_PAYMENT",
        client_name="Jean Dupont",
        client_email="jean.dupont@exmple.com",
        client_language="fr",
    )

    page = staff.get(show_url(project)).text
    assert "Corriger les coordonnées du client" in page
    assert 'id="client-details-form"' in page
    assert 'name="client_email" class="form-control" value="jean.dupont@exmple.com"' in page

    page = post(
        staff,
        project,
        "client",
        client_name="Jean Dupont",
        client_email="jean.dupont@example.com",
        client_phone="",
        client_language="fr",
    ).text

    assert "Coordonnées du client enregistrées. Un lien déjà envoyé est parti" in page
    assert reloaded(project).client_email == "jean.dupont@example.com"
    assert "jean.dupont@exmple.com → jean.dupont@example.com" in page
    assert history_count(project) == 1


def test_a_bad_client_email_is_refused_on_the_project_page_and_nothing_changes(staff):
    project = ProjectFactory(client_name="Jean Dupont", client_email="jean.dupont@example.com")

    page = post(
        staff, project, "client", client_name="Jean Durand", client_email="jean.dupont@"
    ).text

    assert 'class="alert alert-danger"' in page
    assert "jean.dupont@ n&#39;est pas une adresse e-mail valide." in page
    saved = reloaded(project)
    assert (saved.client_name, saved.client_email) == ("Jean Dupont", "jean.dupont@example.com")
    assert history_count(project) == 0


def test_a_cancelled_projects_page_offers_no_client_details_form(staff):
    project = ProjectFactory(status="CANCELLED")

    assert 'id="client-details-form"' not in staff.get(show_url(project)).text
