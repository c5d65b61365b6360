"""/health tells probes and people whether the database and Redis answer."""

from collections.abc import Iterator

import pytest

from tests.conftest import free_port, make_app


@pytest.fixture
def probe(database_url, storage_dir, base_app) -> Iterator:
    """Build apps with other settings for one test, and close their connections after it."""
    from app.extensions import db

    apps = []

    def build(url: str = database_url, **overrides):
        app = make_app(url, storage_dir, **overrides)
        apps.append(app)
        return app.test_client().get("/health")

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_health_without_redis_configured(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_health_with_redis_up(probe, redis_server_url):
    response = probe(REDIS_URL=redis_server_url)
    assert response.json["redis"] == "ok" and response.status_code == 200


def test_health_says_when_redis_is_down(probe):
    response = probe(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert response.status_code == 503
    assert response.json["status"] == "degraded" and response.json["database"] == "ok"
    assert response.json["redis"].startswith("error: ")


def test_health_says_when_the_database_is_down(probe, tmp_path):
    response = probe(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    assert response.status_code == 503
    assert response.json["database"].startswith("error: ")
