"""Read an uploaded file and keep its preview, on the previews queue and its own worker."""

from app.services.preview import make_preview as read_and_record


def make_preview(message_id: str, file_id: int) -> None:
    """Read file ``file_id`` in the sandbox and record the outcome, whatever it is.

    A file that cannot be read ends the job normally, recorded as refused or failed, so the
    outbox does not read it again at every retry; only a broken database or storage raises.
    """
    read_and_record(file_id)
