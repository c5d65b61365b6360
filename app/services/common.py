"""What every use case needs: loading a project the caller may see, naming the actor, history."""

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.domain.dates import BUSINESS_TIMEZONE
from app.domain.errors import N_, NotFound
from app.domain.policy import Viewer, require_project_visible
from app.models import AppUser, Counter, EventKind, Project, ProjectEvent
from app.models.base import utcnow

SYSTEM_NAME = "CNC Pulse"


def load_project(
    session: Session, viewer: Viewer | None, project_id: int, *, lock: bool = False
) -> Project:
    """Return the project if the caller may see it; None as viewer means the system.

    :param lock: take a row lock (``SELECT … FOR UPDATE``) so that concurrent changes of one
        project run one after the other, each seeing the other's result.
    :raise NotFound: if it does not exist or belongs to an organisation the viewer cannot see.
    """
    statement = select(Project).where(Project.id == project_id)
    if lock:
        statement = statement.with_for_update(of=Project)
    project = session.scalars(statement.execution_options(populate_existing=lock)).unique().first()
    if project is None:
        raise NotFound(N_("Project not found."))
    if viewer is not None:
        require_project_visible(viewer, project.organisation_id)
    return project


def actor_name(session: Session, viewer: Viewer | None, system_name: str = SYSTEM_NAME) -> str:
    """Return the name history and comments show for the caller."""
    if viewer is None or viewer.user_id is None:
        return system_name
    user = session.get(AppUser, viewer.user_id)
    if user is None:
        return system_name
    return user.full_name or user.email


def record_event(
    session: Session,
    project: Project,
    viewer: Viewer | None,
    kind: EventKind,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    details: dict[str, object] | None = None,
    system_name: str = SYSTEM_NAME,
) -> ProjectEvent:
    """Add a line to the project's history."""
    event = ProjectEvent(
        project_id=project.id,
        organisation_id=project.organisation_id,
        kind=kind.value,
        from_status=from_status,
        to_status=to_status,
        note=note,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
        if details
        else None,
        actor_id=viewer.user_id if viewer else None,
        actor_name=actor_name(session, viewer, system_name),
        created_at=utcnow(),
    )
    session.add(event)
    return event


def business_year(moment: datetime | None = None) -> int:
    """Return the calendar year in France, which numbers references and invoices."""
    return (moment or utcnow()).astimezone(BUSINESS_TIMEZONE).year


def next_number(session: Session, series: str, year: int) -> int:
    """Hand out the next number of a yearly series, without gaps or duplicates.

    The counter row is created if missing (concurrent creators do not collide) and then locked,
    so two transactions never get the same number, and a rolled-back one gives its number back.
    """
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    session.execute(
        insert(Counter).values(series=series, year=year, last_number=0).on_conflict_do_nothing()
    )
    counter = session.scalars(
        select(Counter)
        .where(Counter.series == series, Counter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_number += 1
    session.flush()
    return counter.last_number
