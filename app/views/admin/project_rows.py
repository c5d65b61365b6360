"""The rows of the team's project list: each project's values as the viewer reads them, then
the table's HTML.

The rows are written here rather than in the template: the list draws 25 to 100 of them on
every page of the team's most visited screen, and a template spends on each value twice what a
plain string does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import Row

from app.services.backoffice import is_overdue
from app.views.formatting import priority_badge, status_badge, viewer_format


@dataclass(frozen=True)
class ListRow:
    """One project as the list shows it, each value already written as the viewer reads it."""

    id: int
    reference: str
    title: str
    organisation: str
    client: str
    status: Markup
    priority: Markup
    deadline: str
    overdue: bool
    # The final price, or else the estimate (``estimated``), or a dash.
    price: str
    estimated: bool
    files: int
    comments: int
    created: str


def list_rows(rows: Sequence[Row[Any]], today: date) -> list[ListRow]:
    """Write the page's rows for the viewer, reading their language and time zone once."""
    formats = viewer_format()
    # One badge per value on the page, not per row.
    statuses = {value: status_badge(value) for value in {row.status for row in rows}}
    priorities = {value: priority_badge(value) for value in {row.priority for row in rows}}
    written = []
    for row in rows:
        price = row.final_price_cents
        estimated = price is None and row.estimated_price_cents is not None
        if estimated:
            price = row.estimated_price_cents
        written.append(
            ListRow(
                id=row.id,
                reference=row.reference,
                title=row.title,
                organisation=row.organisation,
                client=row.client_name,
                status=statuses[row.status],
                priority=priorities[row.priority],
                deadline=formats.day(row.deadline),
                overdue=is_overdue(row, today),
                price=formats.amount(price, row.currency),
                estimated=estimated,
                files=row.files,
                comments=row.comments,
                created=formats.moment(row.created_at),
            )
        )
    return written


def table_rows(rows: Sequence[ListRow], show_url: str) -> Markup:
    """Write the table's rows; ``show_url`` is the project page's address, less its id."""
    files = escape(gettext("Files"))
    comments = escape(gettext("Comments"))
    late = escape(gettext("The deadline has passed and the work is not delivered."))
    overdue_mark = (
        f' <span class="label label-danger cnc-overdue-mark" title="{late}">'
        f"{escape(gettext('Overdue'))}</span>"
    )
    estimate = escape(gettext("Estimated price"))
    estimate_mark = escape(gettext("est."))
    show = escape(show_url)
    written = []
    for row in rows:
        price = escape(row.price)
        if row.estimated:
            price = (
                f'<span class="text-muted" title="{estimate}">'
                f"{price} <small>({estimate_mark})</small></span>"
            )
        late_class, late_mark = (' class="cnc-overdue"', overdue_mark) if row.overdue else ("", "")
        written.append(
            f'<tr data-project-id="{row.id}"{late_class}>'
            f'<td class="cnc-nowrap"><a href="{show}{row.id}">'
            f"<strong>{escape(row.reference)}</strong></a></td>"
            f"<td>{escape(row.title)}</td>"
            f"<td>{escape(row.organisation)}</td>"
            f"<td>{escape(row.client)}</td>"
            f"<td>{row.status}</td>"
            f"<td>{row.priority}</td>"
            f'<td class="cnc-nowrap">{escape(row.deadline)}{late_mark}</td>'
            f'<td class="cnc-nowrap text-right">{price}</td>'
            f'<td class="cnc-nowrap cnc-counters">'
            f'<span title="{files}"><i class="fa fa-paperclip"></i> {row.files}</span> '
            f'<span title="{comments}"><i class="fa fa-comment-o"></i> {row.comments}</span></td>'
            f'<td class="cnc-nowrap">{escape(row.created)}</td>'
            "</tr>"
        )
    # Every value is escaped above, or is a number or one of our badges.
    return Markup("\n".join(written))  # noqa: S704
