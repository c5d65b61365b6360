"""Project statuses, priorities and the table of legal status moves."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from app.domain.errors import N_, Invalid, TransitionNotAllowed


class ProjectStatus(StrEnum):
    """Name a step of a project's life; declaration order is the display order."""

    PENDING = "PENDING"
    IN_REVIEW = "IN_REVIEW"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @property
    def label(self) -> str:
        """Return the English msgid shown for this status."""
        return _STATUS_LABELS[self]


_STATUS_LABELS: Mapping[ProjectStatus, str] = MappingProxyType(
    {
        ProjectStatus.PENDING: N_("Pending"),
        ProjectStatus.IN_REVIEW: N_("In review"),
        ProjectStatus.IN_PROGRESS: N_("In progress"),
        ProjectStatus.COMPLETED: N_("Completed"),
        ProjectStatus.AWAITING_PAYMENT: N_("Awaiting payment"),
        ProjectStatus.PAID: N_("Paid"),
        ProjectStatus.REJECTED: N_("Rejected"),
        ProjectStatus.CANCELLED: N_("Cancelled"),
    }
)


class Priority(StrEnum):
    """Name how urgently the team should handle a project."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"

    @property
    def label(self) -> str:
        """Return the English msgid shown for this priority."""
        return _PRIORITY_LABELS[self]

    @property
    def rank(self) -> int:
        """Return the position in the team's queue, smallest first."""
        return _PRIORITY_RANKS[self]


_PRIORITY_LABELS: Mapping[Priority, str] = MappingProxyType(
    {
        Priority.LOW: N_("Low"),
        Priority.MEDIUM: N_("Medium"),
        Priority.HIGH: N_("High"),
        Priority.URGENT: N_("Urgent"),
    }
)

_PRIORITY_RANKS: Mapping[Priority, int] = MappingProxyType(
    {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3}
)


class Actor(StrEnum):
    """Name who asks for a status move."""

    TEAM = "TEAM"
    ORGANISATION = "ORGANISATION"
    SYSTEM = "SYSTEM"


INITIAL_STATUS = ProjectStatus.PENDING
INITIAL_PRIORITY = Priority.MEDIUM

# Work the team still owes: what "overdue" and the review queue look at.
OPEN_STATUSES = frozenset(
    {ProjectStatus.PENDING, ProjectStatus.IN_REVIEW, ProjectStatus.IN_PROGRESS}
)
OPEN_VALUES = tuple(sorted(status.value for status in OPEN_STATUSES))
# Delivered, final price known, money not in yet: the "amounts awaiting payment".
PAYMENT_DUE_STATUSES = frozenset({ProjectStatus.COMPLETED, ProjectStatus.AWAITING_PAYMENT})
CLOSED_STATUSES = frozenset({ProjectStatus.REJECTED, ProjectStatus.CANCELLED})
DELIVERABLES_VISIBLE_TO_ORG = frozenset(
    {ProjectStatus.COMPLETED, ProjectStatus.AWAITING_PAYMENT, ProjectStatus.PAID}
)


def counts_towards_limit(status: ProjectStatus) -> bool:
    """Tell whether a project in this status uses a slot of its organisation's limit."""
    return status is not ProjectStatus.CANCELLED


def is_editable(status: ProjectStatus) -> bool:
    """Tell whether a project in this status may still be changed."""
    return status is not ProjectStatus.CANCELLED


@dataclass(frozen=True)
class Transition:
    """Describe one legal status move: who may make it, what it needs and triggers."""

    source: ProjectStatus
    target: ProjectStatus
    actors: frozenset[Actor]
    note_required: bool = False
    needs_estimate: bool = False
    needs_delivery: bool = False
    sets_completed_at: bool = False
    issues_payment_link: bool = False
    revokes_payment_link: bool = False
    records_payment: bool = False
    note_as_public_comment: bool = False


_TEAM = frozenset({Actor.TEAM})
_SYSTEM = frozenset({Actor.SYSTEM})


def _index(
    transitions: list[Transition],
) -> Mapping[tuple[ProjectStatus, ProjectStatus], Transition]:
    """Key each transition by its (source, target) pair, read-only."""
    return MappingProxyType({(t.source, t.target): t for t in transitions})


