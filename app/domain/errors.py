"""Errors raised by the domain and mapped to responses by the web layer."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for a no-op marker
    """Mark a message for translation extraction and return it unchanged."""
    return message


class DomainError(Exception):
    """Report a broken business rule with a translatable message.

    ``message`` is an English msgid with ``%(name)s`` placeholders; ``params``
    fill them once the web layer has translated the msgid.
    """

    http_status: int = 400

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params: dict[str, object] = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class NotFound(DomainError):  # noqa: N818
    """Report a missing object, or one the viewer must not know exists."""

    http_status = 404


class PermissionDenied(DomainError):  # noqa: N818
    """Report an action the viewer is not allowed to perform."""

    http_status = 403


class TransitionNotAllowed(DomainError):  # noqa: N818
    """Report a status move outside the workflow table."""

    http_status = 409


class LimitReached(DomainError):  # noqa: N818
    """Report an organisation that has used up its project limit."""

    http_status = 409


class Conflict(DomainError):  # noqa: N818
    """Report a change that clashes with the current state."""

    http_status = 409


class Invalid(DomainError):  # noqa: N818
    """Report input that breaks a validation rule."""

    http_status = 422


class FileTooLarge(Invalid):
    """Report an upload above the size limit."""


class StorageUnavailable(DomainError):  # noqa: N818
    """Report a file store that cannot write or read now: full, read-only, or not answering."""

    http_status = 503
