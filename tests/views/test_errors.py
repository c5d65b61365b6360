"""Refusals reach people in their language, parameters included."""

from flask_babel import force_locale

from app.domain.errors import TransitionNotAllowed
from app.domain.workflow import ProjectStatus
from app.views.errors import message_of


def test_a_refusal_is_translated_with_its_status_labels(app):
    error = TransitionNotAllowed(
        "A project cannot move from %(source)s to %(target)s.",
        source=ProjectStatus.PENDING.label,
        target=ProjectStatus.COMPLETED.label,
    )
    with app.test_request_context("/"):
        with force_locale("fr"):
            expected = "Un projet ne peut pas passer de « En attente » à « Terminé »."
            assert message_of(error) == expected
        with force_locale("en"):
            assert message_of(error) == "A project cannot move from Pending to Completed."
