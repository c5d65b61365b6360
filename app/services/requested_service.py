"""The list of services a project can ask for, as Admin keeps it: add, rename, withdraw, delete.

A service some project asked for is never deleted: withdrawing it takes it off the forms of new
projects while the projects that have it keep showing it.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Conflict, Invalid, NotFound, PermissionDenied
from app.domain.policy import Viewer
from app.models import RequestedService, project_service
from app.uow import transaction

LONGEST_NAME = 120


def add_service(viewer: Viewer, name: str, name_en: str = "") -> RequestedService:
    """Add a service at the end of the list, offered on the project forms at once.

    :raise PermissionDenied: for anyone but an administrator.
    :raise Invalid: for a missing or too long name.
    :raise Conflict: if another service has the French name.
    """
    _require_admin(viewer)
    name, english = _checked_names(name, name_en)
    with transaction() as session:
        _require_free(session, name)
        last = session.scalar(select(func.max(RequestedService.position))) or 0
        service = RequestedService(name=name, name_en=english, active=True, position=last + 1)
        session.add(service)
    return service


def rename_service(
    viewer: Viewer, service_id: int, name: str, name_en: str = ""
) -> RequestedService:
    """Rename a service, in French and English; projects that have it show the new names.

    :raise PermissionDenied: for anyone but an administrator.
    :raise NotFound: if there is no such service.
    :raise Invalid: for a missing or too long name.
    :raise Conflict: if another service has the French name.
    """
    _require_admin(viewer)
    name, english = _checked_names(name, name_en)
    with transaction() as session:
        service = _service(session, service_id)
        _require_free(session, name, but=service.id)
        service.name = name
        service.name_en = english
    return service


def set_service_offered(viewer: Viewer, service_id: int, offered: bool) -> RequestedService:
    """Offer a service on new project forms again, or stop offering it.

    :raise PermissionDenied: for anyone but an administrator.
    :raise NotFound: if there is no such service.
    """
    _require_admin(viewer)
    with transaction() as session:
        service = _service(session, service_id)
        service.active = offered
    return service


def delete_service(viewer: Viewer, service_id: int) -> str:
    """Delete a service no project asked for; return its name.

    :raise PermissionDenied: for anyone but an administrator.
    :raise NotFound: if there is no such service.
    :raise Conflict: if a project asked for it: it can only be withdrawn then.
    """
    _require_admin(viewer)
    with transaction() as session:
        service = _service(session, service_id, lock=True)
        used = session.scalar(
            select(func.count()).where(project_service.c.service_id == service.id)
        )
        if used:
            raise Conflict(
                N_(
                    "%(name)s is requested by %(count)s project(s) and cannot be deleted; "
                    "withdraw it instead so new projects no longer offer it."
                ),
                name=service.name,
                count=used,
            )
        name = service.name
        session.delete(service)
    return name


def _require_admin(viewer: Viewer) -> None:
    if not policy.can_manage_services(viewer):
        raise PermissionDenied(N_("Only an administrator can change the list of services."))


def _checked_names(name: str, name_en: str) -> tuple[str, str | None]:
    name, english = (name or "").strip(), (name_en or "").strip()
    if not name:
        raise Invalid(N_("Enter the service's French name."))
    if len(name) > LONGEST_NAME or len(english) > LONGEST_NAME:
        raise Invalid(
            N_("A service's name cannot exceed %(limit)s characters."), limit=LONGEST_NAME
        )
    return name, english or None


def _service(session: Session, service_id: int, *, lock: bool = False) -> RequestedService:
    statement = select(RequestedService).where(RequestedService.id == service_id)
    service = session.scalars(statement.with_for_update() if lock else statement).first()
    if service is None:
        raise NotFound(N_("No such service."))
    return service


def _require_free(session: Session, name: str, but: int | None = None) -> None:
    statement = select(RequestedService.id).where(func.lower(RequestedService.name) == name.lower())
    if but is not None:
        statement = statement.where(RequestedService.id != but)
    if session.scalar(statement):
        raise Conflict(N_("A service named %(name)s already exists."), name=name)
