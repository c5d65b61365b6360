"""/health: whether the database and Redis answer, as JSON for probes and people."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    checks = {"database": _database_ok(), "redis": _redis_state()}
    healthy = checks["database"] == "ok" and checks["redis"] in ("ok", "not configured")
    body = {"status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


def _database_ok() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means the probe must say so
        db.session.rollback()
        return f"error: {type(error).__name__}"


def _redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except RedisError as error:
        return f"error: {type(error).__name__}"
