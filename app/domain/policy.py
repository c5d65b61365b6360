"""Decide who may see and change what, from roles, organisations and statuses."""

from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import N_, NotFound
from app.domain.workflow import (
    DELIVERABLES_VISIBLE_TO_ORG,
    Actor,
    ProjectStatus,
    is_editable,
)


class Role(StrEnum):
    """Name a role; values are the role names stored by the security manager."""

    ADMIN = "Admin"
    TEAM = "Team"
    ORG_ADMIN = "OrgAdmin"
    ORG_MEMBER = "OrgMember"


_STAFF_ROLES = frozenset({Role.ADMIN, Role.TEAM})
_ORG_ROLES = frozenset({Role.ORG_ADMIN, Role.ORG_MEMBER})


@dataclass(frozen=True)
class Viewer:
    """Describe the logged-in user an access rule is asked about."""

    user_id: int | None
    role: Role
    organisation_id: int | None

    @property
    def is_staff(self) -> bool:
        """Tell whether the viewer works for CNC Pulse."""
        return self.role in _STAFF_ROLES

    @property
    def is_org_user(self) -> bool:
        """Tell whether the viewer belongs to a customer organisation."""
        return self.role in _ORG_ROLES

    @property
    def actor(self) -> Actor:
        """Return the workflow actor the viewer acts as."""
        return Actor.TEAM if self.is_staff else Actor.ORGANISATION


def _in_own_organisation(viewer: Viewer, org_id: int) -> bool:
    """Tell whether an organisation user belongs to the organisation ``org_id``."""
    # A user whose organisation is missing must match nothing, not a missing org_id.
    return (
        viewer.is_org_user
        and viewer.organisation_id is not None
        and viewer.organisation_id == org_id
    )


def can_view_project(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may see the projects of organisation ``org_id``."""
    return viewer.is_staff or _in_own_organisation(viewer, org_id)


def can_create_project(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may create a project for organisation ``org_id``."""
    return viewer.is_staff or _in_own_organisation(viewer, org_id)


def can_edit_project(viewer: Viewer, org_id: int, status: ProjectStatus) -> bool:
    """Tell whether the viewer may change a project's details."""
    return can_view_project(viewer, org_id) and is_editable(status)


def can_delete_project(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may delete a project, whatever its status."""
    return can_view_project(viewer, org_id)


def can_change_status(viewer: Viewer) -> bool:
    """Tell whether the viewer may move projects through the workflow."""
    return viewer.is_staff


def can_set_priority(viewer: Viewer) -> bool:
    """Tell whether the viewer may set a project's priority."""
    return viewer.is_staff


def can_set_prices(viewer: Viewer) -> bool:
    """Tell whether the viewer may set a project's estimated and final prices."""
    return viewer.is_staff


def can_see_internal_notes(viewer: Viewer) -> bool:
    """Tell whether the viewer may read internal notes."""
    return viewer.is_staff


def can_write_internal_note(viewer: Viewer) -> bool:
    """Tell whether the viewer may write internal notes."""
    return viewer.is_staff


def can_comment(viewer: Viewer, org_id: int, status: ProjectStatus) -> bool:
    """Tell whether the viewer may add to a project's comment thread."""
    return can_view_project(viewer, org_id) and is_editable(status)


def can_read_project_files(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may list and download a project's files."""
    # A cancelled project is read-only, but its files stay viewable.
    return can_view_project(viewer, org_id)


def can_add_project_file(viewer: Viewer, org_id: int, status: ProjectStatus) -> bool:
    """Tell whether the viewer may upload files to a project."""
    return can_view_project(viewer, org_id) and is_editable(status)


def can_remove_project_file(viewer: Viewer, org_id: int, status: ProjectStatus) -> bool:
    """Tell whether the viewer may remove a project's files."""
    return can_view_project(viewer, org_id) and is_editable(status)


def can_add_deliverable(viewer: Viewer, status: ProjectStatus) -> bool:
    """Tell whether the viewer may upload deliverables, PAID projects included."""
    return viewer.is_staff and is_editable(status)


def can_remove_deliverable(viewer: Viewer, status: ProjectStatus) -> bool:
    """Tell whether the viewer may remove deliverables, PAID projects included."""
    return viewer.is_staff and is_editable(status)


def can_read_deliverables(viewer: Viewer, org_id: int, status: ProjectStatus) -> bool:
    """Tell whether the viewer may list and download a project's deliverables."""
    if viewer.is_staff:
        return True
    return _in_own_organisation(viewer, org_id) and status in DELIVERABLES_VISIBLE_TO_ORG


def client_can_list_deliverables(status: ProjectStatus) -> bool:
    """Tell whether the end client's link may show the deliverables' names and sizes."""
    # The link exists from COMPLETED on; the list tells the client what they pay for.
    return status in DELIVERABLES_VISIBLE_TO_ORG


def client_can_download_deliverables(status: ProjectStatus) -> bool:
    """Tell whether the end client's link may serve the deliverables themselves."""
    return status is ProjectStatus.PAID


def can_resend_payment_link(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may send a project's payment link again to its client."""
    # The team regenerates or reminds; the organisation forwards its own client's link.
    return _in_own_organisation(viewer, org_id)


def can_manage_members(viewer: Viewer, org_id: int) -> bool:
    """Tell whether the viewer may invite and deactivate members of ``org_id``."""
    if viewer.role is Role.ADMIN:
        return True
    return viewer.role is Role.ORG_ADMIN and _in_own_organisation(viewer, org_id)


def can_edit_settings(viewer: Viewer) -> bool:
    """Tell whether the viewer may change the company details, VAT rate and delays."""
    return viewer.role is Role.ADMIN


def can_retry_jobs(viewer: Viewer) -> bool:
    """Tell whether the viewer may put a failed job back on its queue."""
    return viewer.role is Role.ADMIN


def can_manage_services(viewer: Viewer) -> bool:
    """Tell whether the viewer may add, rename, withdraw or delete requested services."""
    return viewer.role is Role.ADMIN


def can_export_projects(viewer: Viewer) -> bool:
    """Tell whether the viewer may export projects; org users get their own organisation's."""
    return viewer.is_staff or (viewer.is_org_user and viewer.organisation_id is not None)


def can_export_journal(viewer: Viewer) -> bool:
    """Tell whether the viewer may export the payments and invoices journal."""
    return viewer.is_staff


def require_project_visible(viewer: Viewer, org_id: int) -> None:
    """Refuse a project of an organisation the viewer cannot see.

    :raise NotFound: rather than PermissionDenied, so that a foreign project
        looks exactly like a missing one.
    """
    if not can_view_project(viewer, org_id):
        raise NotFound(N_("Project not found."))
