"""Demo data for a first look: two workshops, a user of every role, projects in every status.

Everything goes through the same services as real use, so the demo shows real histories,
references, files, links and invoices.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.domain.errors import N_, Conflict
from app.domain.policy import Role, Viewer
from app.extensions import db
from app.models import AppUser, FileKind, Organisation, Project, RequestedService
from app.services.account import create_organisation, create_user
from app.services.comment import add_comment
from app.services.demo_files import flange_drawing, flange_model, flange_program, specification
from app.services.file import Upload, add_files
from app.services.payment import record_manual_payment
from app.services.project import ProjectInput, create_project, set_prices, set_priority
from app.services.settings import update_settings
from app.services.workflow import change_status
from app.uow import transaction

DEMO_LOGINS = (
    ("admin@cnc-pulse.fr", "cncpulse-admin", "Admin"),
    ("equipe@cnc-pulse.fr", "cncpulse-equipe", "Team"),
    ("claire.dupont@atelier-dupont.fr", "cncpulse-orgadmin", "OrgAdmin"),
    ("lucas.martin@atelier-dupont.fr", "cncpulse-membre", "OrgMember"),
    ("sophie.lefevre@mecanique-lefevre.fr", "cncpulse-orgadmin", "OrgAdmin"),
    ("hugo.bernard@mecanique-lefevre.fr", "cncpulse-membre", "OrgMember"),
)
_NAMES = {
    "admin@cnc-pulse.fr": "Camille Rousseau",
    "equipe@cnc-pulse.fr": "Julien Mercier",
    "claire.dupont@atelier-dupont.fr": "Claire Dupont",
    "lucas.martin@atelier-dupont.fr": "Lucas Martin",
    "sophie.lefevre@mecanique-lefevre.fr": "Sophie Lefèvre",
    "hugo.bernard@mecanique-lefevre.fr": "Hugo Bernard",
}
SERVICES = (
    ("Programmation G-code", "G-code programming"),
    ("Modélisation CAO", "CAD modelling"),
    ("Plans techniques", "Technical drawings"),
    ("Rétro-ingénierie", "Reverse engineering"),
)


@dataclass(frozen=True)
class DemoProject:
    organisation: str
    author: str
    title: str
    client: tuple[str, str]
    description: str
    services: tuple[int, ...]
    goal: str
    days_to_deadline: int
    priority: str = "MEDIUM"
    estimate: int | None = None
    final: int | None = None


PROJECTS = (
    DemoProject(
        "Atelier Dupont",
        "lucas.martin@atelier-dupont.fr",
        "Bride de fixation en aluminium 6061",
        ("Garage Moreau", "contact@garage-moreau.fr"),
        "Programme 3 axes pour une bride de fixation, 4 perçages Ø8,5 et un lamage. "
        "Série de 50 pièces.",
        (0,),
        "PENDING",
        12,
    ),
    DemoProject(
        "Atelier Dupont",
        "claire.dupont@atelier-dupont.fr",
        "Support moteur pour prototype",
        ("Motos Legrand", "atelier@motos-legrand.fr"),
        "Modélisation CAO du support moteur à partir de relevés manuels, "
        "puis plan de définition coté.",
        (1, 2),
        "IN_REVIEW",
        20,
        "HIGH",
        65000,
    ),
    DemoProject(
        "Atelier Dupont",
        "lucas.martin@atelier-dupont.fr",
        "Plaque d'usure inox 316L",
        ("Chaudronnerie Petit", "devis@chaudronnerie-petit.fr"),
        "G-code pour la découpe et le surfaçage d'une plaque d'usure, "
        "tolérance de planéité 0,05 mm.",
        (0,),
        "IN_PROGRESS",
        5,
        "URGENT",
        42000,
    ),
    DemoProject(
        "Atelier Dupont",
        "claire.dupont@atelier-dupont.fr",
        "Carter de réducteur",
        ("Agri Services Roux", "compta@agri-roux.fr"),
        "Rétro-ingénierie d'un carter fissuré : modèle 3D et plans pour refabrication.",
        (1, 2, 3),
        "AWAITING_PAYMENT",
        3,
        "HIGH",
        118000,
        124000,
    ),
    DemoProject(
        "Atelier Dupont",
        "lucas.martin@atelier-dupont.fr",
        "Gabarit de perçage",
        ("Menuiserie Fabre", "contact@menuiserie-fabre.fr"),
        "Plan technique d'un gabarit de perçage pour charnières invisibles.",
        (2,),
        "PAID",
        30,
        "LOW",
        18000,
        18000,
    ),
    DemoProject(
        "Mécanique Lefèvre",
        "hugo.bernard@mecanique-lefevre.fr",
        "Arbre cannelé pour pompe",
        ("Hydraulique Blanc", "achats@hydraulique-blanc.fr"),
        "Programme de tournage-fraisage d'un arbre cannelé 42CrMo4, reprise en 4e axe.",
        (0,),
        "IN_PROGRESS",
        9,
        "MEDIUM",
        56000,
    ),
    DemoProject(
        "Mécanique Lefèvre",
        "sophie.lefevre@mecanique-lefevre.fr",
        "Moule d'injection (empreinte)",
        ("Plasturgie Girard", "bureau.etudes@plasturgie-girard.fr"),
        "Empreinte de moule en acier trempé : usinage 5 axes simultanés.",
        (0, 1),
        "REJECTED",
        15,
    ),
    DemoProject(
        "Mécanique Lefèvre",
        "hugo.bernard@mecanique-lefevre.fr",
        "Entretoises en laiton",
        ("Électricité Lambert", "contact@elec-lambert.fr"),
        "Petite série d'entretoises taraudées M4, programme de décolletage.",
        (0,),
        "CANCELLED",
        8,
    ),
    DemoProject(
        "Mécanique Lefèvre",
        "sophie.lefevre@mecanique-lefevre.fr",
        "Capot de protection machine",
        ("Scierie Chevalier", "direction@scierie-chevalier.fr"),
        "Plans de pliage et modèle 3D d'un capot en tôle 2 mm avec hublot.",
        (1, 2),
        # Completed, its link email delivered: the project then awaits payment by itself.
        "AWAITING_PAYMENT",
        2,
        "MEDIUM",
        31000,
        29500,
    ),
)


DEMO_IN_PRODUCTION = N_(
    "The demo data is never loaded in production (CNC_ENV=production): its accounts have "
    "published passwords. Create real accounts with flask cnc create-user."
)


def seed_demo() -> bool:
    """Load the demo once; return False when it is already there.

    :raise Conflict: in production, before anything is written.
    """
    if current_app.config["ENVIRONMENT"] == "production":
        raise Conflict(DEMO_IN_PRODUCTION)
    if db.session.scalar(select(AppUser.id).where(AppUser.email == DEMO_LOGINS[0][0])):
        return False
    update_settings(
        {
            "company_name": "CNC Pulse SAS",
            "company_address": "12 rue des Usineurs\n69007 Lyon\nFrance",
            "company_registration": "RCS Lyon 912 345 678",
            "company_vat_number": "FR12912345678",
            "reply_to_email": "equipe@cnc-pulse.fr",
            "contact_email": "contact@cnc-pulse.fr",
            "contact_phone": "04 72 00 00 00",
            "bank_holder": "CNC Pulse SAS",
            "bank_iban": "FR7630006000011234567890189",
            "bank_bic": "AGRIFRPP",
        }
    )
    with transaction() as session:
        for position, (name, name_en) in enumerate(SERVICES):
            session.add(RequestedService(name=name, name_en=name_en, position=position))
    create_organisation("Atelier Dupont", project_limit=25)
    create_organisation("Mécanique Lefèvre")
    users = {}
    for email, password, role in DEMO_LOGINS:
        organisation = None
        if role in ("OrgAdmin", "OrgMember"):
            organisation = "Atelier Dupont" if "dupont" in email else "Mécanique Lefèvre"
        users[email] = create_user(email, password, role, organisation, _NAMES[email])
    team = _viewer(users["equipe@cnc-pulse.fr"], Role.TEAM)
    services = db.session.scalars(
        select(RequestedService).order_by(RequestedService.position)
    ).all()
    organisations = {o.name: o.id for o in db.session.scalars(select(Organisation))}
    for number, spec in enumerate(PROJECTS):
        author = users[spec.author]
        viewer = _viewer(author, Role(next(r for e, _, r in DEMO_LOGINS if e == spec.author)))
        project = create_project(
            viewer,
            organisations[spec.organisation],
            ProjectInput(
                client_name=spec.client[0],
                client_email=spec.client[1],
                client_phone=f"04 72 00 {10 + number:02d} {20 + number:02d}",
                title=spec.title,
                description=spec.description,
                deadline=date.today() + timedelta(days=spec.days_to_deadline),
                service_ids=[services[i].id for i in spec.services],
            ),
            [
                _file(f"{_slug(spec.title)}.stl", flange_model()),
                _file("cahier-des-charges.pdf", specification()),
            ],
        )
        _walk(team, viewer, project.id, spec)
    return True


def _walk(team: Viewer, author: Viewer, project_id: int, spec: DemoProject) -> None:
    """Take a demo project through the real workflow up to its goal status."""
    add_comment(author, project_id, "Bonjour, vous trouverez les fichiers en pièce jointe. Merci !")
    if spec.priority != "MEDIUM":
        set_priority(team, project_id, spec.priority)
    if spec.goal == "PENDING":
        return
    if spec.goal == "CANCELLED":
        add_comment(author, project_id, "Notre client abandonne la commande, pouvez-vous annuler ?")
        change_status(team, project_id, "CANCELLED")
        return
    change_status(team, project_id, "IN_REVIEW")
    add_comment(team, project_id, "Nous étudions votre demande et revenons vers vous sous 48 h.")
    add_comment(
        team, project_id, "Vérifier la faisabilité avec le parc machine avant devis.", internal=True
    )
    if spec.goal == "REJECTED":
        change_status(
            team,
            project_id,
            "REJECTED",
            "L'usinage 5 axes simultanés de l'acier trempé dépasse nos capacités actuelles.",
        )
        return
    if spec.estimate:
        set_prices(team, project_id, estimated_price_cents=spec.estimate)
    if spec.goal == "IN_REVIEW":
        return
    change_status(team, project_id, "IN_PROGRESS")
    if spec.goal == "IN_PROGRESS":
        add_comment(team, project_id, "Programmation en cours, simulation prévue demain.")
        return
    add_files(
        team,
        project_id,
        FileKind.DELIVERABLE,
        [
            _file(f"{_slug(spec.title)}-op10.nc", flange_program()),
            _file(f"{_slug(spec.title)}-plan.pdf", flange_drawing()),
        ],
    )
    set_prices(team, project_id, final_price_cents=spec.final)
    # Completing issues the client's payment link. Once its email is delivered (to the
    # development mailbox, or by a mail server), the project awaits payment, as in real use.
    # Jobs queued for a worker (REDIS_URL) deliver it later: the project moves on then.
    change_status(team, project_id, "COMPLETED")
    db.session.expire_all()
    status = db.session.scalar(select(Project.status).where(Project.id == project_id))
    if spec.goal == "PAID" and status == "AWAITING_PAYMENT":
        record_manual_payment(team, project_id, "TRANSFER", date.today(), "VIR-2026-1187")


def _viewer(user: AppUser, role: Role) -> Viewer:
    return Viewer(user_id=user.id, role=role, organisation_id=user.organisation_id)


def _file(name: str, data: bytes) -> Upload:
    return Upload(filename=name, stream=io.BytesIO(data))


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")[:40]
