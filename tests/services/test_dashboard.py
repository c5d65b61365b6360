"""Counters from aggregate queries: per status group, per row, scoped for organisation users."""

from app.domain.workflow import ProjectStatus
from app.extensions import db
from app.services.dashboard import counters, row_counts
from app.tenancy import set_tenant
from tests.factories import CommentFactory, FileFactory, OrganisationFactory, ProjectFactory


def test_counters_group_statuses_as_the_dashboards_show_them(app):
    a, b = OrganisationFactory(), OrganisationFactory()
    for status in ProjectStatus:
        ProjectFactory(organisation=a, status=status.value)
    ProjectFactory(organisation=b, status="PENDING")

    values = {c.key: c.count for c in counters()}
    assert values == {
        "total": 9,
        "pending": 2,
        "in_progress": 2,
        "awaiting_payment": 2,
        "paid": 1,
        "closed": 2,
    }
    assert {c.key: c.count for c in counters(b.id)}["total"] == 1
    set_tenant(db.session, b.id)
    try:
        assert {c.key: c.count for c in counters()}["total"] == 1
    finally:
        set_tenant(db.session, None)


def test_row_counts_hide_internal_notes_from_organisation_users(app):
    project, empty = ProjectFactory(), ProjectFactory()
    FileFactory(project_obj=project)
    FileFactory(project_obj=project, kind="DELIVERABLE")
    CommentFactory(project_obj=project)
    CommentFactory(project_obj=project, is_internal=True)

    staff = row_counts([project.id, empty.id], include_internal=True)
    assert (staff[project.id].files, staff[project.id].comments) == (2, 2)
    assert (staff[empty.id].files, staff[empty.id].comments) == (0, 0)
    assert row_counts([project.id], include_internal=False)[project.id].comments == 1
    assert row_counts([], include_internal=True) == {}
