"""/health tells probes and people whether the database and Redis answer."""

from tests.conftest import free_port, make_app


def test_health_without_redis_configured(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_health_with_redis_up(database_url, storage_dir, base_app, redis_server_url):
    app = make_app(database_url, storage_dir, REDIS_URL=redis_server_url)
    response = app.test_client().get("/health")
    assert response.json["redis"] == "ok" and response.status_code == 200


def test_health_says_when_redis_is_down(database_url, storage_dir, base_app):
    app = make_app(database_url, storage_dir, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "degraded" and response.json["database"] == "ok"
    assert response.json["redis"].startswith("error: ")


def test_health_says_when_the_database_is_down(storage_dir, base_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite", storage_dir)
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json["database"].startswith("error: ")
