"""Move projects through their statuses, with every rule, record and notice of SPEC §2."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import policy
from app.domain.errors import N_, Invalid, PermissionDenied
from app.domain.notifications import Event
from app.domain.policy import Viewer
from app.domain.workflow import Actor, ProjectFacts, ProjectStatus, Transition, check_transition
from app.models import Comment, EventKind, FileKind, Project, ProjectFile
from app.models.base import utcnow
from app.services.common import actor_name, load_project, record_event
from app.services.notification import notify
from app.uow import transaction


def change_status(viewer: Viewer, project_id: int, target: str, note: str | None = None) -> Project:
    """Move a project to ``target`` as a member of the team.

    The project row is locked first, so two people moving the same project at once are served
    one after the other, and the second one's move is checked against the first one's result.

    :raise NotFound: if the viewer cannot see the project.
    :raise PermissionDenied: for an organisation user.
    :raise TransitionNotAllowed: for a move not in the table.
    :raise Invalid: for an unknown status or a missing note, price or deliverable.
    """
    target_status = _status(target)
    with transaction() as session:
        project = load_project(session, viewer, project_id, lock=True)
        if not policy.can_change_status(viewer):
            raise PermissionDenied(N_("Only the team can change a project's status."))
        transition = check_move(session, project, target_status, Actor.TEAM, note)
        if transition.records_payment:
            raise Invalid(N_("Record the payment received to mark the project as paid."))
        apply_transition(session, project, transition, viewer, note)
    return project


def apply_transition(
    session: Session,
    project: Project,
    transition: Transition,
    viewer: Viewer | None,
    note: str | None = None,
    *,
    system_name: str | None = None,
) -> None:
    """Make a checked move inside the caller's transaction: status, dates, history, effects."""
    source = project.status
    now = utcnow()
    note = (note or "").strip() or None
    project.status = transition.target.value
    project.updated_at = now
    if transition.sets_completed_at:
        project.completed_at = now
    if transition.records_payment:
        project.paid_at = now
    extra = {"system_name": system_name} if system_name else {}
    record_event(
        session,
        project,
        viewer,
        EventKind.STATUS,
        from_status=source,
        to_status=project.status,
        note=note,
        **extra,
    )
    if transition.note_as_public_comment and note:
        session.add(
            Comment(
                project_id=project.id,
                organisation_id=project.organisation_id,
                author_id=viewer.user_id if viewer else None,
                author_name=actor_name(session, viewer),
                is_internal=False,
                body=note,
                created_at=now,
            )
        )
    if transition.revokes_payment_link:
        from app.services.payment_link import revoke_active_links

        revoke_active_links(session, project)
    if transition.issues_payment_link:
        from app.services.payment_link import issue_payment_link

        # The completion notice and the payment link say it all; no separate status email.
        notify(
            session,
            Event.PROJECT_COMPLETED,
            project.id,
            final_price_cents=project.final_price_cents,
        )
        issue_payment_link(session, project, viewer)
    elif viewer is not None and not transition.records_payment:
        # The system's own moves follow an email that already told everyone (link sent), and
        # a payment has its own notice.
        notify(
            session,
            Event.STATUS_CHANGED,
            project.id,
            from_status=source,
            to_status=project.status,
            note=note,
        )


def system_transition(
    session: Session, project: Project, target: ProjectStatus, system_name: str
) -> None:
    """Make a move the system makes on its own (an email sent, a verified payment)."""
    transition = check_move(session, project, target, Actor.SYSTEM)
    apply_transition(session, project, transition, None, system_name=system_name)


def check_move(
    session: Session, project: Project, target: ProjectStatus, actor: Actor, note: str | None = None
) -> Transition:
    """Check a move against the table with the project's current facts."""
    deliverables = session.scalar(
        select(func.count(ProjectFile.id)).where(
            ProjectFile.project_id == project.id, ProjectFile.kind == FileKind.DELIVERABLE.value
        )
    )
    facts = ProjectFacts(
        estimated_price_cents=project.estimated_price_cents,
        final_price_cents=project.final_price_cents,
        deliverable_count=deliverables or 0,
    )
    return check_transition(project.status_enum, target, actor, facts, note)


def _status(value: str) -> ProjectStatus:
    try:
        return ProjectStatus(value)
    except ValueError:
        raise Invalid(N_("Unknown status %(status)s."), status=value) from None
