"""The team's projects of every organisation: a list and a detail page, both read-only."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import abort, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext, lazy_gettext

from app.domain.dates import business_today
from app.domain.errors import Invalid, NotFound
from app.domain.workflow import (
    TRANSITIONS,
    Actor,
    Priority,
    ProjectStatus,
    allowed_targets,
    is_editable,
    is_overdue,
)
from app.queries.project_list import (
    Pager,
    organisation_choices,
    project_page,
)
from app.queries.project_page import (
    comments_for,
    files_of,
    history_of,
    payment_overview,
    project_for,
)
from app.queries.project_search import GROUP_LABELS
from app.queries.search_arguments import (
    DIRECTION_ARGUMENT,
    ORDER_ARGUMENT,
    PAGE_ARGUMENT,
    PAGE_SIZE_ARGUMENT,
    RANGE_ARGUMENTS,
    TEAM_ORDERS,
    TEXT_ARGUMENT,
    PagingError,
    is_team_filter,
    team_search,
)
from app.security import current_viewer
from app.services.payment import MANUAL_METHODS
from app.services.project import PRICE_FROZEN_STATUSES
from app.views.errors import message_of

# The page sizes the list offers; any size from 1 to 100 is read from the URL.
PAGE_SIZES = (25, 50, 100)
# How many page numbers the pager shows on each side of the current page.
PAGER_REACH = 3
# The list's columns and their headers; a click on a header sorts by its column if the search
# can (TEAM_ORDERS). Status would sort alphabetically by code, which reads as no order at all.
COLUMNS = (
    ("reference", lazy_gettext("Reference")),
    ("title", lazy_gettext("Title")),
    ("organisation", lazy_gettext("Organisation")),
    ("client_name", lazy_gettext("Client")),
    ("status", lazy_gettext("Status")),
    ("priority", lazy_gettext("Priority")),
    ("deadline", lazy_gettext("Deadline")),
    ("final_price_cents", lazy_gettext("Price")),
    ("counters", lazy_gettext("Files / comments")),
    ("created_at", lazy_gettext("Created")),
)
STATUS_ARGUMENT = "_flt_0_status"
PRIORITY_ARGUMENT = "_flt_0_priority"
ORGANISATION_ARGUMENT = "_flt_0_organisation_id"
# The arguments the search form shows as fields; it carries any other one in hidden fields.
FORM_ARGUMENTS = frozenset(
    {TEXT_ARGUMENT, STATUS_ARGUMENT, PRIORITY_ARGUMENT, ORGANISATION_ARGUMENT, *RANGE_ARGUMENTS}
)
# The ways the team records money received by hand (Stripe payments record themselves).
PAYMENT_METHODS = tuple((method.value, method.label) for method in MANUAL_METHODS)


@dataclass(frozen=True)
class ListAddress:
    """The list's address as the request gave it, to link to variants of it."""

    base: str
    args: Mapping[str, list[str]]

    def but(self, changes: Mapping[str, str | int | None]) -> str:
        """Return the address with some arguments changed (``None`` removes one)."""
        merged = dict(self.args)
        for name, value in changes.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = [str(value)]
        query = urlencode(merged, doseq=True)
        return f"{self.base}?{query}" if query else self.base

    def page(self, number: int) -> str:
        return self.but({PAGE_ARGUMENT: number or None})

    def size(self, size: int) -> str:
        return self.but({PAGE_SIZE_ARGUMENT: size, PAGE_ARGUMENT: None})

    def order(self, column: str, direction: str) -> str:
        return self.but(
            {ORDER_ARGUMENT: column, DIRECTION_ARGUMENT: direction, PAGE_ARGUMENT: None}
        )


class ProjectAdminView(BaseView):
    """List and show projects; every change goes through the services, never through FAB forms."""

    route_base = "/admin/projects"
    default_view = "list"
    base_permissions = ["can_list", "can_show"]
    show_template = "admin/project_show.html"

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        """List the projects the URL's search, group and date ranges ask for, a page at a time."""
        try:
            search = team_search(request.args)
        except PagingError as error:
            abort(400, description=str(error))
        except Invalid as error:
            # The list is not drawn on a filter it cannot read; the form keeps what was typed.
            return self._render_list(filter_error=message_of(error)), 400
        page = project_page(search, include_internal=True, reach=PAGER_REACH)
        return self._render_list(
            search=search,
            page=page,
            pager=Pager(search.page, search.page_size, page.count, PAGER_REACH),
            today=business_today(),
        )

    def _render_list(self, **kwargs: Any) -> str:
        """Draw the list page: the search form as the URL fills it, then the page, if any."""
        args = request.args
        group = GROUP_LABELS.get(args.get("group", ""))
        return self.render_template(
            "admin/project_list.html",
            title=gettext("Projects"),
            group_label=gettext(group) if group else "",
            form={name: args.get(name, "") for name in FORM_ARGUMENTS},
            kept_arguments=[
                (name, value) for name, value in args.items(multi=True) if _carried(name, value)
            ],
            statuses=[(status.value, gettext(status.label)) for status in ProjectStatus],
            priorities=[(priority.value, gettext(priority.label)) for priority in Priority],
            organisations=organisation_choices(),
            address=ListAddress(url_for(".list"), args.to_dict(flat=False)),
            columns=COLUMNS,
            sortable=TEAM_ORDERS,
            page_sizes=PAGE_SIZES,
            is_overdue=is_overdue,
            **kwargs,
        )

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        """Show one project with its files, comment thread and history."""
        viewer = current_viewer()
        if viewer is None:
            abort(403)
        try:
            project = project_for(viewer, pk)
            comments = comments_for(viewer, pk)
        except NotFound:
            abort(404)
        files = files_of(project.id)
        status = project.status_enum
        return self.render_template(
            self.show_template,
            project=project,
            targets=team_targets(status),
            priorities=list(Priority),
            payment_methods=PAYMENT_METHODS,
            payment_due=status is ProjectStatus.AWAITING_PAYMENT,
            prices_editable=status not in PRICE_FROZEN_STATUSES,
            read_only=not is_editable(status),
            today=business_today().isoformat(),
            project_files=files.project_files,
            deliverables=files.deliverables,
            file_previews=files.previews,
            comments=comments,
            history=history_of(project.id),
            payment_info=payment_overview(project),
        )


def team_targets(status: ProjectStatus) -> list[ProjectStatus]:
    """List the moves the status form offers: the team's, less PAID (a payment is recorded)."""
    return [
        target
        for target in allowed_targets(status, Actor.TEAM)
        if not TRANSITIONS[(status, target)].records_payment
    ]


def _carried(name: str, value: str) -> bool:
    """Tell whether the search form carries an argument along unseen: one the list reads that
    the form has no field for. A filter or a group the list refused is dropped, so the next
    search does not fail again."""
    if name in FORM_ARGUMENTS or name == PAGE_ARGUMENT:
        return False
    if name == "group":
        return value in GROUP_LABELS
    if name.startswith("_flt_"):
        return is_team_filter(name)
    return True
