"""Turn the services' refusals into words a person reads: flashed, or as a JSON body."""

from flask import flash
from flask_babel import gettext

from app.domain.errors import DomainError


def message_of(error: DomainError) -> str:
    """Translate a refusal into the viewer's language, its text parameters too (status labels)."""
    params = {
        name: gettext(value) if isinstance(value, str) else value
        for name, value in error.params.items()
    }
    return gettext(error.message, **params) if params else gettext(error.message)


def flash_error(error: DomainError) -> None:
    flash(message_of(error), "danger")