TRANSITIONS = _index(
    [
        Transition(ProjectStatus.PENDING, ProjectStatus.IN_REVIEW, _TEAM),
        Transition(ProjectStatus.IN_REVIEW, ProjectStatus.IN_PROGRESS, _TEAM, needs_estimate=True),
        Transition(ProjectStatus.IN_REVIEW, ProjectStatus.PENDING, _TEAM, note_required=True),
        Transition(ProjectStatus.IN_PROGRESS, ProjectStatus.IN_REVIEW, _TEAM, note_required=True),
        Transition(
            ProjectStatus.IN_PROGRESS,
            ProjectStatus.COMPLETED,
            _TEAM,
            needs_delivery=True,
            sets_completed_at=True,
            issues_payment_link=True,
        ),
        # Made once the client has the link: its email sent, or the client presenting it
        # (opening the page, paying) before the email's job has said so. Never by hand.
        Transition(ProjectStatus.COMPLETED, ProjectStatus.AWAITING_PAYMENT, _SYSTEM),
        # The system acts on a verified Stripe event; the team records transfers and cheques.
        Transition(
            ProjectStatus.AWAITING_PAYMENT,
            ProjectStatus.PAID,
            frozenset({Actor.SYSTEM, Actor.TEAM}),
            records_payment=True,
        ),
        *(
            Transition(
                source,
                ProjectStatus.REJECTED,
                _TEAM,
                note_required=True,
                note_as_public_comment=True,
            )
            for source in (
                ProjectStatus.PENDING,
                ProjectStatus.IN_REVIEW,
                ProjectStatus.IN_PROGRESS,
            )
        ),
        Transition(ProjectStatus.REJECTED, ProjectStatus.IN_REVIEW, _TEAM),
        *(
            Transition(source, ProjectStatus.CANCELLED, _TEAM, revokes_payment_link=True)
            for source in ProjectStatus
            if source not in (ProjectStatus.PAID, ProjectStatus.CANCELLED)
        ),
    ]
)


@dataclass(frozen=True)
class ProjectFacts:
    """Carry what the conditions of a move look at, read from the project."""

    estimated_price_cents: int | None
    final_price_cents: int | None
    deliverable_count: int


def check_transition(
    source: ProjectStatus,
    target: ProjectStatus,
    actor: Actor,
    facts: ProjectFacts,
    note: str | None = None,
) -> Transition:
    """Return the transition from ``source`` to ``target`` if ``actor`` may make it now.

    :raise TransitionNotAllowed: if the move is not in the table or not open to ``actor``.
    :raise Invalid: if the move lacks a note, a price or a deliverable.
    """
    if source is target:
        raise TransitionNotAllowed(N_("The project is already %(status)s."), status=source.label)
    transition = TRANSITIONS.get((source, target))
    if transition is None:
        raise TransitionNotAllowed(
            N_("A project cannot move from %(source)s to %(target)s."),
            source=source.label,
            target=target.label,
        )
    if actor not in transition.actors:
        if Actor.TEAM in transition.actors:
            message = N_("Only the team can move a project from %(source)s to %(target)s.")
        else:
            message = N_("A project moves from %(source)s to %(target)s on its own, never by hand.")
        raise TransitionNotAllowed(message, source=source.label, target=target.label)
    _check_conditions(transition, facts, note)
    return transition


def _check_conditions(transition: Transition, facts: ProjectFacts, note: str | None) -> None:
    """Refuse a legal move whose conditions the project does not meet yet."""
    if transition.note_required and not (note and note.strip()):
        if transition.target is ProjectStatus.REJECTED:
            raise Invalid(N_("A reason is required to reject a project."))
        raise Invalid(
            N_("A note is required to move a project back from %(source)s to %(target)s."),
            source=transition.source.label,
            target=transition.target.label,
        )
    if transition.needs_estimate and not (facts.estimated_price_cents or 0) > 0:
        raise Invalid(N_("Set an estimated price before starting work on the project."))
    if transition.needs_delivery:
        if not (facts.final_price_cents or 0) > 0:
            raise Invalid(N_("Set a final price above zero before completing the project."))
        if facts.deliverable_count < 1:
            raise Invalid(N_("Upload at least one deliverable before completing the project."))


def allowed_targets(source: ProjectStatus, actor: Actor) -> list[ProjectStatus]:
    """List the statuses ``actor`` may move a project to from ``source``, in display order."""
    return [
        target
        for target in ProjectStatus
        if (transition := TRANSITIONS.get((source, target))) is not None
        and actor in transition.actors
    ]


def is_overdue(deadline: date | None, status: str, today: date) -> bool:
    """Tell whether the team still owes work on a project past its deadline."""
    return deadline is not None and deadline < today and status in OPEN_VALUES
