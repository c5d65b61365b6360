"""Hostile input on every route gets a clear refusal, never a 500, and writes nothing.

Ids past the database's integers, NUL characters, LIKE wildcards and backslashes, pages in the
quintillions, sorts by columns that do not exist, rison nested thousands deep, long and foreign
text: each is answered 400 (or 404 for an id no row can have), as an HTML page in the browser and
as a JSON message from the API. The property test throws them at every route of the security
matrix, as anonymous and as each signed-in role.
"""

import os
import re
import warnings
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from tests.api.conftest import token_for
from tests.security.conftest import RoleClient, World, log_in
from tests.security.test_route_matrix import (
    ARGUMENTS,
    ROLES,
    Entry,
    _state,
    entry_for,
    routes,
)

BIG_ID = str(2**31)
HUGE = "1" + "0" * 30
NUL = "a\x00b"
# FAB's list views and the names of their list arguments.
FAB_LISTS = ("UserDBModelView", "RoleModelView", "ProjectAdminView", "EmailMessageAdminView")
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Enough to reach every route a few times in seconds; HOSTILE_EXAMPLES=5000 searches longer.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "300"))


# --- Values --------------------------------------------------------------------------------

huge_numbers = st.integers(min_value=2**31 - 1, max_value=10**40).map(str)
negative_numbers = st.integers(max_value=-1, min_value=-(10**40)).map(str)
# Any text a URL or a form can carry (lone surrogates cannot be encoded at all).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
with_nul = st.builds(lambda a, b: f"{a}\x00{b}", any_text, any_text)
like_specials = st.sampled_from(["\\", "a\\", "\\\\", "%", "_", "%_\\", "100%", "\\%", "'", '"'])
long_text = st.integers(min_value=500, max_value=20_000).map(lambda n: "é" * n)
nested_rison = st.integers(min_value=40, max_value=5_000).flatmap(
    lambda depth: st.sampled_from(["(", "!(", "(a:"]).map(lambda o: o * depth + ")" * depth)
)
HOSTILE = st.one_of(
    huge_numbers,
    negative_numbers,
    with_nul,
    like_specials,
    long_text,
    nested_rison,
    any_text,
    st.sampled_from(["0", "", " ", "1.5", "1e9", "٣", "²", "０"]),
)


def query_names() -> st.SearchStrategy[str]:
    """The query arguments the lists, searches and the API read."""
    plain = ["q", "page", "psize", "status", "sort", "organisation_id", "priority", "group"]
    plain += ["created_from", "created_to", "deadline_from", "lang", "next", "checkout"]
    fab = [
        f"{prefix}{view}" for view in FAB_LISTS for prefix in ("page_", "psize_", "_oc_", "_od_")
    ]
    filters = [
        f"_flt_{index}_{column}"
        for index in (0, 1, 5, 9)
        for column in ("title", "status", "first_name", "active", "user", "recipient")
    ]
    return st.sampled_from(plain + fab + filters)


