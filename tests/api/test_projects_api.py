"""What the project endpoints do beyond who may call them: paging, filters, refusals, tokens."""

import io

import prison
import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Project, ProjectFile, RequestedService
from app.request_scope import scope_request
from app.tenancy import NO_ORGANISATION, current_tenant
from tests.api.conftest import token_for
from tests.factories import ProjectFactory
from tests.security.conftest import World, database_state


def q(**args) -> dict[str, str]:
    return {"q": prison.dumps(args)}


@pytest.fixture
def many(csrf_app: Flask, world: World):
    """120 more projects for organisation A."""
    with csrf_app.app_context():
        organisation_id = db.session.get(Project, world.values["project"]).organisation_id
        for number in range(120):
            ProjectFactory(organisation_id=organisation_id, title=f"Série {number:03d}")
        db.session.remove()


def test_the_page_size_is_capped_at_100(api_as, many):
    response = api_as("member_a").call("GET", "/api/v1/project/", query_string=q(page_size=500))

    assert response.status_code == 200
    assert response.json["count"] == 121
    assert len(response.json["result"]) == len(response.json["ids"]) == 100


def test_filters_order_and_pages_follow_fab_rison(api_as, many):
    query = q(
        filters=[{"col": "title", "opr": "sw", "value": "Série 11"}],
        order_column="title",
        order_direction="desc",
        page=1,
        page_size=3,
    )

    response = api_as("member_a").call("GET", "/api/v1/project/", query_string=query)

    assert response.json["count"] == 10
    assert [p["title"] for p in response.json["result"]] == [
        "Série 116",
        "Série 115",
        "Série 114",
    ]


@pytest.mark.parametrize(
    "args",
    [
        {"page": -1},
        {"filters": [{"col": "title", "opr": "sw", "value": 3}]},
        {"filters": [{"col": "password", "opr": "eq", "value": "x"}]},
        {"order_column": "client_email"},
    ],
)
def test_a_query_the_list_cannot_run_answers_400_with_a_message(api_as, args):
    response = api_as("team").call("GET", "/api/v1/project/", query_string=q(**args))

    assert response.status_code == 400
    assert response.json["message"]


def test_an_organisation_user_sending_a_price_is_refused_and_nothing_changes(
    csrf_app: Flask, world: World, api_as
):
    member = api_as("member_a")
    with csrf_app.app_context():
        before = database_state()

    response = member.call(
        "PUT",
        f"/api/v1/project/{world.values['project']}",
        json={"title": "Nouveau titre", "final_price_cents": 100},
    )

    assert response.status_code == 403
    assert response.json["message"] == "Seule l'équipe peut définir les prix."
    with csrf_app.app_context():
        assert database_state() == before


def test_the_team_changes_details_priority_and_prices_at_once(world: World, api_as):
    url = f"/api/v1/project/{world.values['project']}"

    response = api_as("team").call(
        "PUT", url, json={"title": "Bride révisée", "priority": "URGENT", "final_price_cents": 4200}
    )

    assert response.status_code == 200
    result = response.json["result"]
    assert (result["title"], result["priority"], result["final_price_cents"]) == (
        "Bride révisée",
        "URGENT",
        4200,
    )


def test_malformed_fields_are_named_and_nothing_changes(csrf_app, world: World, api_as):
    member = api_as("member_a")  # logging in records the login: before the snapshot
    with csrf_app.app_context():
        before = database_state()

    response = member.call(
        "POST", "/api/v1/project/", json={"title": 3, "client_email": "x@example.test"}
    )

    assert response.status_code == 422
    assert "client_name" in response.json["message"] and "title" in response.json["message"]
    with csrf_app.app_context():
        assert database_state() == before


def test_a_refused_move_answers_409(world: World, api_as):
    response = api_as("team").call(
        "POST", f"/api/v1/project/{world.values['project']}/status", json={"status": "PAID"}
    )

    assert response.status_code == 409
    assert response.json["message"]


