from collections.abc import Callable

import pytest

from app.domain import policy
from app.domain.errors import NotFound, PermissionDenied
from app.domain.policy import Role, Viewer
from app.domain.workflow import Actor, ProjectStatus

ORG_A, ORG_B = 1, 2

ADMIN = Viewer(user_id=1, role=Role.ADMIN, organisation_id=None)
TEAM = Viewer(user_id=2, role=Role.TEAM, organisation_id=None)
ORG_ADMIN_A = Viewer(user_id=3, role=Role.ORG_ADMIN, organisation_id=ORG_A)
MEMBER_A = Viewer(user_id=4, role=Role.ORG_MEMBER, organisation_id=ORG_A)
MEMBER_B = Viewer(user_id=5, role=Role.ORG_MEMBER, organisation_id=ORG_B)
VIEWERS = (ADMIN, TEAM, ORG_ADMIN_A, MEMBER_A, MEMBER_B)
VIEWER_IDS = ("admin", "team", "org-admin-A", "member-A", "member-B")
VIEWER_COLUMNS = [(viewer, column) for column, viewer in enumerate(VIEWERS)]

T, F = True, False

# Expectations for a project of ORG_A, one column per viewer in VIEWERS order.
ABOUT_ORG: dict[str, tuple[bool, ...]] = {
    "can_view_project": (T, T, T, T, F),
    "can_create_project": (T, T, T, T, F),
    "can_delete_project": (T, T, T, T, F),
    "can_read_project_files": (T, T, T, T, F),
    "can_manage_members": (T, F, T, F, F),
    # The team reminds or regenerates; only the organisation forwards its client's link.
    "can_resend_payment_link": (F, F, T, T, F),
}

ABOUT_VIEWER: dict[str, tuple[bool, ...]] = {
    "can_change_status": (T, T, F, F, F),
    "can_set_priority": (T, T, F, F, F),
    "can_set_prices": (T, T, F, F, F),
    "can_see_internal_notes": (T, T, F, F, F),
    "can_write_internal_note": (T, T, F, F, F),
    "can_export_journal": (T, T, F, F, F),
    "can_export_projects": (T, T, T, T, T),
}

OPEN = (T, T, T, T, F)
SHUT = (F, F, F, F, F)
WHILE_NOT_CANCELLED: dict[ProjectStatus, tuple[bool, ...]] = {
    ProjectStatus.PENDING: OPEN,
    ProjectStatus.IN_REVIEW: OPEN,
    ProjectStatus.IN_PROGRESS: OPEN,
    ProjectStatus.COMPLETED: OPEN,
    ProjectStatus.AWAITING_PAYMENT: OPEN,
    ProjectStatus.PAID: OPEN,
    ProjectStatus.REJECTED: OPEN,
    ProjectStatus.CANCELLED: SHUT,
}

STAFF = (T, T, F, F, F)
DELIVERABLE_CHANGES: dict[ProjectStatus, tuple[bool, ...]] = {
    ProjectStatus.PENDING: STAFF,
    ProjectStatus.IN_REVIEW: STAFF,
    ProjectStatus.IN_PROGRESS: STAFF,
    ProjectStatus.COMPLETED: STAFF,
    ProjectStatus.AWAITING_PAYMENT: STAFF,
    ProjectStatus.PAID: STAFF,
    ProjectStatus.REJECTED: STAFF,
    ProjectStatus.CANCELLED: SHUT,
}

DELIVERABLE_READS: dict[ProjectStatus, tuple[bool, ...]] = {
    ProjectStatus.PENDING: STAFF,
    ProjectStatus.IN_REVIEW: STAFF,
    ProjectStatus.IN_PROGRESS: STAFF,
    ProjectStatus.COMPLETED: OPEN,
    ProjectStatus.AWAITING_PAYMENT: OPEN,
    ProjectStatus.PAID: OPEN,
    ProjectStatus.REJECTED: STAFF,
    ProjectStatus.CANCELLED: STAFF,
}

CLIENT: dict[ProjectStatus, tuple[bool, bool]] = {
    # (may list the deliverables, may download them)
    ProjectStatus.PENDING: (F, F),
    ProjectStatus.IN_REVIEW: (F, F),
    ProjectStatus.IN_PROGRESS: (F, F),
    ProjectStatus.COMPLETED: (T, F),
    ProjectStatus.AWAITING_PAYMENT: (T, F),
    ProjectStatus.PAID: (T, T),
    ProjectStatus.REJECTED: (F, F),
    ProjectStatus.CANCELLED: (F, F),
}


def _predicate(name: str) -> Callable[..., bool]:
    return getattr(policy, name)


