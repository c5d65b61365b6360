"""Through the API too, G-code is stored and served as text, a STEP file as a model."""

import io

from flask import Flask

from tests.security.conftest import World


def test_gcode_and_step_are_typed_by_their_kind(csrf_app: Flask, world: World, api_as):
    member = api_as("member_a")
    project = world.values["project"]
    files = [(io.BytesIO(b"G21 G90"), "usinage.nc"), (io.BytesIO(b"ISO-10303-21;"), "piece.stp")]

    response = member.call(
        "POST", f"/api/v1/project/{project}/files", data={"files": files, "kind": "project"}
    )

    assert response.status_code == 201
    stored = response.json["result"]
    assert [f["content_type"] for f in stored] == ["text/plain", "model/step"]
    for stored_file, content_type in zip(stored, ("text/plain", "model/step"), strict=True):
        with member.call(
            "GET", f"/api/v1/project/{project}/files/{stored_file['id']}/download"
        ) as download:
            assert download.status_code == 200
            assert download.mimetype == content_type
