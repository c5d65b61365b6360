"""/health and /ready, as JSON for probes and people.

/health says whether the process answers, and whether the database and Redis do; /ready also
checks the storage and whether emails and jobs keep up (see :mod:`app.readiness`).
"""

from flask import Blueprint, current_app, jsonify

from app.queries.health import database_state
from app.readiness import check_readiness

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    checks = {"database": database_state(), "redis": _redis_state()}
    healthy = checks["database"] == "ok" and checks["redis"] in ("ok", "not configured")
    body = {"status": "ok" if healthy else "degraded", **checks}
    return jsonify(body), 200 if healthy else 503


@health_bp.get("/ready")
def ready():
    report = check_readiness()
    return jsonify(report.as_json()), 503 if report.status == "unavailable" else 200


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