def fill(rule: Rule, entry: Entry, values: dict[str, object], hostile: str | None) -> str:
    """Build the rule's URL with the planted values, or with ``hostile`` in every argument."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if hostile is not None:
            return quote(hostile, safe="")
        source = entry.arguments.get(name) or ARGUMENTS.get(name) or "missing"
        return quote(str(values[source]), safe="")

    return _ARGUMENT.sub(value, rule.rule)


# --- The property ------------------------------------------------------------------------------


@pytest.fixture
def clients(csrf_app: Flask, world: World) -> dict[str, RoleClient]:
    return {role: log_in(csrf_app, role, world) for role in ROLES}


def _send(who: RoleClient, entry: Entry, method: str, url: str, **kwargs) -> int:
    with warnings.catch_warnings():
        for category in entry.tolerates:
            warnings.simplefilter("ignore", category)
        response = who.client.open(url, method=method, **kwargs)
    with response:
        return response.status_code


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_route_answers_hostile_input_with_a_500(
    csrf_app: Flask, world: World, clients: dict[str, RoleClient], data: st.DataObject
):
    """Every route, every role: hostile path, query and form values are refused, not crashed on."""
    table = [
        (rule, method)
        for rule, method in routes(csrf_app)
        # Logging out would turn the role's client anonymous for the examples after it.
        if rule.endpoint != "AuthDBView.logout"
    ]
    rule, method = data.draw(st.sampled_from(table), label="route")
    role = data.draw(st.sampled_from(ROLES), label="role")
    who = clients[role]
    entry = entry_for(rule, method)
    in_path = (
        data.draw(st.one_of(st.none(), HOSTILE), label="path value") if rule.arguments else None
    )
    url = fill(rule, entry, world.values, in_path)
    query = data.draw(st.dictionaries(query_names(), HOSTILE, max_size=3), label="query")
    kwargs: dict[str, object] = {"query_string": query}
    if method in ("POST", "PUT", "DELETE", "PATCH"):
        names = st.sampled_from([*entry.data, "username", "password", "email", "name", "body"])
        form = data.draw(st.dictionaries(names, HOSTILE, max_size=3), label="form")
        if rule.rule.startswith("/api/"):
            kwargs["json"] = form
        else:
            kwargs["data"] = {"csrf_token": who.csrf_token, **form}

    try:
        status = _send(who, entry, method, url, **kwargs)
    except Exception as error:  # noqa: BLE001 - the test client propagates what would be a 500
        pytest.fail(f"{role} {method} {url} {kwargs}: {type(error).__name__}: {error}")

    assert status < 500, f"{role} {method} {url} {kwargs}: HTTP {status}"


# --- The refusals people read -------------------------------------------------------------------


def _api_token(csrf_app: Flask, world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(csrf_app, world.emails[role])}"}


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("anonymous", "/pay/some-token/files/2147483648"),
        ("member_a", "/portal/projects/2147483648"),
        ("member_a", "/portal/projects/99999999999999999999999999999/edit"),
        ("team", "/admin/projects/show/2147483648"),
        ("team", "/admin/projects/{project}/files/2147483648/download"),
        ("admin", "/users/show/2147483648"),
        ("admin", "/users/show/not-a-number"),
        ("admin", "/roles/edit/-1"),
    ],
)
def test_an_id_no_row_can_have_is_not_found(csrf_app: Flask, world: World, role: str, url: str):
    who = log_in(csrf_app, role, world)

    response = who.client.get(url.format(**world.values))

    assert response.status_code == 404


def test_an_api_id_past_the_database_integers_is_not_found_as_json(csrf_app: Flask, world: World):
    response = csrf_app.test_client().get(
        f"/api/v1/project/{BIG_ID}", headers=_api_token(csrf_app, world, "team")
    )

    assert response.status_code == 404
    assert response.is_json


def _writes() -> Iterator[tuple[str, str, dict[str, str]]]:
    yield "member_a", "/portal/projects/{project}/comments", {"body": NUL}
    yield "member_a", "/portal/projects/{project}/edit", {"title": NUL, "client_name": "x"}
    yield "member_a", "/portal/projects/2147483648/comments", {"body": "x"}
    yield "org_admin_a", "/portal/members/invite", {"email": "n@example.test", "name": NUL}
    yield "team", "/admin/projects/{project}/comments", {"body": NUL, "internal": "1"}
    yield "team", "/admin/projects/2147483648/delete", {"confirm": "yes"}
    yield "admin", "/admin/organisations/{organisation}/edit", {"name": NUL}


@pytest.mark.parametrize(("role", "url", "data"), list(_writes()))
def test_a_refused_write_changes_nothing(
    csrf_app: Flask, world: World, role: str, url: str, data: dict[str, str]
):
    who = log_in(csrf_app, role, world)
    before = _state(csrf_app)

    response = who.client.post(
        url.format(**world.values), data={"csrf_token": who.csrf_token, **data}
    )

    assert response.status_code in (400, 404)
    assert _state(csrf_app) == before


def test_a_nul_in_the_login_name_is_a_clear_refusal(csrf_app: Flask, world: World):
    who = log_in(csrf_app, "anonymous", world)

    form = who.client.post(
        "/login/", data={"username": NUL, "password": "x", "csrf_token": who.csrf_token}
    )
    api = csrf_app.test_client().post(
        "/api/v1/security/login", json={"username": NUL, "password": "x", "provider": "db"}
    )

    assert form.status_code == 400
    assert "NUL" in form.text and "<html" in form.text.lower()
    assert api.status_code == 400
    assert "NUL" in api.json["message"]


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("team", "/admin/projects/list/?q=a%00b"),
        ("member_a", "/portal/projects/?q=a%00b"),
        ("member_a", "/portal/projects/export?q=a%00b"),
        ("admin", "/users/list/?_flt_0_first_name=a%00"),
    ],
)
def test_a_nul_in_a_search_is_refused(csrf_app: Flask, world: World, role: str, url: str):
    who = log_in(csrf_app, role, world)

    response = who.client.get(url)

    assert response.status_code == 400
    assert "NUL" in response.text


def test_a_nul_in_an_api_filter_is_refused_as_json(csrf_app: Flask, world: World):
    headers = _api_token(csrf_app, world, "team")
    client = csrf_app.test_client()

    for url in (
        "/api/v1/project/?q=(filters:!((col:title,opr:ct,value:'a%00b')))",
        "/api/v1/export/projects?q=(filters:!((col:title,opr:ct,value:'a%00b')))",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, url
        assert "NUL" in response.json["message"]


def test_a_nul_in_a_json_body_is_refused(csrf_app: Flask, world: World):
    headers = _api_token(csrf_app, world, "member_a")
    before = _state(csrf_app)

    response = csrf_app.test_client().post(
        f"/api/v1/project/{world.values['project']}/comments",
        json={"body": NUL},
        headers=headers,
    )

    # The API's answer to a body it cannot take, as its OpenAPI document says.
    assert response.status_code == 422
    assert "NUL" in response.json["message"]
    assert _state(csrf_app) == before


def test_a_search_ending_with_a_backslash_finds_what_it_says(csrf_app: Flask, world: World):
    """LIKE's wildcards and escape are taken as typed, on every operator of the team list."""
    who = log_in(csrf_app, "team", world)

    for index in range(8):
        response = who.client.get(
            "/admin/projects/list/", query_string={f"_flt_{index}_title": "A\\"}
        )
        assert response.status_code == 200, index
    starts = who.client.get("/admin/projects/list/", query_string={"_flt_0_title": "CANARY-A"})
    wildcard = who.client.get("/admin/projects/list/", query_string={"_flt_0_title": "CANARY%A"})
    assert "CANARY-A-TITLE" in starts.text
    assert "CANARY-A-TITLE" not in wildcard.text


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("team", f"/admin/projects/list/?page_ProjectAdminView={HUGE}"),
        ("team", f"/admin/projects/list/?psize_ProjectAdminView={HUGE}"),
        ("team", "/admin/projects/list/?page_ProjectAdminView=-1"),
        ("member_a", f"/portal/projects/?page={HUGE}"),
        ("member_a", f"/portal/projects/?psize={HUGE}"),
        ("member_a", "/portal/projects/?page=²"),
        ("admin", "/users/list/?page_UserDBModelView=x"),
        ("admin", f"/users/list/?page_UserDBModelView={HUGE}"),
        ("admin", "/users/list/?psize_UserDBModelView=-5"),
        ("admin", f"/users/list/?psize_UserDBModelView={HUGE}"),
        ("admin", "/users/list/?_oc_UserDBModelView=nope&_od_UserDBModelView=asc"),
        ("admin", "/users/list/?_oc_UserDBModelView=roles&_od_UserDBModelView=asc"),
        ("admin", "/users/list/?_flt_5_active=y"),
        ("admin", "/users/list/?_flt_1_first_name=a%5C"),
        ("admin", "/users/list/?_flt_5_first_name=%5C"),
        ("team", "/admin/emails/list/?_flt_1_recipient=a%5C"),
        ("admin", f"/roles/list/?_flt_0_user={HUGE}"),
        ("admin", "/roles/list/?_flt_0_user=x"),
        ("admin", "/roles/list/?page_RoleModelView=x"),
        ("team", f"/admin/emails/list/?page_EmailMessageAdminView={HUGE}"),
    ],
)
def test_a_page_size_or_sort_out_of_range_is_refused(
    csrf_app: Flask, world: World, role: str, url: str
):
    who = log_in(csrf_app, role, world)

    response = who.client.get(url)

    assert response.status_code == 400
    assert "<html" in response.text.lower()


