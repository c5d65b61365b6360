"""Every route × every role × every method, with CSRF on: who gets in, and what nobody may read.

The table below is the contract. Each (rule, method) of the app's URL map must match exactly one
entry, so adding a route without deciding who may reach it fails here. URL arguments are filled
with organisation A's ids: for member B they are foreign ids. Writes carry a valid CSRF token, so
a cell tests authorisation, not CSRF; separate cells show a write without a token is refused.
"""

import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy.exc import LegacyAPIWarning
from werkzeug.routing import Rule

from app.extensions import db
from tests.security.conftest import (
    A_CANARIES,
    B_CANARIES,
    INTERNAL_CANARY,
    RoleClient,
    World,
    database_state,
    log_in,
)


class Outcome(StrEnum):
    """What one request comes to, as a person using the site would see it."""

    OK = "OK"  # 2xx, or a redirect elsewhere than login with no error flashed
    LOGIN = "LOGIN"  # a redirect to the login page
    DENIED = "DENIED"  # 401 or 403
    MISSING = "MISSING"  # 404: for a foreign id, the row simply is not there
    NOT_ALLOWED = "NOT_ALLOWED"  # 405
    BAD_REQUEST = "BAD_REQUEST"  # 400: a missing CSRF token, a malformed API call
    REFUSED = "REFUSED"  # a redirect with FAB's "Access is Denied" flashed (unsafe GET, actions)
    REJECTED = "REJECTED"  # a redirect with another error flashed: let in, refused by the rules
    CRASH = "CRASH"  # an exception: a 500 in production


OK, LOGIN, DENIED, MISSING = Outcome.OK, Outcome.LOGIN, Outcome.DENIED, Outcome.MISSING
NOT_ALLOWED, BAD_REQUEST, REFUSED = Outcome.NOT_ALLOWED, Outcome.BAD_REQUEST, Outcome.REFUSED
REJECTED, CRASH = Outcome.REJECTED, Outcome.CRASH

# The columns of the table, in this order.
ROLES = ("anonymous", "member_a", "org_admin_a", "member_b", "team", "admin")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Served files, not routes anyone is granted: left out of the matrix.
STATIC_ENDPOINTS = frozenset({"static", "appbuilder.static"})

# How each URL argument is filled: the name of a value planted by the `world` fixture.
# An entry's `arguments` overrides this for its routes (FAB's `pk` is a user, a role, …).
ARGUMENTS = {
    "pk": "project",  # organisation A's project: its own for A, a foreign id for member B
    "file_id": "file",  # a project file of A's project
    "comment_id": "comment",  # a public comment on A's project
    "user_id": "member",  # member A's account: org admin A manages it, member B does not
    "token": "invitation",  # an invitation token nobody was sent
    "version": "version",  # the OpenAPI version: v1
    "locale": "locale",  # fr
    "asset": "asset",  # a preview's thumbnail (the planted file has no preview)
    "group_by": "group_by",  # FAB's user chart: the first grouping
}

# In an entry's data: a fresh upload goes in this field.
FILE = "<a fresh upload>"
# A complete project form: a write that would succeed on the right id.
PROJECT_FORM = {
    "client_name": "Client matrice",
    "client_email": "matrice@example.test",
    "title": "Projet matrice",
    "description": "Écrit par la matrice.",
}

# Planted values that are rows of an organisation: a write aimed at one is a tenant write.
TENANT_VALUES = frozenset({"project", "file", "comment", "organisation", "member"})

# Presets: one outcome per role, in ROLES order.
#            anonymous member_a org_admin_a member_b team  admin
PUBLIC = (OK, OK, OK, OK, OK, OK)
STAFF = (LOGIN, DENIED, DENIED, DENIED, OK, OK)
ADMIN_ONLY = (LOGIN, DENIED, DENIED, DENIED, DENIED, OK)
# The organisation portal: organisation users only. Admin and Team work in the back office: a
# portal page sends them to the matching back-office page, a portal write answers them 403.
PORTAL = (LOGIN, OK, OK, OK, OK, OK)
PORTAL_WRITE = (LOGIN, OK, OK, OK, DENIED, DENIED)
# The same on organisation A's rows: for member B a foreign id is simply not found.
PORTAL_ON_A = (LOGIN, OK, OK, MISSING, OK, OK)
PORTAL_WRITE_ON_A = (LOGIN, OK, OK, MISSING, DENIED, DENIED)


