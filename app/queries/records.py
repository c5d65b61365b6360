"""The team's records: organisations, for their screen and the users' form; requested services."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import AppUser, Organisation, Project, RequestedService, project_service


def organisations() -> list[Organisation]:
    """Return every organisation, by name."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def organisation(organisation_id: int) -> Organisation | None:
    """Return one organisation, or None if there is no such one."""
    return db.session.get(Organisation, organisation_id)


def projects_per_organisation() -> dict[int, dict[str, int]]:
    """Count every organisation's projects per status, in one GROUP BY."""
    statement = select(Project.organisation_id, Project.status, func.count(Project.id)).group_by(
        Project.organisation_id, Project.status
    )
    counts: dict[int, dict[str, int]] = {}
    for organisation_id, status, count in db.session.execute(statement):
        counts.setdefault(organisation_id, {})[status] = count
    return counts


def members_per_organisation() -> dict[int, int]:
    """Count every organisation's user accounts, in one GROUP BY."""
    statement = (
        select(AppUser.organisation_id, func.count(AppUser.id))
        .where(AppUser.organisation_id.is_not(None))
        .group_by(AppUser.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in db.session.execute(statement)}


def requested_services() -> list[RequestedService]:
    """Return every requested service, offered or withdrawn, in the forms' order."""
    return list(
        db.session.scalars(
            select(RequestedService).order_by(RequestedService.position, RequestedService.name)
        )
    )


def requested_service(service_id: int) -> RequestedService | None:
    """Return one requested service, or None if there is no such one."""
    return db.session.get(RequestedService, service_id)


def projects_per_service() -> dict[int, int]:
    """Count the projects that asked for each service, in one GROUP BY."""
    statement = select(project_service.c.service_id, func.count()).group_by(
        project_service.c.service_id
    )
    return {service_id: count for service_id, count in db.session.execute(statement)}
