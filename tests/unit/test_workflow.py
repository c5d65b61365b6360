import itertools
from dataclasses import fields

import pytest

from app.domain.errors import DomainError, Invalid, TransitionNotAllowed
from app.domain.workflow import (
    CLOSED_STATUSES,
    DELIVERABLES_VISIBLE_TO_ORG,
    INITIAL_PRIORITY,
    INITIAL_STATUS,
    OPEN_STATUSES,
    PAYMENT_DUE_STATUSES,
    Actor,
    Priority,
    ProjectFacts,
    ProjectStatus,
    Transition,
    allowed_targets,
    check_transition,
    counts_towards_limit,
    is_editable,
)

PENDING = ProjectStatus.PENDING
IN_REVIEW = ProjectStatus.IN_REVIEW
IN_PROGRESS = ProjectStatus.IN_PROGRESS
COMPLETED = ProjectStatus.COMPLETED
AWAITING_PAYMENT = ProjectStatus.AWAITING_PAYMENT
PAID = ProjectStatus.PAID
REJECTED = ProjectStatus.REJECTED
CANCELLED = ProjectStatus.CANCELLED
TEAM, ORGANISATION, SYSTEM = Actor.TEAM, Actor.ORGANISATION, Actor.SYSTEM

# SPEC §2, written out by hand so that a wrong TRANSITIONS table cannot vouch for itself.
EXPECTED: dict[tuple[ProjectStatus, ProjectStatus], set[Actor]] = {
    (PENDING, IN_REVIEW): {TEAM},
    (IN_REVIEW, IN_PROGRESS): {TEAM},
    (IN_REVIEW, PENDING): {TEAM},
    (IN_PROGRESS, IN_REVIEW): {TEAM},
    (IN_PROGRESS, COMPLETED): {TEAM},
    (COMPLETED, AWAITING_PAYMENT): {SYSTEM},
    (AWAITING_PAYMENT, PAID): {SYSTEM, TEAM},
    (PENDING, REJECTED): {TEAM},
    (IN_REVIEW, REJECTED): {TEAM},
    (IN_PROGRESS, REJECTED): {TEAM},
    (REJECTED, IN_REVIEW): {TEAM},
    (PENDING, CANCELLED): {TEAM},
    (IN_REVIEW, CANCELLED): {TEAM},
    (IN_PROGRESS, CANCELLED): {TEAM},
    (COMPLETED, CANCELLED): {TEAM},
    (AWAITING_PAYMENT, CANCELLED): {TEAM},
    (REJECTED, CANCELLED): {TEAM},
}

NEEDS_NOTE = {
    (IN_REVIEW, PENDING),
    (IN_PROGRESS, IN_REVIEW),
    (PENDING, REJECTED),
    (IN_REVIEW, REJECTED),
    (IN_PROGRESS, REJECTED),
}

EFFECTS: dict[tuple[ProjectStatus, ProjectStatus], set[str]] = {
    (IN_REVIEW, IN_PROGRESS): {"needs_estimate"},
    (IN_REVIEW, PENDING): {"note_required"},
    (IN_PROGRESS, IN_REVIEW): {"note_required"},
    (IN_PROGRESS, COMPLETED): {"needs_delivery", "sets_completed_at", "issues_payment_link"},
    (AWAITING_PAYMENT, PAID): {"records_payment"},
    (PENDING, REJECTED): {"note_required", "note_as_public_comment"},
    (IN_REVIEW, REJECTED): {"note_required", "note_as_public_comment"},
    (IN_PROGRESS, REJECTED): {"note_required", "note_as_public_comment"},
    (PENDING, CANCELLED): {"revokes_payment_link"},
    (IN_REVIEW, CANCELLED): {"revokes_payment_link"},
    (IN_PROGRESS, CANCELLED): {"revokes_payment_link"},
    (COMPLETED, CANCELLED): {"revokes_payment_link"},
    (AWAITING_PAYMENT, CANCELLED): {"revokes_payment_link"},
    (REJECTED, CANCELLED): {"revokes_payment_link"},
}
FLAGS = [field.name for field in fields(Transition) if isinstance(field.default, bool)]

READY = ProjectFacts(estimated_price_cents=50_000, final_price_cents=60_000, deliverable_count=1)
BARE = ProjectFacts(estimated_price_cents=None, final_price_cents=None, deliverable_count=0)


def _facts_for(source: ProjectStatus, target: ProjectStatus) -> ProjectFacts:
    needs_facts = {(IN_REVIEW, IN_PROGRESS), (IN_PROGRESS, COMPLETED)}
    return READY if (source, target) in needs_facts else BARE


