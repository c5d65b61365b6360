"""Admin keeps the list of requested services; one in use is withdrawn, never deleted."""

import pytest
from sqlalchemy import select

from app.domain.errors import Conflict, Invalid, PermissionDenied
from app.extensions import db
from app.models import Project, RequestedService
from app.services.project import update_project
from app.services.requested_service import (
    add_service,
    delete_service,
    rename_service,
    set_service_offered,
)
from tests.factories import ProjectFactory


def names() -> list[tuple[str, str | None, bool, int]]:
    db.session.expire_all()
    rows = db.session.scalars(select(RequestedService).order_by(RequestedService.position))
    return [(s.name, s.name_en, s.active, s.position) for s in rows]


def test_admin_adds_services_at_the_end_and_renames_them(cast):
    first = add_service(cast.admin, "  Programmation G-code ", "G-code programming")
    add_service(cast.admin, "Modélisation CAO", "")

    rename_service(cast.admin, first.id, "Programmation CN", "  CNC programming ")

    assert names() == [
        ("Programmation CN", "CNC programming", True, 1),
        ("Modélisation CAO", None, True, 2),
    ]


def test_a_name_taken_or_missing_is_refused_and_nothing_changes(cast, unchanged):
    service = add_service(cast.admin, "Programmation G-code")
    other = add_service(cast.admin, "Retouche")

    error = unchanged(lambda: add_service(cast.admin, "programmation g-code"), Conflict)
    unchanged(lambda: rename_service(cast.admin, other.id, "PROGRAMMATION G-CODE"), Conflict)
    unchanged(lambda: add_service(cast.admin, "   ", "Nothing"), Invalid)
    unchanged(lambda: rename_service(cast.admin, service.id, "x" * 121), Invalid)

    assert error.params == {"name": "programmation g-code"}


@pytest.mark.parametrize("who", ["team", "org_admin_a", "member_a"])
def test_only_admin_changes_the_list(cast, unchanged, who):
    service = add_service(cast.admin, "Programmation G-code")
    viewer = getattr(cast, who)

    unchanged(lambda: add_service(viewer, "Autre"), PermissionDenied)
    unchanged(lambda: rename_service(viewer, service.id, "Autre"), PermissionDenied)
    unchanged(lambda: set_service_offered(viewer, service.id, False), PermissionDenied)
    unchanged(lambda: delete_service(viewer, service.id), PermissionDenied)


def test_a_service_in_use_is_never_deleted_but_can_be_withdrawn(cast, unchanged):
    used = add_service(cast.admin, "Programmation G-code")
    unused = add_service(cast.admin, "Retouche")
    project = ProjectFactory(organisation_id=cast.org_a_id)
    project.services.append(db.session.get(RequestedService, used.id))
    db.session.commit()

    error = unchanged(lambda: delete_service(cast.admin, used.id), Conflict)
    set_service_offered(cast.admin, used.id, False)
    assert delete_service(cast.admin, unused.id) == "Retouche"

    assert error.params == {"name": "Programmation G-code", "count": 1}
    assert names() == [("Programmation G-code", None, False, 1)]
    db.session.expire_all()
    assert [s.name for s in db.session.get(Project, project.id).services] == [
        "Programmation G-code"
    ]


def test_a_withdrawn_service_is_kept_on_edit_but_not_offered_to_others(cast):
    withdrawn = add_service(cast.admin, "Programmation G-code")
    offered = add_service(cast.admin, "Modélisation CAO")
    project = ProjectFactory(organisation_id=cast.org_a_id)
    other = ProjectFactory(organisation_id=cast.org_a_id)
    project.services.append(db.session.get(RequestedService, withdrawn.id))
    db.session.commit()
    set_service_offered(cast.admin, withdrawn.id, False)

    update_project(
        cast.member_a, project.id, {"title": "Renommé", "service_ids": [withdrawn.id, offered.id]}
    )
    with pytest.raises(Invalid):
        update_project(cast.member_a, other.id, {"service_ids": [withdrawn.id]})

    db.session.expire_all()
    assert sorted(s.name for s in db.session.get(Project, project.id).services) == [
        "Modélisation CAO",
        "Programmation G-code",
    ]
    assert db.session.get(Project, other.id).services == []