@dataclass(frozen=True)
class Entry:
    """One line of the contract: routes (endpoint regex), methods, and each role's outcome."""

    endpoint: str
    methods: frozenset[str]
    outcomes: tuple[Outcome, ...]
    arguments: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    # Warnings FAB's own code raises on this route, which the app cannot change.
    tolerates: tuple[type[Warning], ...] = ()

    def __post_init__(self) -> None:
        assert len(self.outcomes) == len(ROLES), f"{self.endpoint}: one outcome per role"

    def covers(self, endpoint: str, method: str) -> bool:
        return method in self.methods and re.fullmatch(self.endpoint, endpoint) is not None

    def expected(self, role: str) -> Outcome:
        return self.outcomes[ROLES.index(role)]


def row(
    endpoint: str,
    methods: str,
    outcomes: tuple[Outcome, ...],
    arguments: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    tolerates: tuple[type[Warning], ...] = (),
) -> Entry:
    methods_set = frozenset(methods.split(","))
    return Entry(
        endpoint, methods_set, outcomes, dict(arguments or {}), dict(data or {}), tolerates
    )


def fab_crud_view(
    view: str,
    pk: str,
    admin_show: Outcome = OK,
    tolerates: tuple[type[Warning], ...] = (),
    delete: bool = True,
) -> list[Entry]:
    """FAB's security CRUD screens (users, roles, groups): Admin only.

    FAB's permission tables survive between tests, so no cell may change them: edit and delete
    cells aim at an id no row has, and answer 404 once the permission check let them by. FAB's
    actions and upload downloads are not registered (see app.security).
    """
    on_missing = {"pk": "missing"}
    entries = [
        row(rf"{view}\.list", "GET", ADMIN_ONLY),
        row(rf"{view}\.show", "GET", ADMIN_ONLY[:5] + (admin_show,), {"pk": pk}, None, tolerates),
        row(rf"{view}\.add", "GET,POST", ADMIN_ONLY),
        row(rf"{view}\.edit", "GET,POST", ADMIN_ONLY[:5] + (MISSING,), on_missing),
    ]
    if delete:
        entries += [
            # FAB's ModelView refuses an unsafe GET with CSRF on.
            row(rf"{view}\.delete", "GET", ADMIN_ONLY[:5] + (REFUSED,), on_missing),
            row(rf"{view}\.delete", "POST", ADMIN_ONLY[:5] + (MISSING,), on_missing),
        ]
    return entries


