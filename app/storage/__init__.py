"""Where file bytes live. Keys are generated here; a user's filename never becomes a path.

Two backends keep the same promises (:class:`Storage`): a directory (:mod:`app.storage.local`)
and an S3-compatible object store (:mod:`app.storage.s3`). ``STORAGE_BACKEND`` chooses one; the
application reaches it through ``current_app.extensions["storage"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.storage.base import (
    CHUNK_BYTES,
    Storage,
    StoredBlob,
    file_digest,
    is_key,
    new_key,
    too_large,
    unavailable,
    unreadable,
)
from app.storage.local import MARKER, LocalStorage, StorageSetupError, prepare_root

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "BACKENDS",
    "CHUNK_BYTES",
    "MARKER",
    "LocalStorage",
    "Storage",
    "StorageSetupError",
    "StoredBlob",
    "build_storage",
    "file_digest",
    "is_key",
    "new_key",
    "too_large",
    "unavailable",
    "unreadable",
]

BACKENDS = ("local", "s3")


def build_storage(app: Flask, backend: str | None = None) -> Storage:
    """Make the store ``STORAGE_BACKEND`` names (or ``backend``), checked as far as it can be.

    A local store must be the directory configured (see :func:`prepare_root`); an S3 store is
    only contacted when used (``flask cnc storage-check`` tries it).

    :raise StorageSetupError: when the local directory is not the store's.
    """
    chosen = backend or app.config["STORAGE_BACKEND"]
    if chosen == "s3":
        from app.storage.s3 import S3Storage

        return S3Storage.from_config(app.config)
    root = app.config["STORAGE_DIR"]
    if backend is None:
        prepare_root(root, lambda: _stored_keys(app))
    else:
        prepare_root(root, None)
    return LocalStorage(root)


def _stored_keys(app: Flask) -> list[str]:
    """Return a few keys of the files the database lists; none before the tables exist."""
    from sqlalchemy import inspect, select
    from sqlalchemy.exc import SQLAlchemyError

    from app.extensions import db
    from app.models import ProjectFile

    with app.app_context():
        try:
            if not inspect(db.engine).has_table(ProjectFile.__tablename__):
                return []
            keys = db.session.scalars(select(ProjectFile.storage_key).limit(20)).all()
        except SQLAlchemyError as error:
            raise StorageSetupError(
                f"The file store {app.config['STORAGE_DIR']} has no {MARKER} marker and the "
                "database, which says whether files were stored before, did not answer "
                f"({type(error).__name__}). Start the application once the database is up."
            ) from error
        finally:
            db.session.remove()
            # Asked once at start: no connection is kept for a process that may fork after.
            db.engine.dispose()
        return list(keys)