@pytest.mark.parametrize("name", list(ABOUT_ORG))
@pytest.mark.parametrize(("viewer", "column"), VIEWER_COLUMNS, ids=VIEWER_IDS)
def test_rules_about_an_organisation(name: str, viewer: Viewer, column: int) -> None:
    assert _predicate(name)(viewer, ORG_A) is ABOUT_ORG[name][column]


@pytest.mark.parametrize("name", list(ABOUT_VIEWER))
@pytest.mark.parametrize(("viewer", "column"), VIEWER_COLUMNS, ids=VIEWER_IDS)
def test_rules_about_the_viewer_alone(name: str, viewer: Viewer, column: int) -> None:
    assert _predicate(name)(viewer) is ABOUT_VIEWER[name][column]


@pytest.mark.parametrize(
    "name", ["can_edit_project", "can_comment", "can_add_project_file", "can_remove_project_file"]
)
@pytest.mark.parametrize("status", list(ProjectStatus), ids=str)
@pytest.mark.parametrize(("viewer", "column"), VIEWER_COLUMNS, ids=VIEWER_IDS)
def test_changes_stop_when_cancelled(
    name: str, status: ProjectStatus, viewer: Viewer, column: int
) -> None:
    assert _predicate(name)(viewer, ORG_A, status) is WHILE_NOT_CANCELLED[status][column]


@pytest.mark.parametrize("name", ["can_add_deliverable", "can_remove_deliverable"])
@pytest.mark.parametrize("status", list(ProjectStatus), ids=str)
@pytest.mark.parametrize(("viewer", "column"), VIEWER_COLUMNS, ids=VIEWER_IDS)
def test_only_staff_change_deliverables(
    name: str, status: ProjectStatus, viewer: Viewer, column: int
) -> None:
    assert _predicate(name)(viewer, status) is DELIVERABLE_CHANGES[status][column]


@pytest.mark.parametrize("status", list(ProjectStatus), ids=str)
@pytest.mark.parametrize(("viewer", "column"), VIEWER_COLUMNS, ids=VIEWER_IDS)
def test_organisations_read_deliverables_from_completed_on(
    status: ProjectStatus, viewer: Viewer, column: int
) -> None:
    assert policy.can_read_deliverables(viewer, ORG_A, status) is DELIVERABLE_READS[status][column]


@pytest.mark.parametrize("status", list(ProjectStatus), ids=str)
def test_the_end_client_lists_while_due_and_downloads_once_paid(status: ProjectStatus) -> None:
    may_list, may_download = CLIENT[status]
    assert policy.client_can_list_deliverables(status) is may_list
    assert policy.client_can_download_deliverables(status) is may_download


def test_members_are_managed_by_admins_and_their_own_org_admin_only() -> None:
    assert policy.can_manage_members(ADMIN, ORG_B)
    assert not policy.can_manage_members(ORG_ADMIN_A, ORG_B)
    assert not policy.can_manage_members(TEAM, ORG_B)


def test_an_org_user_without_organisation_gets_nothing() -> None:
    orphan = Viewer(user_id=6, role=Role.ORG_ADMIN, organisation_id=None)
    assert not policy.can_view_project(orphan, ORG_A)
    assert not policy.can_create_project(orphan, ORG_A)
    assert not policy.can_manage_members(orphan, ORG_A)
    assert not policy.can_export_projects(orphan)


def test_viewer_kinds_and_actors() -> None:
    assert [v.is_staff for v in VIEWERS] == [T, T, F, F, F]
    assert [v.is_org_user for v in VIEWERS] == [F, F, T, T, T]
    assert [v.actor for v in VIEWERS] == [
        Actor.TEAM,
        Actor.TEAM,
        Actor.ORGANISATION,
        Actor.ORGANISATION,
        Actor.ORGANISATION,
    ]


def test_role_values_are_the_stored_role_names() -> None:
    assert [role.value for role in Role] == ["Admin", "Team", "OrgAdmin", "OrgMember"]
    assert Role("OrgMember") is Role.ORG_MEMBER


def test_a_foreign_project_looks_missing() -> None:
    with pytest.raises(NotFound) as caught:
        policy.require_project_visible(MEMBER_B, ORG_A)
    assert not isinstance(caught.value, PermissionDenied)
    assert str(caught.value) == "Project not found."
    assert caught.value.http_status == 404


@pytest.mark.parametrize("viewer", [ADMIN, TEAM, ORG_ADMIN_A, MEMBER_A], ids=VIEWER_IDS[:4])
def test_a_visible_project_passes(viewer: Viewer) -> None:
    assert policy.require_project_visible(viewer, ORG_A) is None