MATRIX: list[Entry] = [
    # Public: the landing page sends each visitor where they belong; login, language, health.
    row(r"HomeView\.index", "GET", (LOGIN, OK, OK, OK, OK, OK)),
    row(r"AuthDBView\.login", "GET,POST", PUBLIC),
    row(r"AuthDBView\.logout", "GET", PUBLIC),
    row(r"LocaleView\.index", "GET", PUBLIC),
    row(r"UtilView\.back", "GET", PUBLIC),
    row(r"health\.health", "GET", PUBLIC),
    # Probes: whether this instance can serve (the dependencies), as JSON for anyone.
    row(r"health\.ready", "GET", PUBLIC),
    # The client's payment link: a token nobody was sent opens nothing, for anyone.
    row(
        r"pay\.(page|download|archive|invoice|invoice_pdf|file_page|preview)", "GET", (MISSING,) * 6
    ),
    row(r"pay\.credit_note", "GET", (MISSING,) * 6, arguments={"credit_note_id": "file"}),
    row(r"pay\.checkout", "POST", (MISSING,) * 6, data={"lang": "fr"}),
    # Stripe's events: this app has no webhook secret, so no signature can be valid.
    row(r"stripe_webhook\.webhook", "POST", (BAD_REQUEST,) * 6),
    # FAB's token API: JSON only, so a form post is malformed whoever sends it.
    row(r"SecurityApi\.login", "POST", (BAD_REQUEST,) * 6),
    row(r"SecurityApi\.refresh", "POST", (DENIED,) * 6),
    row(r"MenuApi\.get_menu_data", "GET", (DENIED,) * 5 + (OK,)),
    row(r"OpenApi\.get", "GET", (DENIED, DENIED, DENIED, DENIED, OK, OK)),
    row(r"SwaggerView\.show", "GET", STAFF),
    # The REST API takes tokens only (tests/api covers it role by role): a session cookie is
    # not enough, whoever sends it.
    row(r"(Project|ProjectThread|Export)SharedApi\..*", "GET,POST,PUT,DELETE", (DENIED,) * 6),
    # Every user edits their own account; resetting someone else's password is Admin's.
    row(r"UserInfoEditView\.this_form_(get|post)", "GET,POST", (LOGIN, OK, OK, OK, OK, OK)),
    row(r"ResetMyPasswordView\.this_form_(get|post)", "GET,POST", (LOGIN, OK, OK, OK, OK, OK)),
    row(r"ResetPasswordView\.this_form_(get|post)", "GET,POST", ADMIN_ONLY),
    # One account page for every role; FAB's user info page leads there.
    row(r"UserDBModelView\.userinfo", "GET", (LOGIN, OK, OK, OK, OK, OK)),
    row(r"AccountView\.index", "GET", (LOGIN, OK, OK, OK, OK, OK)),
    row(
        r"AccountView\.index",
        "POST",
        (LOGIN, OK, OK, OK, OK, OK),
        data={"first_name": "Matrice", "language": "fr"},
    ),
    row(r"AccountView\.end_other_sessions", "POST", (LOGIN, OK, OK, OK, OK, OK)),
    row(r"UserStatsChartView\.chart", "GET", ADMIN_ONLY),
    # FAB's security screens: Admin only. Accounts are deactivated, never deleted.
    *fab_crud_view("UserDBModelView", "user", delete=False),
    # FAB's role page loads the role with the legacy Query.get().
    *fab_crud_view("RoleModelView", "role", tolerates=(LegacyAPIWarning,)),
    *fab_crud_view("UserGroupModelView", "missing", admin_show=MISSING),
    # FAB's permission screens: only their list is registered.
    row(r"(Permission|ViewMenu|PermissionView)ModelView\.list", "GET", ADMIN_ONLY),
    # The back office: staff only, every organisation; A's project is PENDING.
    row(r"DashboardAdminView\.index", "GET", STAFF),
    row(r"(Payment|Invoice|CreditNote|RequestedService|EmailMessage)AdminView\.list", "GET", STAFF),
    # No credit note has that id: let in, then not found.
    row(r"CreditNoteAdminView\.pdf", "GET", (LOGIN, DENIED, DENIED, DENIED, MISSING, MISSING)),
    row(r"EmailMessageAdminView\.resend", "POST", STAFF, {"pk": "email"}),
    # The requested services are Admin's; the team reads them. One in use is never deleted.
    row(r"RequestedServiceAdminView\.add", "GET,POST", ADMIN_ONLY, data={"name": "Matrice"}),
    row(
        r"RequestedServiceAdminView\.edit",
        "GET,POST",
        ADMIN_ONLY,
        {"pk": "service"},
        data={"name": "Usinage matrice", "name_en": "Matrix machining"},
    ),
    row(
        r"RequestedServiceAdminView\.offer",
        "POST",
        ADMIN_ONLY,
        {"pk": "service"},
        data={"offered": "1"},
    ),
    row(
        r"RequestedServiceAdminView\.delete",
        "POST",
        (LOGIN, DENIED, DENIED, DENIED, DENIED, REJECTED),
        {"pk": "service"},
    ),
    row(r"EmailMessageAdminView\.read", "GET", STAFF, {"pk": "email"}),
    # The queues and failed jobs are Admin's; no outbox message has that id.
    row(r"JobsAdminView\.show", "GET", ADMIN_ONLY),
    row(
        r"JobsAdminView\.retry",
        "POST",
        ADMIN_ONLY[:5] + (MISSING,),
        arguments={"message_id": "invitation"},
    ),
    # SPEC §1: organisations are managed by Admin; the team reads them.
    row(r"OrganisationAdminView\.list", "GET", STAFF),
    row(r"OrganisationAdminView\.add", "GET,POST", ADMIN_ONLY, data={"name": "Atelier C"}),
    row(
        r"OrganisationAdminView\.edit",
        "GET,POST",
        ADMIN_ONLY,
        {"pk": "organisation"},
        data={"name": "Atelier A renommé", "limit": ""},
    ),
    # SPEC §6: company details, VAT rate and delays are Admin's; the team reads them.
    row(r"SettingsAdminView\.show", "GET", STAFF),
    row(
        r"SettingsAdminView\.edit",
        "POST",
        ADMIN_ONLY,
        data={
            "company_name": "CNC Pulse SAS",
            "company_address": "12 rue des Fraiseuses, 69000 Lyon",
            "company_registration": "",
            "company_vat_number": "",
            "vat_rate": "20",
            "download_access_days": "90",
        },
    ),
    row(
        r"SettingsAdminView\.edit_contact",
        "POST",
        ADMIN_ONLY,
        data={
            "reply_to_email": "equipe@cnc-pulse.example",
            "contact_email": "",
            "contact_phone": "",
            "bank_holder": "CNC Pulse SAS",
            "bank_iban": "FR7630006000011234567890189",
            "bank_bic": "",
        },
    ),
    row(r"ProjectAdminView\.(list|show)", "GET", STAFF),
    # CSV exports, each one recorded; the journal's form posts, as a batch books lines.
    row(r"ExportAdminView\.(index|projects)", "GET", STAFF),
    row(
        r"ExportAdminView\.journal",
        "POST",
        STAFF,
        data={"start": "2026-01-01", "end": "2026-12-31"},
    ),
    row(r"ProjectActionsAdminView\.(download|archive|confirm_delete|file_page)", "GET", STAFF),
    # The planted file has no preview: for the team too, there is no picture to send.
    row(
        r"ProjectActionsAdminView\.preview",
        "GET",
        (LOGIN, DENIED, DENIED, DENIED, MISSING, MISSING),
    ),
    row(r"ProjectActionsAdminView\.move", "POST", STAFF, data={"target": "IN_REVIEW", "note": "x"}),
    row(r"ProjectActionsAdminView\.priority", "POST", STAFF, data={"priority": "HIGH"}),
    row(r"ProjectActionsAdminView\.prices", "POST", STAFF, data={"estimated_price": "120"}),
    row(
        r"ProjectActionsAdminView\.client_details",
        "POST",
        STAFF,
        data={"client_name": "Jeanne Roux", "client_email": "jeanne.roux@example.com"},
    ),
    row(r"ProjectActionsAdminView\.upload", "POST", STAFF, data={"kind": "PROJECT", "files": FILE}),
    row(r"ProjectActionsAdminView\.remove", "POST", STAFF),
    row(r"ProjectActionsAdminView\.comment", "POST", STAFF, data={"body": "x", "internal": "1"}),
    # Let in, then refused by the workflow: a PENDING project awaits no payment.
    row(
        r"ProjectActionsAdminView\.payment",
        "POST",
        (LOGIN, DENIED, DENIED, DENIED, REJECTED, REJECTED),
        data={"method": "TRANSFER", "paid_on": "2026-11-25", "reference": "VIR-1"},
    ),
    # Let in, then refused: a PENDING project has no payment link and no invoice.
    row(
        r"ProjectActionsAdminView\.(regenerate_link|remind)",
        "POST",
        (LOGIN, DENIED, DENIED, DENIED, REJECTED, REJECTED),
    ),
    # A Checkout Session id no project has: let in, then not found.
    row(
        r"ProjectActionsAdminView\.settle_card_payment",
        "POST",
        (LOGIN, DENIED, DENIED, DENIED, MISSING, MISSING),
        arguments={"session_id": "invitation"},
        data={"note": "Remboursé sur Stripe"},
    ),
    row(
        r"ProjectActionsAdminView\.(invoice|invoice_pdf)",
        "GET",
        (LOGIN, DENIED, DENIED, DENIED, MISSING, MISSING),
    ),
    row(r"ProjectActionsAdminView\.delete", "POST", STAFF, data={"confirm": "yes"}),
    # The organisation portal, on organisation A's project, file and thread.
    row(r"DashboardPortalView\.index", "GET", PORTAL),
    row(r"ProjectPortalView\.list", "GET", PORTAL),
    row(r"ProjectPortalView\.add", "GET", PORTAL),
    row(r"ProjectPortalView\.add", "POST", PORTAL_WRITE, data=PROJECT_FORM),
    row(r"ProjectPortalView\.(show|edit|delete)", "GET", PORTAL_ON_A),
    row(r"ProjectPortalView\.edit", "POST", PORTAL_WRITE_ON_A, data=PROJECT_FORM),
    row(r"ProjectPortalView\.delete", "POST", PORTAL_WRITE_ON_A, data={"confirm": "yes"}),
    row(r"ProjectFilePortalView\.(download|file_page)", "GET", PORTAL_ON_A),
    # The planted file has no preview; the team is sent to the back office, as on every portal page.
    row(r"ProjectFilePortalView\.preview", "GET", (LOGIN, MISSING, MISSING, MISSING, OK, OK)),
    # A's project is PENDING: its deliverables are not the organisation's to take yet.
    row(r"ProjectFilePortalView\.archive", "GET", (LOGIN, MISSING, MISSING, MISSING, OK, OK)),
    # A's project is not paid: no invoice, no credit note, for its own organisation either.
    row(
        r"ProjectDocumentPortalView\.(invoice|invoice_pdf|credit_note)",
        "GET",
        (LOGIN, MISSING, MISSING, MISSING, OK, OK),
        arguments={"credit_note_id": "file"},
    ),
    row(r"ProjectFilePortalView\.upload", "POST", PORTAL_WRITE_ON_A, data={"files": FILE}),
    row(r"ProjectFilePortalView\.remove", "POST", PORTAL_WRITE_ON_A),
    row(r"CommentPortalView\.comment", "POST", PORTAL_WRITE_ON_A, data={"body": "x"}),
    # Let in, then refused: a PENDING project has no link to send again, and no invoice.
    row(
        r"ProjectPaymentPortalView\.resend_link",
        "POST",
        (LOGIN, REJECTED, REJECTED, MISSING, DENIED, DENIED),
    ),
    row(r"ExportPortalView\.export", "GET", PORTAL),
    # Members: the organisation admin's; a member gets 403 on every members route.
    row(r"MemberPortalView\.list", "GET", (LOGIN, DENIED, OK, DENIED, OK, OK)),
    row(
        r"MemberPortalView\.invite",
        "POST",
        (LOGIN, DENIED, OK, DENIED, DENIED, DENIED),
        data={"email": "invite@example.test", "name": "Nouveau Membre", "language": "fr"},
    ),
    row(r"MemberPortalView\.deactivate", "POST", (LOGIN, DENIED, OK, DENIED, DENIED, DENIED)),
    # Member A has accepted: there is no invitation to send again or revoke.
    row(
        r"MemberPortalView\.(resend|revoke)",
        "POST",
        (LOGIN, DENIED, REJECTED, DENIED, DENIED, DENIED),
    ),
    # The invited member's page is public; a token nobody was sent is not found, for anyone.
    row(r"InvitationView\.accept", "GET,POST", (MISSING,) * 6, data={"password": "x" * 12}),
    # Whoever forgot their password asks for a link without logging in; the answer, the same for
    # any address, leads back to the login page. A reset token nobody was sent is not found.
    row(r"ForgotPasswordView\.forgot", "GET", PUBLIC),
    row(r"ForgotPasswordView\.ask", "POST", (LOGIN,) * 6, data={"email": "x@example.test"}),
    row(r"ForgotPasswordView\.reset", "GET,POST", (MISSING,) * 6, data={"password": "x" * 12}),
]


