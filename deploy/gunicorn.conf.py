"""Gunicorn's settings for serving CNC Pulse: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every number can be changed from the environment (``GUNICORN_*``, see .env.example); the
defaults suit a server behind nginx on the same machine. docs/deploy.md explains the sizing.
"""

import os


def _whole(name: str, default: int, least: int = 0) -> int:
    """Read a whole-number setting from the environment, refusing nonsense by its name."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SystemExit(f"{name} must be {least} or more, not {value}")
    return value


def _cores() -> int:
    """Count the cores this process may run on (a container's or a unit's CPU set included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


CORES = _cores()

# Where nginx reaches the app: loopback by default, 0.0.0.0:8000 in a container.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# A request mostly waits on PostgreSQL, so each worker runs a few threads; two workers per core
# keep a core busy while the other's threads wait, and one worker's crash or restart leaves the
# other serving. Each thread may hold a database connection: workers × threads counts in
# PostgreSQL's max_connections (docs/deploy.md, "How many processes").
workers = _whole("GUNICORN_WORKERS", max(2, 2 * CORES), least=1)
threads = _whole("GUNICORN_THREADS", 4, least=1)
worker_class = "gthread"

# With threads, `timeout` is how long a worker's main loop may go silent before it is killed
# and replaced, not a limit on one request: a 501 MB upload read slowly still completes.
timeout = _whole("GUNICORN_TIMEOUT", 60, least=1)
# On SIGTERM or SIGHUP, the requests under way get this long to finish (an upload, an export).
graceful_timeout = _whole("GUNICORN_GRACEFUL_TIMEOUT", 60, least=1)
# nginx keeps connections to gunicorn open for a while; longer than its idle use of them.
keepalive = _whole("GUNICORN_KEEPALIVE", 5, least=0)
# Restart each worker after so many requests, give or take the jitter, so that memory grown by a
# rare large page is given back and the workers do not all restart at once.
max_requests = _whole("GUNICORN_MAX_REQUESTS", 2000, least=0)
max_requests_jitter = _whole("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10, least=0)

# Each worker builds the application itself (run.py); nothing is shared before the fork, so a
# worker restarted by max_requests or a HUP picks up new code and settings.
preload_app = False
# No control socket: under systemd's ProtectSystem=strict and ProtectHome there is nowhere to
# put one, and the unit sends signals instead (`systemctl reload` sends HUP).
control_socket_disable = True
# Gunicorn's own reading of X-Forwarded-Proto stays with its default (the loopback proxy); the
# application believes the proxy headers through CNC_TRUSTED_PROXIES alone.
proc_name = "cnc-pulse-web"

# Logs go to standard output and error (the journal, `docker logs`) unless a file is named.
# The logger class writes the tokens of payment, invitation and reset links as [redacted], in
# the access log's fields as in the error log. No cookie, Authorization or query-holding header
# is logged; the request ID links a line to nginx's and to the client's report.
logger_class = "app.gunicorn_logger.RedactingLogger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s" request_id=%({x-request-id}i)s'
)