@pytest.mark.parametrize(
    ("source", "target", "actor"),
    list(itertools.product(ProjectStatus, ProjectStatus, Actor)),
    ids=lambda value: value.value,
)
def test_every_move_is_allowed_exactly_as_the_table_says(
    source: ProjectStatus, target: ProjectStatus, actor: Actor
) -> None:
    note = "Client asked for changes." if (source, target) in NEEDS_NOTE else None
    facts = _facts_for(source, target)
    if actor in EXPECTED.get((source, target), set()):
        transition = check_transition(source, target, actor, facts, note)
        assert (transition.source, transition.target) == (source, target)
    else:
        with pytest.raises(TransitionNotAllowed):
            check_transition(source, target, actor, READY, "A note.")


@pytest.mark.parametrize(("source", "target"), list(EXPECTED), ids=str)
def test_each_move_carries_its_conditions_and_effects(
    source: ProjectStatus, target: ProjectStatus
) -> None:
    actor = next(iter(EXPECTED[(source, target)]))
    transition = check_transition(source, target, actor, READY, "A note.")
    assert {flag for flag in FLAGS if getattr(transition, flag)} == EFFECTS.get(
        (source, target), set()
    )
    assert transition.actors == frozenset(EXPECTED[(source, target)])


def test_no_move_is_open_to_organisation_users() -> None:
    for source in ProjectStatus:
        assert allowed_targets(source, ORGANISATION) == []


@pytest.mark.parametrize(("source", "actor"), list(itertools.product(ProjectStatus, Actor)))
def test_allowed_targets_lists_the_table_in_enum_order(source: ProjectStatus, actor: Actor) -> None:
    expected = [
        target for target in ProjectStatus if actor in EXPECTED.get((source, target), set())
    ]
    assert allowed_targets(source, actor) == expected


def test_allowed_targets_for_the_team_from_in_review() -> None:
    assert allowed_targets(IN_REVIEW, TEAM) == [PENDING, IN_PROGRESS, REJECTED, CANCELLED]
    assert allowed_targets(PAID, TEAM) == []
    assert allowed_targets(CANCELLED, TEAM) == []


def test_an_illegal_move_names_both_statuses() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(PENDING, PAID, TEAM, READY)
    assert caught.value.message == "A project cannot move from %(source)s to %(target)s."
    assert caught.value.params == {"source": "Pending", "target": "Paid"}
    assert str(caught.value) == "A project cannot move from Pending to Paid."
    assert caught.value.http_status == 409


def test_a_move_to_the_same_status_says_so() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(IN_PROGRESS, IN_PROGRESS, TEAM, READY, "A note.")
    assert str(caught.value) == "The project is already In progress."


def test_an_organisation_user_is_told_only_the_team_may_move() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(PENDING, IN_REVIEW, ORGANISATION, READY)
    assert str(caught.value) == "Only the team can move a project from Pending to In review."


def test_the_team_cannot_make_the_automatic_move() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        check_transition(COMPLETED, AWAITING_PAYMENT, TEAM, READY)
    assert "on its own" in str(caught.value)


def test_legality_is_checked_before_conditions() -> None:
    with pytest.raises(TransitionNotAllowed):
        check_transition(IN_REVIEW, IN_PROGRESS, ORGANISATION, BARE)
    with pytest.raises(TransitionNotAllowed):
        check_transition(PENDING, COMPLETED, TEAM, BARE)


@pytest.mark.parametrize("note", [None, "", "   ", "\n\t "])
@pytest.mark.parametrize(("source", "target"), [(IN_REVIEW, PENDING), (IN_PROGRESS, IN_REVIEW)])
def test_a_step_back_needs_a_note(
    source: ProjectStatus, target: ProjectStatus, note: str | None
) -> None:
    with pytest.raises(Invalid) as caught:
        check_transition(source, target, TEAM, READY, note)
    assert caught.value.message == (
        "A note is required to move a project back from %(source)s to %(target)s."
    )
    assert caught.value.params == {"source": source.label, "target": target.label}


@pytest.mark.parametrize("note", [None, "", "   ", "\n\t "])
@pytest.mark.parametrize("source", [PENDING, IN_REVIEW, IN_PROGRESS])
def test_a_rejection_needs_a_reason(source: ProjectStatus, note: str | None) -> None:
    with pytest.raises(Invalid) as caught:
        check_transition(source, REJECTED, TEAM, READY, note)
    assert str(caught.value) == "A reason is required to reject a project."
    assert caught.value.http_status == 422