@dataclass(frozen=True)
class Cell:
    """One request of the matrix: one role, one rule, one method."""

    role: str
    method: str
    url: str
    endpoint: str
    entry: Entry
    # The planted values the URL was filled with, by name ("project", "user", …).
    sources: tuple[str, ...]

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def aims_at_a_tenant_row(self) -> bool:
        return any(source in TENANT_VALUES for source in self.sources)


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """Each (rule, method) of the URL map the matrix must cover."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in STATIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return found


def entry_for(rule: Rule, method: str) -> Entry:
    matches = [entry for entry in MATRIX if entry.covers(rule.endpoint, method)]
    assert len(matches) == 1, (
        f"{method} {rule.rule} ({rule.endpoint}) matches {len(matches)} MATRIX entries, "
        "not exactly one: see test_every_route_has_exactly_one_entry"
    )
    return matches[0]


def sources_of(rule: Rule, entry: Entry) -> dict[str, str]:
    """Name the planted value each URL argument takes, as the entry and ARGUMENTS say."""
    sources = {}
    for name in sorted(rule.arguments):
        source = entry.arguments.get(name) or ARGUMENTS.get(name)
        assert source, (
            f"{rule.rule}: no value for the URL argument <{name}>. Add it to ARGUMENTS in "
            f"{__name__} (and plant the row it names in tests/security/conftest.py)."
        )
        sources[name] = source
    return sources


def cells_for(app: Flask, role: str, values: Mapping[str, object]) -> list[Cell]:
    """The role's cells, reads first; deletions, removals and logging out last."""
    cells = []
    for rule, method in routes(app):
        entry = entry_for(rule, method)
        sources = sources_of(rule, entry)
        built = rule.build({name: values[s] for name, s in sources.items()}, append_unknown=False)
        assert built is not None, rule.rule
        cells.append(Cell(role, method, built[1], rule.endpoint, entry, tuple(sources.values())))

    def order(cell: Cell) -> tuple[int, str, str]:
        # A removed file, a deleted project or a closed session would spoil the cells after it.
        for rank, word in enumerate(("remove", "delete", "logout"), start=2):
            if word in cell.url:
                return (rank, cell.url, cell.method)
        return (1 if cell.is_write else 0, cell.url, cell.method)

    return sorted(cells, key=order)


