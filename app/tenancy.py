"""Scope every ORM query of an organisation user to their organisation, below FAB.

SQLAlchemy's global-criteria recipe: a ``do_orm_execute`` hook adds ``with_loader_criteria`` for
every tenant-owned class, and a ``before_flush`` guard refuses writing a row of another
organisation. The scope lives in ``Session.info`` and is set per request; staff, jobs and the CLI
run unscoped.
"""

from typing import Any

from sqlalchemy import Executable, Result, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.domain.errors import N_, PermissionDenied
from app.domain.policy import Viewer
from app.models.base import TenantOwned

TENANT_KEY = "tenant_organisation_id"


def set_tenant(session: Session, organisation_id: int | None) -> None:
    """Scope ``session`` to one organisation, or lift the scope with None.

    Entering a scope empties the identity map: objects loaded before it was set would
    otherwise be handed back by ``Session.get`` without a query, unscoped.
    """
    if organisation_id is None:
        session.info.pop(TENANT_KEY, None)
        return
    if session.info.get(TENANT_KEY) != organisation_id:
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("cannot change the tenant scope of a session with pending changes")
        session.expunge_all()
    session.info[TENANT_KEY] = organisation_id


def current_tenant(session: Session) -> int | None:
    return session.info.get(TENANT_KEY)


def staff_read(session: Session, statement: Executable) -> Result[Any]:
    """Run a read of plain values for staff on the session's connection, past the ORM.

    The ORM's execution (its hooks, the tenant scope among them, and its result handling) costs
    more than the rows of a short statement; staff read unscoped anyway. It refuses to run
    while an organisation's scope is set, which it would not apply.

    :raise PermissionDenied: inside an organisation's scope.
    """
    if current_tenant(session) is not None:
        raise PermissionDenied(N_("You cannot see other organisations' data."))
    return session.connection().execute(statement)


def _scope_statement(state: ORMExecuteState) -> None:
    organisation_id = state.session.info.get(TENANT_KEY)
    if organisation_id is None or state.is_column_load:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.organisation_id == organisation_id,
            include_aliases=True,
        )
    )


def _refuse_foreign_rows(session: Session, flush_context: object, instances: object) -> None:
    organisation_id = session.info.get(TENANT_KEY)
    if organisation_id is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, TenantOwned) and obj.organisation_id != organisation_id:
            raise PermissionDenied(N_("You cannot change another organisation's data."))


def install() -> None:
    """Register the session hooks once per process."""
    if not event.contains(Session, "do_orm_execute", _scope_statement):
        event.listen(Session, "do_orm_execute", _scope_statement)
        event.listen(Session, "before_flush", _refuse_foreign_rows)


# An organisation user whose account lost its organisation must see nothing at all.
NO_ORGANISATION = -1


def scope_viewer(session: Session, viewer: Viewer | None) -> None:
    """Scope ``session`` to what ``viewer`` may see: their organisation, or everything for staff."""
    if viewer is not None and viewer.is_org_user:
        set_tenant(session, viewer.organisation_id or NO_ORGANISATION)
    else:
        set_tenant(session, None)