@pytest.mark.parametrize("estimate", [None, 0, -100])
def test_starting_work_needs_an_estimate(estimate: int | None) -> None:
    facts = ProjectFacts(
        estimated_price_cents=estimate, final_price_cents=None, deliverable_count=0
    )
    with pytest.raises(Invalid) as caught:
        check_transition(IN_REVIEW, IN_PROGRESS, TEAM, facts)
    assert str(caught.value) == "Set an estimated price before starting work on the project."


def test_starting_work_with_a_one_cent_estimate_is_allowed() -> None:
    facts = ProjectFacts(estimated_price_cents=1, final_price_cents=None, deliverable_count=0)
    assert check_transition(IN_REVIEW, IN_PROGRESS, TEAM, facts).target is IN_PROGRESS


@pytest.mark.parametrize("final_price", [None, 0, -1])
def test_completing_needs_a_final_price(final_price: int | None) -> None:
    facts = ProjectFacts(
        estimated_price_cents=100, final_price_cents=final_price, deliverable_count=3
    )
    with pytest.raises(Invalid) as caught:
        check_transition(IN_PROGRESS, COMPLETED, TEAM, facts)
    assert str(caught.value) == "Set a final price above zero before completing the project."


def test_completing_needs_a_deliverable() -> None:
    facts = ProjectFacts(estimated_price_cents=None, final_price_cents=1, deliverable_count=0)
    with pytest.raises(Invalid) as caught:
        check_transition(IN_PROGRESS, COMPLETED, TEAM, facts)
    assert str(caught.value) == "Upload at least one deliverable before completing the project."


def test_status_labels_and_values() -> None:
    assert {status: status.label for status in ProjectStatus} == {
        PENDING: "Pending",
        IN_REVIEW: "In review",
        IN_PROGRESS: "In progress",
        COMPLETED: "Completed",
        AWAITING_PAYMENT: "Awaiting payment",
        PAID: "Paid",
        REJECTED: "Rejected",
        CANCELLED: "Cancelled",
    }
    assert all(status.value == status.name for status in ProjectStatus)
    assert ProjectStatus("AWAITING_PAYMENT") is AWAITING_PAYMENT
    assert f"{PAID}" == "PAID"


def test_priority_labels_values_and_queue_order() -> None:
    assert {priority: priority.label for priority in Priority} == {
        Priority.LOW: "Low",
        Priority.MEDIUM: "Medium",
        Priority.HIGH: "High",
        Priority.URGENT: "Urgent",
    }
    assert all(priority.value == priority.name for priority in Priority)
    assert {p: p.rank for p in Priority} == {
        Priority.URGENT: 0,
        Priority.HIGH: 1,
        Priority.MEDIUM: 2,
        Priority.LOW: 3,
    }


def test_creation_defaults() -> None:
    assert INITIAL_STATUS is PENDING
    assert INITIAL_PRIORITY is Priority.MEDIUM


@pytest.mark.parametrize("status", list(ProjectStatus), ids=str)
def test_only_cancelled_projects_are_frozen_and_free_their_slot(status: ProjectStatus) -> None:
    assert is_editable(status) is (status is not CANCELLED)
    assert counts_towards_limit(status) is (status is not CANCELLED)


def test_status_groups() -> None:
    assert OPEN_STATUSES == {PENDING, IN_REVIEW, IN_PROGRESS}
    assert PAYMENT_DUE_STATUSES == {COMPLETED, AWAITING_PAYMENT}
    assert CLOSED_STATUSES == {REJECTED, CANCELLED}
    assert DELIVERABLES_VISIBLE_TO_ORG == {COMPLETED, AWAITING_PAYMENT, PAID}


def test_domain_error_renders_params_only_when_given() -> None:
    assert str(DomainError("100% done")) == "100% done"
    assert str(DomainError("%(n)s left", n=3)) == "3 left"
    assert DomainError("x").http_status == 400


def test_error_classes_map_to_http_statuses() -> None:
    from app.domain import errors

    statuses = {
        errors.NotFound: 404,
        errors.PermissionDenied: 403,
        errors.TransitionNotAllowed: 409,
        errors.LimitReached: 409,
        errors.Conflict: 409,
        errors.Invalid: 422,
        errors.FileTooLarge: 422,
    }
    assert {cls: cls("m").http_status for cls in statuses} == statuses
    assert issubclass(errors.FileTooLarge, errors.Invalid)
    assert errors.N_("Pending") == "Pending"