def access_denied_texts(app: Flask) -> set[str]:
    """FAB's "Access is Denied" flash, in every language the interface speaks."""
    from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED

    texts = set()
    with app.test_request_context():
        for locale in ("fr", "en"):
            with force_locale(locale):
                texts.add(str(FLAMSG_ERR_SEC_ACCESS_DENIED))
    return texts


def send(who: RoleClient, cell: Cell, denied_texts: set[str]) -> tuple[Outcome | str, str]:
    """Send one cell's request; return its outcome and the response body."""
    data = None
    if cell.is_write:
        data = {"csrf_token": who.csrf_token, **cell.entry.data}
        for name, value in data.items():
            if value == FILE:
                data[name] = (io.BytesIO(b"ISO-10303-21; matrix"), "matrice.step")
    try:
        with warnings.catch_warnings():
            for category in cell.entry.tolerates:
                warnings.simplefilter("ignore", category)
            response = who.client.open(cell.url, method=cell.method, data=data)
    except Exception as error:  # noqa: BLE001 - testing propagates it; production answers 500
        return CRASH, f"{type(error).__name__}: {error}"
    with response:
        body = response.get_data(as_text=True)
    return classify(who, response, denied_texts), body


def classify(who: RoleClient, response, denied_texts: set[str]) -> Outcome | str:
    code = response.status_code
    flashed = _take_flashes(who)
    if 300 <= code < 400:
        if urlsplit(response.location).path.startswith("/login"):
            return LOGIN
        errors = [message for category, message in flashed if category in ("danger", "error")]
        if any(message in denied_texts for message in errors):
            return REFUSED
        return REJECTED if errors else OK
    if 200 <= code < 300:
        return OK
    known = {400: BAD_REQUEST, 401: DENIED, 403: DENIED, 404: MISSING, 405: NOT_ALLOWED}
    return known.get(code, f"HTTP {code}")