def test_an_organisation_user_reads_no_internal_note_and_counts_none(world: World, api_as):
    member = api_as("member_a")
    project = world.values["project"]

    thread = member.call("GET", f"/api/v1/project/{project}/comments").json
    shown = member.call("GET", f"/api/v1/project/{project}").json["result"]
    team_view = api_as("team").call("GET", f"/api/v1/project/{project}").json["result"]

    assert [c["internal"] for c in thread["result"]] == [False]
    assert (shown["comment_count"], team_view["comment_count"]) == (1, 2)


def test_an_upload_stores_every_file_and_the_download_gives_the_bytes_back(
    csrf_app: Flask, world: World, api_as
):
    member = api_as("member_a")
    project = world.values["project"]
    files = [(io.BytesIO(b"G21 G90"), "usinage.nc"), (io.BytesIO(b"ISO-10303-21;"), "piece.step")]

    response = member.call(
        "POST", f"/api/v1/project/{project}/files", data={"files": files, "kind": "project"}
    )

    assert response.status_code == 201
    stored = response.json["result"]
    assert [f["name"] for f in stored] == ["usinage.nc", "piece.step"]
    with member.call(
        "GET", f"/api/v1/project/{project}/files/{stored[0]['id']}/download"
    ) as download:
        assert download.get_data() == b"G21 G90"
        assert download.headers["Content-Disposition"].startswith("attachment")
    with csrf_app.app_context():
        assert len(db.session.scalars(select(ProjectFile)).all()) == 4


def test_a_token_scopes_the_request_before_any_endpoint_runs(csrf_app: Flask, world: World):
    """The request hook reads the JWT itself: FAB only checks it inside each endpoint."""
    token = token_for(csrf_app, world.emails["member_a"])
    with csrf_app.app_context():
        organisation_id = db.session.get(Project, world.values["project"]).organisation_id
        db.session.remove()

    for header, expected in (
        (f"Bearer {token}", organisation_id),
        ("Bearer not-a-token", NO_ORGANISATION),
    ):
        with csrf_app.test_request_context("/api/v1/project/", headers={"Authorization": header}):
            csrf_app.preprocess_request()
            assert current_tenant(db.session) == expected
            scope_request()
            assert current_tenant(db.session) == expected


def test_a_withdrawn_service_cannot_be_asked_for_on_a_new_project(
    csrf_app: Flask, world: World, api_as
):
    service_id = world.values["service"]
    with csrf_app.app_context():
        db.session.get(RequestedService, service_id).active = False
        offered = RequestedService(name="Modélisation CAO", position=2)
        db.session.add(offered)
        db.session.commit()
        offered_id = offered.id
        db.session.remove()
    member = api_as("member_a")
    body = {"client_name": "Paul Girard", "client_email": "paul@example.test", "title": "Bride"}

    refused = member.call("POST", "/api/v1/project/", json=body | {"service_ids": [service_id]})
    created = member.call("POST", "/api/v1/project/", json=body | {"service_ids": [offered_id]})
    shown = member.call("GET", f"/api/v1/project/{world.values['project']}")

    assert refused.status_code == 422
    assert created.status_code == 201, created.json
    assert [s["id"] for s in created.json["result"]["services"]] == [offered_id]
    assert [s["id"] for s in shown.json["result"]["services"]] == [service_id]


def test_the_clients_postal_address_is_read_and_written_through_the_api(api_as, world):
    member = api_as("member_a")
    path = f"/api/v1/project/{world.values['project']}"

    written = member.call(
        "PUT", path, json={"client_address": "4 avenue des Tilleuls\r\n38000 Grenoble"}
    )
    too_long = member.call("PUT", path, json={"client_address": "x" * 1001})

    assert written.status_code == 200, written.json
    assert member.call("GET", path).json["result"]["client_address"] == (
        "4 avenue des Tilleuls\n38000 Grenoble"
    )
    assert too_long.status_code == 422
