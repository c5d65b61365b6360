"""The local store starts only on its own directory: never on a volume that is not mounted."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.storage import MARKER, StorageSetupError
from tests.conftest import make_app
from tests.factories import FileFactory, ProjectFactory


@pytest.fixture
def start(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build applications on a folder as their store, as a web worker would at start."""
    from app.extensions import db

    built: list[Flask] = []

    def build(folder: Path, url: str = database_url) -> Flask:
        built.append(make_app(url, folder))
        return built[-1]

    yield build
    for started in built:
        with started.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("state", ["missing", "empty", "new volume"])
def test_a_new_store_is_created_and_marked(app, start, tmp_path, state):
    folder = tmp_path / "files"
    if state != "missing":
        folder.mkdir()
    if state == "new volume":
        (folder / "lost+found").mkdir()

    start(folder)

    assert (folder / MARKER).is_file()
    assert MARKER in [p.name for p in folder.iterdir()]
    assert len(list(folder.iterdir())) == (2 if state == "new volume" else 1)


def test_a_marked_store_starts_without_asking_the_database(start, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / MARKER).write_text("")
    (folder / "ab").mkdir()

    # No database answers at this address: only the marker can let it start.
    built = start(folder, "postgresql+psycopg://nobody@127.0.0.1:9/none")

    assert built.extensions["storage"].root == folder


def test_a_directory_holding_other_things_is_refused(app, start, tmp_path):
    folder = tmp_path / "root-disk"
    folder.mkdir()
    (folder / "home").mkdir()

    with pytest.raises(StorageSetupError, match="is not empty and is not a CNC Pulse file store"):
        start(folder)
    assert not (folder / MARKER).exists()


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_no_store_while_the_database_lists_files_is_a_volume_not_mounted(
    app, start, tmp_path, state
):
    FileFactory(project_obj=ProjectFactory())
    folder = tmp_path / "mnt" / "files"
    if state == "empty":
        folder.mkdir(parents=True)

    with pytest.raises(StorageSetupError, match=f"is {state}, but the database lists stored files"):
        start(folder)
    assert not (folder / MARKER).exists()


def test_a_store_from_before_the_marker_is_recognised_by_its_files(app, start, tmp_path):
    listed = FileFactory(project_obj=ProjectFactory())
    folder = tmp_path / "files"
    blob = folder / listed.storage_key[:2] / listed.storage_key[2:4] / listed.storage_key
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"ISO-10303-21;")

    start(folder)

    assert (folder / MARKER).is_file()