def _take_flashes(who: RoleClient) -> list[tuple[str, str]]:
    # Read and clear what the response flashed, so the next cell starts from a clean slate.
    with who.client.session_transaction() as session:
        return list(session.pop("_flashes", []))


def leaked(role: str, body: str) -> list[str]:
    """The canaries ``role`` must never read that ``body`` holds."""
    if role in ("member_a", "org_admin_a"):
        forbidden = (*B_CANARIES, INTERNAL_CANARY)
    elif role == "member_b":
        forbidden = (*A_CANARIES, INTERNAL_CANARY)
    else:
        return []
    return [canary for canary in forbidden if canary in body]


def run_cells(
    app: Flask, who: RoleClient, cells: list[Cell], expect_role: str, check_writes: bool
) -> list[str]:
    """Run the cells; return one line per wrong outcome, leak, or foreign write changing rows."""
    denied_texts = access_denied_texts(app)
    problems = []
    for cell in cells:
        snapshot_needed = check_writes and cell.is_write and cell.aims_at_a_tenant_row
        before = _state(app) if snapshot_needed else None
        got, body = send(who, cell, denied_texts)
        expected = cell.entry.expected(expect_role)
        where = f"{who.role:12} {cell.method:6} {cell.url} [{cell.endpoint}]"
        if got != expected:
            crash = f" ({body})" if got == CRASH else ""
            problems.append(f"{where}: expected {expected}, got {got}{crash}")
        for canary in leaked(who.role, body):
            problems.append(f"{where}: the response holds {canary}")
        if before is not None and _state(app) != before:
            problems.append(f"{where}: a write with a foreign id changed rows")
    return problems


