"""Read a project list's search from its arguments, once for the list, its export and the API."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, or_

from app.domain.errors import N_, Invalid
from app.domain.workflow import Priority, ProjectStatus
from app.models import Project
from app.queries.dashboard import COUNTER_GROUPS

GROUPS = {key: statuses for key, _, statuses in COUNTER_GROUPS}


@dataclass(frozen=True)
class ProjectSearch:
    """What a list was asked for: text, a status or a counter's group, and the order.

    ``organisation_id`` and ``priority`` are the team's (the API's) extra filters; an
    organisation user is scoped to their own organisation whatever they ask.
    """

    text: str = ""
    status: str = ""
    oldest_first: bool = False
    organisation_id: int | None = None
    priority: str = ""
    # The arguments as given, for the export's record.
    arguments: Mapping[str, str] = field(default_factory=dict)

    def narrow(self, statement: Select) -> Select:
        """Add the search's criteria to a statement selecting from projects."""
        if self.text:
            statement = statement.where(text_matches(self.text))
        if self.status in GROUPS:
            statement = statement.where(Project.status.in_([s.value for s in GROUPS[self.status]]))
        elif self.status:
            statement = statement.where(Project.status == self.status)
        if self.organisation_id is not None:
            statement = statement.where(Project.organisation_id == self.organisation_id)
        if self.priority:
            statement = statement.where(Project.priority == self.priority)
        return statement

    def order(self) -> list[ColumnElement[object]]:
        """Sort by creation date, the newest first unless asked otherwise."""
        if self.oldest_first:
            return [Project.created_at.asc(), Project.id.asc()]
        return [Project.created_at.desc(), Project.id.desc()]


def text_matches(text: str) -> ColumnElement[bool]:
    """Match projects whose reference, title, client or description contains ``text``.

    Case is ignored; ``%``, ``_`` and ``\\`` are searched for as they are, not as wildcards.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        *(
            column.ilike(pattern, escape="\\")
            for column in (
                Project.reference,
                Project.title,
                Project.client_name,
                Project.description,
            )
        )
    )


def read_project_search(args: Mapping[str, str]) -> ProjectSearch:
    """Read ``q``, ``status`` (a status or a group), ``sort=created``, ``organisation_id`` and
    ``priority``.

    :raise Invalid: for an unknown status, group or priority, or an organisation that is not
        a number.
    """
    status = (args.get("status") or "").strip()
    if status and status not in GROUPS and status not in ProjectStatus.__members__:
        raise Invalid(N_("Unknown status %(status)s."), status=status)
    priority = (args.get("priority") or "").strip()
    if priority and priority not in Priority.__members__:
        raise Invalid(N_("Unknown priority %(priority)s."), priority=priority)
    organisation = (args.get("organisation_id") or "").strip()
    if organisation and not organisation.isdigit():
        raise Invalid(N_("Choose the organisation from the list."))
    text = (args.get("q") or "").strip()
    return ProjectSearch(
        text=text,
        status=status,
        oldest_first=args.get("sort") == "created",
        organisation_id=int(organisation) if organisation else None,
        priority=priority,
        arguments={
            name: value
            for name, value in (
                ("q", text),
                ("status", status),
                ("sort", args.get("sort") or ""),
                ("organisation_id", organisation),
                ("priority", priority),
            )
            if value
        },
    )
