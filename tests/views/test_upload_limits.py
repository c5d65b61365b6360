"""Uploads over the limits are refused in words, nothing stored, the project's files kept.

A request whose declared length is over ``MAX_CONTENT_LENGTH`` is refused before a byte of its
body is read: a page for the forms, JSON for the script-sent form and the API, in the user's
language. A request that fits but holds one file over ``MAX_FILE_BYTES`` is refused by the
storage as it writes, and the whole upload with it.
"""

import io
from pathlib import Path

import pytest
from flask_babel import refresh
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, ProjectFile
from app.services.file import Upload, add_files
from tests.api.conftest import token_for
from tests.conftest import stored_files
from tests.factories import OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.views.conftest import login

KEPT = b"ISO-10303-21; the drawing already on the project"
# A declared length no upload of ours reaches: a terabyte.
TERABYTE = 10**12


@pytest.fixture
def member(app):
    return UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())


@pytest.fixture
def project_id(member) -> int:
    """A project already holding one file, stored for real."""
    project_id = ProjectFactory(organisation_id=member.organisation_id).id
    add_files(
        viewer(member), project_id, FileKind.PROJECT, [Upload("bride.step", io.BytesIO(KEPT))]
    )
    return project_id


def on_disk(storage_dir: Path) -> dict[Path, bytes]:
    """Return every file of the storage with its bytes (the browser tests may have left some)."""
    return {p: p.read_bytes() for p in stored_files(storage_dir)}


def file_names(project_id: int) -> list[str]:
    statement = select(ProjectFile.original_name).where(ProjectFile.project_id == project_id)
    return sorted(db.session.scalars(statement))


def post_declared(client, url: str, declared: int, **kwargs):
    """POST a tiny multipart body announced as ``declared`` bytes; return it and the answer.

    The body's position says how much of it was read.
    """
    body = io.BytesIO(b"--x\r\nContent-Disposition: form-data; name=kind\r\n\r\nPROJECT\r\n")
    response = client.post(
        url,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(declared)},
        **kwargs,
    )
    return body, response


def test_a_declared_length_over_the_limit_gets_a_page_and_nothing_is_read(
    app, client, member, project_id, storage_dir
):
    login(client, member.email)
    page = f"http://localhost/portal/projects/{project_id}"
    kept = on_disk(storage_dir)

    body, response = post_declared(
        client, f"/portal/projects/{project_id}/files", TERABYTE, headers={"Referer": page}
    )

    assert response.status_code == 413
    assert body.tell() == 0
    assert response.mimetype == "text/html"
    assert "Envoi trop volumineux" in response.text
    assert "un fichier ne peut pas dépasser 50 Mo, ni un envoi 501 Mo en tout" in response.text
    assert "Rien n&#39;a été enregistré" in response.text
    assert f'href="{page}"' in response.text
    assert file_names(project_id) == ["bride.step"]
    assert KEPT in kept.values()
    assert on_disk(storage_dir) == kept


def test_the_request_limit_holds_several_files_at_the_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] >= 10 * app.config["MAX_FILE_BYTES"]


def test_one_byte_over_the_request_limit_is_refused_and_the_limit_itself_is_read(
    app, client, member, project_id
):
    login(client, member.email)
    limit = app.config["MAX_CONTENT_LENGTH"]

    over, refused = post_declared(client, f"/portal/projects/{project_id}/files", limit + 1)
    # Declared at the limit, the body is read (and found short of what it announced).
    at_limit, taken = post_declared(client, f"/portal/projects/{project_id}/files", limit)

    assert refused.status_code == 413
    assert over.tell() == 0
    assert taken.status_code != 413
    assert at_limit.tell() > 0
    assert file_names(project_id) == ["bride.step"]


def test_the_back_office_form_sent_by_script_is_told_where_to_go_and_the_message_waits_there(
    app, client, project_id, storage_dir
):
    login(client, UserFactory(role=Role.TEAM).email)
    page = f"http://localhost/admin/projects/show/{project_id}"
    kept = on_disk(storage_dir)

    body, response = post_declared(
        client,
        f"/admin/projects/{project_id}/files",
        TERABYTE,
        headers={"Accept": "application/json", "Referer": page},
    )

    assert response.status_code == 413
    assert body.tell() == 0
    assert response.json["redirect"] == page
    assert "ni un envoi 501 Mo en tout" in response.json["message"]
    shown = client.get(page).text
    assert "Cet envoi est trop volumineux" in shown
    assert file_names(project_id) == ["bride.step"]
    assert KEPT in kept.values()
    assert on_disk(storage_dir) == kept


def test_the_api_answers_json_in_the_language_asked(app, client, member, project_id):
    headers = {"Authorization": f"Bearer {token_for(app, member.email)}"}
    url = f"/api/v1/project/{project_id}/files"

    body, french = post_declared(client, url, TERABYTE, headers=headers)
    refresh()  # the tests' app context outlives each request: forget the language chosen
    _, english = post_declared(client, url + "?_l_=en", TERABYTE, headers=headers)

    assert french.status_code == english.status_code == 413
    assert body.tell() == 0
    assert french.mimetype == english.mimetype == "application/json"
    assert "Cet envoi est trop volumineux" in french.json["message"]
    assert english.json["message"].startswith(
        "This upload is too large: a file cannot exceed 50 MB, nor one upload 501 MB in all."
    )
    assert file_names(project_id) == ["bride.step"]


def test_a_real_file_over_the_file_limit_refuses_the_upload_and_leaves_nothing_on_disk(
    app, client, member, project_id, storage_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1024 * 1024)
    login(client, member.email)
    kept = on_disk(storage_dir)
    boundary, body = encode_multipart(
        MultiDict(
            [
                ("files", FileStorage(io.BytesIO(b"G21 G90\nM30\n"), "ok.nc")),
                ("files", FileStorage(io.BytesIO(b"\1" * (1024 * 1024 + 1)), "big.stl")),
            ]
        )
    )

    response = client.post(
        f"/portal/projects/{project_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 302
    assert "Un fichier ne peut pas dépasser 1 Mo" in client.get(response.location).text
    assert file_names(project_id) == ["bride.step"]
    assert KEPT in kept.values()
    assert on_disk(storage_dir) == kept
    assert not list(storage_dir.rglob("*.part"))


@pytest.mark.parametrize(
    "url", ["/portal/projects/new", "/portal/projects/{pk}", "/admin/projects/show/{pk}"]
)
def test_every_upload_input_carries_the_limits_and_the_translated_refusals(
    app, client, member, project_id, url
):
    if url.startswith("/admin"):
        login(client, UserFactory(role=Role.TEAM).email)
    else:
        login(client, member.email)

    page = client.get(url.format(pk=project_id)).text

    inputs = page.count('type="file"')
    assert inputs >= 1
    assert page.count(f'data-max-bytes="{50 * 1024 * 1024}"') == inputs
    assert page.count('data-max-total-bytes="') == inputs
    assert "« {name} » pèse {size} Mo : un fichier ne peut pas dépasser 50 Mo." in page
    assert "un envoi ne peut pas dépasser 501 Mo" in page
    assert 'type="module" src="/static/js/upload-limit.js"' in page
