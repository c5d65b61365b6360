"""Admin's view of the background work: RQ's queues and workers, the outbox's failed jobs."""

from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from app.domain.errors import DomainError, NotFound
from app.queries.queues import failed_messages, outbox_counts, queue_figures, worker_states
from app.security import current_viewer
from app.services.outbox import retry_failed_message
from app.views.errors import flash_error


class JobsAdminView(BaseView):
    """Queues, workers and failed jobs, with a way to retry a failed one: Admin only."""

    route_base = "/admin/jobs"
    default_view = "show"
    base_permissions = ["can_show", "can_retry"]

    @expose("/")
    @has_access
    def show(self) -> Any:
        """Show each queue's figures, the workers and the failed outbox messages."""
        queues, workers, redis_error = self._from_redis()
        return self.render_template(
            "admin/jobs.html",
            redis_configured=bool(current_app.config.get("REDIS_URL")),
            redis_error=redis_error,
            queues=queues,
            workers=workers,
            counts=outbox_counts(),
            failed=failed_messages(),
        )

    @expose("/<string(maxlength=64):message_id>/retry", methods=["POST"])
    @has_access
    def retry(self, message_id: str) -> Response:
        """Put one failed message back on its queue, and come back to the page."""
        try:
            retry_failed_message(current_viewer(), message_id)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
        else:
            flash(gettext("The job is back on its queue."), "success")
        return redirect(url_for("JobsAdminView.show"))

    def _from_redis(self) -> tuple[list[Any], list[Any], str | None]:
        if not current_app.config.get("REDIS_URL"):
            return [], [], None
        connection = current_app.extensions["dispatcher"].connection
        try:
            names = tuple(current_app.config["RQ_QUEUES"])
            return queue_figures(connection, names), worker_states(connection), None
        except RedisError as error:
            return [], [], type(error).__name__
