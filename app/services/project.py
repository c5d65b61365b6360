"""Create, edit and delete projects; set their priority and prices."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Invalid, LimitReached, NotFound, PermissionDenied
from app.domain.notifications import Event
from app.domain.policy import Viewer
from app.domain.reference import format_reference
from app.domain.workflow import (
    INITIAL_PRIORITY,
    INITIAL_STATUS,
    Priority,
    ProjectStatus,
    counts_towards_limit,
)
from app.models import EventKind, FileKind, Organisation, Project, ProjectFile, RequestedService
from app.models.base import utcnow
from app.services.account import EMAIL_PATTERN
from app.services.common import business_year, load_project, next_number, record_event
from app.services.file import Upload, store_uploads
from app.services.notification import notify
from app.uow import blob_removed, transaction

EDITABLE_FIELDS = frozenset(
    {
        "client_name",
        "client_email",
        "client_phone",
        "client_address",
        "client_language",
        "title",
        "description",
        "deadline",
        "service_ids",
    }
)
CLIENT_FIELDS = frozenset(
    {"client_name", "client_email", "client_phone", "client_address", "client_language"}
)
TEAM_ONLY_FIELDS = frozenset({"status", "priority", "estimated_price_cents", "final_price_cents"})
# What update_project changes besides the details, for the team only.
PRICED_FIELDS = frozenset({"priority", "estimated_price_cents", "final_price_cents"})
LANGUAGES = ("fr", "en")
_LIMITS = {
    "client_name": 200,
    "client_email": 320,
    "client_phone": 40,
    "client_address": 1000,
    "title": 200,
    "description": 20000,
}


@dataclass
class ProjectInput:
    """What a person types to describe a project."""

    client_name: str
    client_email: str
    title: str
    description: str = ""
    client_phone: str | None = None
    client_address: str | None = None
    client_language: str = "fr"
    deadline: date | None = None
    service_ids: Sequence[int] = field(default_factory=list)


def create_project(
    viewer: Viewer, organisation_id: int, data: ProjectInput, uploads: Sequence[Upload] = ()
) -> Project:
    """Submit a project for an organisation; it starts PENDING with MEDIUM priority.

    :raise PermissionDenied: if an organisation user creates for another organisation.
    :raise LimitReached: if the organisation already has as many projects as its limit.
    :raise Invalid: for missing or malformed fields, or an unknown service.
    """
    if not policy.can_create_project(viewer, organisation_id):
        raise PermissionDenied(N_("You can only create projects for your own organisation."))
    values = _clean(
        {
            "client_name": data.client_name,
            "client_email": data.client_email,
            "client_phone": data.client_phone,
            "client_address": data.client_address,
            "client_language": data.client_language,
            "title": data.title,
            "description": data.description,
            "deadline": data.deadline,
        },
        creating=True,
    )
    with transaction() as session:
        organisation = session.scalars(
            select(Organisation).where(Organisation.id == organisation_id).with_for_update()
        ).first()
        if organisation is None:
            raise NotFound(N_("Organisation not found."))
        _check_limit(session, organisation)
        now = utcnow()
        year = business_year(now)
        project = Project(
            organisation_id=organisation.id,
            reference=format_reference(year, next_number(session, "project", year)),
            status=INITIAL_STATUS.value,
            priority=INITIAL_PRIORITY.value,
            currency="EUR",
            created_at=now,
            updated_at=now,
            created_by_id=viewer.user_id,
            **values,
        )
        project.services = _services(session, data.service_ids)
        session.add(project)
        session.flush()
        record_event(session, project, viewer, EventKind.CREATED, to_status=INITIAL_STATUS.value)
        store_uploads(session, viewer, project, FileKind.PROJECT, uploads)
        notify(session, Event.PROJECT_CREATED, project.id)
    return project


def edit_project(viewer: Viewer, project_id: int, changes: Mapping[str, object]) -> Project:
    """Change a project's client information, title, description, services or deadline.

    Status, priority and prices have their own use cases: naming them here is refused, not
    ignored, so a client of the API learns its mistake.

    :raise PermissionDenied: for a field that cannot be edited, or a CANCELLED project.
    :raise Invalid: for a malformed value.
    """
    _refuse_unknown(changes, EDITABLE_FIELDS)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        _apply_edits(session, viewer, project, changes)
    return project


def edit_client_details(
    viewer: Viewer, project_id: int, changes: Mapping[str, object]
) -> dict[str, object]:
    """Correct the client's name, email, phone, postal address or language, as the team.

    The history records each field changed with its old and new value, and who changed it.
    Return the changes made, empty when every value was already so.

    :raise PermissionDenied: for anyone but the team, a field other than the client's, or a
        CANCELLED project.
    :raise Invalid: for a missing name or email, a malformed email, an unknown language or a
        value too long.
    """
    if not viewer.is_staff:
        raise PermissionDenied(N_("Only the team can correct the client's details."))
    _refuse_unknown(changes, CLIENT_FIELDS)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        return _apply_edits(session, viewer, project, changes)


def update_project(viewer: Viewer, project_id: int, changes: Mapping[str, object]) -> Project:
    """Change a project's details, priority and prices at once: all of it, or nothing.

    Priority and prices are the team's: an organisation user naming them is refused, not
    ignored. Status has its own use case (``change_status``) and is refused here.

    :raise PermissionDenied: for a field the viewer cannot change, or a CANCELLED project.
    :raise Invalid: for a malformed value.
    """
    _refuse_unknown(changes, EDITABLE_FIELDS | PRICED_FIELDS)
    priority = _priority(changes["priority"]) if "priority" in changes else None
    estimated = changes.get("estimated_price_cents")
    final = changes.get("final_price_cents")
    _check_prices(estimated, final)
    with transaction() as session:
        # Loaded first: a project the viewer cannot see is not found, whatever they ask of it.
        project = load_project(session, viewer, project_id, lock=True)
        if "priority" in changes and not policy.can_set_priority(viewer):
            raise PermissionDenied(N_("Only the team can set the priority."))
        if PRICED_FIELDS.intersection(changes) - {"priority"} and not policy.can_set_prices(viewer):
            raise PermissionDenied(N_("Only the team can set prices."))
        details = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
        if details:
            _apply_edits(session, viewer, project, details)
        if priority is not None:
            _apply_priority(session, viewer, project, priority)
        if estimated is not None or final is not None:
            _apply_prices(session, viewer, project, estimated, final)  # type: ignore[arg-type]
    return project


def _refuse_unknown(changes: Mapping[str, object], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise PermissionDenied(
            N_("These fields cannot be changed here: %(fields)s."),
            fields=", ".join(sorted(unknown)),
        )


def _apply_edits(
    session: Session, viewer: Viewer, project: Project, changes: Mapping[str, object]
) -> dict[str, object]:
    if not policy.can_edit_project(viewer, project.organisation_id, project.status_enum):
        raise PermissionDenied(N_("A cancelled project can no longer be changed."))
    values = _clean({k: v for k, v in changes.items() if k != "service_ids"}, creating=False)
    changed: dict[str, object] = {}
    for name, value in values.items():
        if getattr(project, name) != value:
            changed[name] = {"from": getattr(project, name), "to": value}
            setattr(project, name, value)
    if "service_ids" in changes:
        services = _services(session, changes["service_ids"], kept=project.services)
        before = sorted(s.name for s in project.services)
        after = sorted(s.name for s in services)
        if before != after:
            project.services = services
            changed["services"] = {"from": before, "to": after}
    if changed:
        project.updated_at = utcnow()
        record_event(session, project, viewer, EventKind.EDITED, details=changed)
    return changed


def delete_project(viewer: Viewer, project_id: int, *, confirmed: bool) -> None:
    """Delete a project, its files (from storage too), comments and history, for good.

    Payments and invoices stay for accounting: they carry their own copy of what they need.

    :raise Invalid: unless ``confirmed``.
    """
    if not confirmed:
        raise Invalid(N_("Confirm the deletion: it cannot be undone."))
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        if not policy.can_delete_project(viewer, project.organisation_id):
            raise PermissionDenied(N_("You cannot delete this project."))
        keys = session.scalars(
            select(ProjectFile.storage_key).where(ProjectFile.project_id == project.id)
        ).all()
        for key in keys:
            blob_removed(session, key)
        # Files, comments, history and links go by ON DELETE CASCADE; payments keep a NULL link.
        session.delete(project)


def set_priority(viewer: Viewer, project_id: int, priority: str) -> Project:
    """Set how urgently the team handles a project.

    :raise PermissionDenied: for anyone but the team, or on a cancelled project.
    :raise Invalid: for an unknown priority.
    """
    if not policy.can_set_priority(viewer):
        raise PermissionDenied(N_("Only the team can set the priority."))
    new = _priority(priority)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        _apply_priority(session, viewer, project, new)
    return project


def _priority(value: object) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise Invalid(N_("Unknown priority %(priority)s."), priority=value) from None


def _apply_priority(session: Session, viewer: Viewer, project: Project, new: Priority) -> None:
    _refuse_if_cancelled(project)
    if project.priority != new.value:
        record_event(
            session,
            project,
            viewer,
            EventKind.PRIORITY,
            details={"from": project.priority, "to": new.value},
        )
        project.priority = new.value
        project.updated_at = utcnow()


# Once the client has a payment link for an amount, that amount must not move under it.
PRICE_FROZEN_STATUSES = frozenset(
    {
        ProjectStatus.COMPLETED,
        ProjectStatus.AWAITING_PAYMENT,
        ProjectStatus.PAID,
        ProjectStatus.CANCELLED,
    }
)


def set_prices(
    viewer: Viewer,
    project_id: int,
    *,
    estimated_price_cents: int | None = None,
    final_price_cents: int | None = None,
) -> Project:
    """Set the estimated and/or final price, in cents; None leaves a price as it is.

    :raise PermissionDenied: for anyone but the team.
    :raise Invalid: for a negative price, or once the project is completed.
    """
    if not policy.can_set_prices(viewer):
        raise PermissionDenied(N_("Only the team can set prices."))
    _check_prices(estimated_price_cents, final_price_cents)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        _apply_prices(session, viewer, project, estimated_price_cents, final_price_cents)
    return project


def _check_prices(*prices: object) -> None:
    for cents in prices:
        if cents is not None and (
            not isinstance(cents, int) or isinstance(cents, bool) or cents < 0
        ):
            raise Invalid(N_("A price must be a positive amount."))


def _apply_prices(
    session: Session,
    viewer: Viewer,
    project: Project,
    estimated_price_cents: int | None,
    final_price_cents: int | None,
) -> None:
    if project.status_enum in PRICE_FROZEN_STATUSES:
        raise Invalid(
            N_("Prices cannot change once a project is %(status)s."),
            status=project.status_enum.label,
        )
    changed: dict[str, object] = {}
    for name, cents in (
        ("estimated_price_cents", estimated_price_cents),
        ("final_price_cents", final_price_cents),
    ):
        if cents is not None and getattr(project, name) != cents:
            changed[name] = {"from": getattr(project, name), "to": cents}
            setattr(project, name, cents)
    if changed:
        project.updated_at = utcnow()
        record_event(session, project, viewer, EventKind.PRICES, details=changed)


def _refuse_if_cancelled(project: Project) -> None:
    if project.status_enum is ProjectStatus.CANCELLED:
        raise PermissionDenied(N_("A cancelled project can no longer be changed."))


# The statuses whose projects use a place of their organisation's limit.
COUNTED_STATUSES = [status.value for status in ProjectStatus if counts_towards_limit(status)]


def _check_limit(session: Session, organisation: Organisation) -> None:
    if organisation.project_limit is None:
        return
    used = session.scalar(
        select(func.count(Project.id)).where(
            Project.organisation_id == organisation.id,
            Project.status.in_(COUNTED_STATUSES),
        )
    )
    if used >= organisation.project_limit:
        raise LimitReached(
            N_(
                "Your organisation has reached its limit of %(limit)s projects. Delete a project "
                "you no longer need, or ask the team to cancel one, to free a place."
            ),
            limit=organisation.project_limit,
        )


def _services(
    session: Session,
    service_ids: Sequence[int] | object,
    kept: Sequence[RequestedService] = (),
) -> list[RequestedService]:
    """Return the services chosen: offered ones, or withdrawn ones the project already has."""
    try:
        ids = sorted({int(i) for i in service_ids})  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise Invalid(N_("Choose services from the list.")) from None
    if not ids:
        return []
    choosable = RequestedService.active.is_(True)
    if kept:
        choosable = choosable | RequestedService.id.in_([service.id for service in kept])
    services = session.scalars(
        select(RequestedService).where(RequestedService.id.in_(ids), choosable)
    ).all()
    if len(services) != len(ids):
        raise Invalid(N_("Choose services from the list."))
    return sorted(services, key=lambda s: (s.position, s.name))


def _clean(values: Mapping[str, object], *, creating: bool) -> dict[str, object]:
    """Trim and check the fields a person typed.

    :raise Invalid: naming the first field that is missing or malformed.
    """
    cleaned: dict[str, object] = {}
    for name, value in values.items():
        if name == "deadline":
            if value is not None and not isinstance(value, date):
                raise Invalid(N_("The deadline must be a date."))
            if creating and value is not None and value < date.today():
                raise Invalid(N_("The deadline cannot be in the past."))
            cleaned[name] = value
            continue
        text = "" if value is None else str(value).strip()
        if "\x00" in text:
            raise Invalid(N_("The text contains a forbidden character."))
        if name in ("client_name", "client_email", "title") and not text:
            raise Invalid(_REQUIRED[name])
        if name == "client_email" and not EMAIL_PATTERN.match(text):
            raise Invalid(N_("%(email)s is not a valid email address."), email=text)
        if name == "client_language":
            text = text or "fr"
            if text not in LANGUAGES:
                raise Invalid(N_("Choose French or English for the client's emails."))
        if name in _LIMITS and len(text) > _LIMITS[name]:
            raise Invalid(N_("%(field)s is too long."), field=_FIELD_LABELS[name])
        if name == "client_email":
            text = text.lower()
        if name == "client_address":
            # Typed in a text area: one line ending, no blank lines around the address.
            text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        cleaned[name] = text if (text or name == "description") else None
    return cleaned


_REQUIRED = {
    "client_name": N_("The client's name is required."),
    "client_email": N_("The client's email is required."),
    "title": N_("The title is required."),
}
_FIELD_LABELS = {
    "client_name": N_("The client's name"),
    "client_email": N_("The client's email"),
    "client_phone": N_("The client's phone"),
    "client_address": N_("The client's postal address"),
    "title": N_("The title"),
    "description": N_("The description"),
}