@pytest.mark.parametrize(
    "rison",
    [
        f"(page:{HUGE})",
        "(page:-1)",
        "(page:'x')",
        "(page_size:'x')",
        "(filters:!((col:title,opr:ct,value:!(!(!(a))))))",
        "(filters:!((col:organisation_id,opr:eq,value:" + HUGE + ")))",
        "(filters:!((col:title,opr:eq,value:12)))",
        "(filters:!(x))",
        "(" * 5_000 + ")" * 5_000,
        "!(" * 5_000 + ")" * 5_000,
    ],
)
def test_the_api_refuses_a_rison_it_cannot_serve_as_json(csrf_app: Flask, world: World, rison: str):
    response = csrf_app.test_client().get(
        "/api/v1/project/", query_string={"q": rison}, headers=_api_token(csrf_app, world, "team")
    )

    assert response.status_code == 400, response.text
    assert response.json["message"]


def test_a_deeply_nested_json_body_is_refused(csrf_app: Flask, world: World):
    body = '{"body":' + "[" * 5_000 + "]" * 5_000 + "}"

    response = csrf_app.test_client().post(
        f"/api/v1/project/{world.values['project']}/comments",
        data=body,
        content_type="application/json",
        headers=_api_token(csrf_app, world, "member_a"),
    )

    assert response.status_code == 422
    assert response.json["message"]


def test_the_refusal_is_in_french_by_default(csrf_app: Flask, world: World):
    who = log_in(csrf_app, "team", world)

    response = who.client.get("/admin/projects/list/?q=a%00b")

    assert response.status_code == 400
    assert "caractère NUL" in response.text


def test_an_api_login_without_a_provider_is_a_clear_refusal(csrf_app: Flask, world: World):
    response = csrf_app.test_client().post(
        "/api/v1/security/login", json={"username": world.emails["team"], "password": "x"}
    )

    assert response.status_code == 400
    assert "provider" in response.json["message"]
