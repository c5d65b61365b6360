"""The project's thread: public comments and internal notes."""

from app.domain import policy
from app.domain.errors import N_, Invalid, PermissionDenied
from app.domain.notifications import Event
from app.domain.policy import Viewer
from app.models import Comment
from app.models.base import utcnow
from app.services.common import actor_name, load_project
from app.services.notification import notify
from app.uow import transaction

MAX_COMMENT_LENGTH = 10_000


def add_comment(viewer: Viewer, project_id: int, body: str, *, internal: bool = False) -> Comment:
    """Post a public comment, or an internal note that only the team sees.

    :raise PermissionDenied: for an internal note by an organisation user, or on a cancelled
        project.
    :raise Invalid: for an empty or overlong message.
    """
    text = (body or "").strip()
    if not text:
        raise Invalid(N_("Write a message before sending it."))
    if len(text) > MAX_COMMENT_LENGTH:
        raise Invalid(N_("A comment cannot exceed %(count)s characters."), count=MAX_COMMENT_LENGTH)
    if "\x00" in text:
        raise Invalid(N_("The text contains a forbidden character."))
    if internal and not policy.can_write_internal_note(viewer):
        raise PermissionDenied(N_("Only the team can write internal notes."))
    with transaction() as session:
        project = load_project(session, viewer, project_id)
        if not policy.can_comment(viewer, project.organisation_id, project.status_enum):
            raise PermissionDenied(N_("A cancelled project can no longer be changed."))
        comment = Comment(
            project_id=project.id,
            organisation_id=project.organisation_id,
            author_id=viewer.user_id,
            author_name=actor_name(session, viewer),
            is_internal=internal,
            body=text,
            created_at=utcnow(),
        )
        session.add(comment)
        session.flush()
        if not internal:
            notify(
                session,
                Event.COMMENT_ADDED,
                project.id,
                comment_id=comment.id,
                author_is_staff=viewer.is_staff,
            )
    return comment
