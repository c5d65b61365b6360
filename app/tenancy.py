"""Scope every ORM query of an organisation user to their organisation, below FAB.

SQLAlchemy's global-criteria recipe: a ``do_orm_execute`` hook adds ``with_loader_criteria`` for
every tenant-owned class, and a ``before_flush`` guard refuses writing a row of another
organisation. The scope lives in ``Session.info`` and is set per request; staff, jobs and the CLI
run unscoped.
"""

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.domain.errors import N_, PermissionDenied
from app.models.base import TenantOwned

TENANT_KEY = "tenant_organisation_id"


def set_tenant(session: Session, organisation_id: int | None) -> None:
    """Scope ``session`` to one organisation, or lift the scope with None."""
    if organisation_id is None:
        session.info.pop(TENANT_KEY, None)
    else:
        session.info[TENANT_KEY] = organisation_id


def current_tenant(session: Session) -> int | None:
    return session.info.get(TENANT_KEY)


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