def _state(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        try:
            return database_state()
        finally:
            db.session.remove()


def test_every_route_has_exactly_one_entry(csrf_app: Flask):
    """A route added without an entry (or matching two) fails here, naming it."""
    uncovered, ambiguous = [], []
    for rule, method in routes(csrf_app):
        matches = [entry for entry in MATRIX if entry.covers(rule.endpoint, method)]
        line = f"{method:6} {rule.rule}  ({rule.endpoint})"
        if not matches:
            uncovered.append(line)
        elif len(matches) > 1:
            ambiguous.append(line)
    assert not uncovered, "Routes without an entry in MATRIX:\n" + "\n".join(uncovered)
    assert not ambiguous, "Routes matching several entries:\n" + "\n".join(ambiguous)


def test_every_entry_still_matches_a_route(csrf_app: Flask):
    """An entry whose routes are gone is dead weight that hides the next route's name."""
    present = routes(csrf_app)
    stale = [
        f"{sorted(entry.methods)} {entry.endpoint}"
        for entry in MATRIX
        if not any(entry.covers(rule.endpoint, method) for rule, method in present)
    ]
    assert not stale, "Entries matching no route:\n" + "\n".join(stale)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_outcome_the_matrix_says(csrf_app: Flask, world: World, role: str):
    """Every cell of one role's column, organisation A's ids in the URLs."""
    who = log_in(csrf_app, role, world)
    cells = cells_for(csrf_app, role, world.values)

    problems = run_cells(csrf_app, who, cells, role, check_writes=role == "member_b")

    assert not problems, f"{len(problems)} of {len(cells)} cells wrong:\n" + "\n".join(problems)


def test_member_a_aiming_at_organisation_b_changes_nothing(csrf_app: Flask, world: World):
    """Member A with B's ids gets what member B gets with A's: not found, no rows changed."""
    who = log_in(csrf_app, "member_a", world)
    cells = cells_for(csrf_app, "member_a", world.foreign_values)

    problems = run_cells(csrf_app, who, cells, "member_b", check_writes=True)

    assert not problems, f"{len(problems)} of {len(cells)} cells wrong:\n" + "\n".join(problems)


# Writes a logged-in user may make, sent without a token: CSRF refuses them before anything runs.
WITHOUT_TOKEN = [
    ("team", "/admin/projects/{project}/comments", {"body": "x", "internal": "1"}),
    ("team", "/admin/projects/{project}/delete", {"confirm": "yes"}),
    ("admin", "/users/add", {}),
    ("member_a", "/portal/projects/{project}/comments", {"body": "x"}),
    ("member_a", "/portal/projects/{project}/delete", {"confirm": "yes"}),
    ("member_a", "/account/sessions/end-others", {}),
    ("team", "/account/", {"first_name": "Sans jeton", "language": "en"}),
]


@pytest.mark.parametrize(("role", "url", "data"), WITHOUT_TOKEN)
def test_a_write_without_a_csrf_token_is_refused(
    csrf_app: Flask, world: World, role: str, url: str, data: dict[str, str]
):
    """With CSRF on as in production, a write without a token answers 400 and changes nothing."""
    who = log_in(csrf_app, role, world)
    before = _state(csrf_app)

    response = who.client.post(url.format(**world.values), data=data)

    assert response.status_code == 400, response.text
    assert _state(csrf_app) == before


# Where the canaries must show, so that their absence elsewhere means something.
CANARIES_SHOWN = [
    ("team", "/admin/projects/show/{project}", (*A_CANARIES, INTERNAL_CANARY)),
    ("admin", "/admin/projects/show/{foreign}", B_CANARIES[:-1]),
    ("team", "/admin/emails/list/", ("CANARY-B-EMAIL",)),
    ("member_a", "/portal/projects/{project}", A_CANARIES),
    ("member_b", "/portal/projects/{foreign}", B_CANARIES[1:5]),
]


@pytest.mark.parametrize(("role", "url", "canaries"), CANARIES_SHOWN)
def test_the_canaries_show_where_they_may(
    csrf_app: Flask, world: World, role: str, url: str, canaries: tuple[str, ...]
):
    """The project pages print every planted string to those allowed to read it."""
    who = log_in(csrf_app, role, world)
    page = url.format(project=world.values["project"], foreign=world.foreign_values["project"])

    body = who.client.get(page).get_data(as_text=True)

    assert [canary for canary in canaries if canary not in body] == []


def test_the_same_write_on_ones_own_project_does_change_rows(csrf_app: Flask, world: World):
    """The snapshot sees a write that lands, so an unchanged one was really refused."""
    who = log_in(csrf_app, "member_a", world)
    before = _state(csrf_app)

    response = who.client.post(
        f"/portal/projects/{world.values['project']}/comments",
        data={"csrf_token": who.csrf_token, "body": "x"},
    )

    assert response.status_code == 302
    assert _state(csrf_app) != before


def test_an_organisation_admin_cannot_deactivate_another_organisations_member(
    csrf_app: Flask, world: World
):
    """Org admin A aiming at member B's account finds no such member, and changes nothing."""
    who = log_in(csrf_app, "org_admin_a", world)
    before = _state(csrf_app)

    response = who.client.post(
        f"/portal/members/{world.foreign_values['member']}/deactivate",
        data={"csrf_token": who.csrf_token},
    )

    assert response.status_code == 404
    assert _state(csrf_app) == before
