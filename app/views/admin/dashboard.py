"""The team's landing page: counters, overdue work, money due and received, projects by status."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import url_for
from flask_appbuilder import BaseView, expose, has_access

from app.domain.workflow import ProjectStatus
from app.services.backoffice import (
    MonthRevenue,
    amounts_awaiting_payment,
    business_today,
    count_overdue,
    links_expiring,
    overdue_projects,
    revenue_by_month,
)
from app.services.checkout import refused_payments_to_settle
from app.services.dashboard import count_by_status, counters
from app.views.admin.project_filters import OVERDUE_GROUP

REVENUE_MONTHS = 12
OVERDUE_SHOWN = 10
# Links are valid 7 days; two days' notice leaves time to remind the client.
EXPIRY_NOTICE = timedelta(days=2)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: what it stands for, its value, its length in percent of the longest."""

    label: Any
    value: int
    percent: float
    url: str | None = None


def list_url(**arguments: str) -> str:
    """Link to the projects list with FAB filter or group arguments."""
    return url_for("ProjectAdminView.list", **arguments)


def counter_url(key: str, statuses: frozenset[ProjectStatus]) -> str:
    """Link a counter to the list of its projects: one status by FAB's filter, a group by name."""
    if len(statuses) == len(ProjectStatus):
        return list_url()
    if len(statuses) == 1:
        (status,) = statuses
        return list_url(_flt_0_status=status.value)
    return list_url(group=key)


def recent_months(today: date, count: int) -> list[date]:
    """Return the first days of the last ``count`` months up to today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def revenue_bars(rows: list[MonthRevenue], months: list[date]) -> dict[str, list[Bar]]:
    """Lay the months out as bars per currency, with zero for a month without payments."""
    by_currency: dict[str, dict[date, int]] = {}
    for row in rows:
        by_currency.setdefault(row.currency, {})[date(row.year, row.month, 1)] = row.cents
    charts = {}
    for currency, values in sorted(by_currency.items()):
        top = max(values.values(), default=0) or 1
        charts[currency] = [
            Bar(month, values.get(month, 0), _percent(values.get(month, 0), top))
            for month in months
        ]
    return charts


def _percent(value: int, top: int) -> float:
    return round(100 * max(value, 0) / top, 1)


class DashboardAdminView(BaseView):
    """Show the team where the work and the money stand, each figure opening its list."""

    route_base = "/admin/dashboard"
    default_view = "index"
    base_permissions = ["can_index"]

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Draw the counters and charts, each from one aggregate query."""
        today = business_today()
        by_status = count_by_status()
        top = max(by_status.values(), default=0) or 1
        months = recent_months(today, REVENUE_MONTHS)
        since = datetime.combine(months[0], datetime.min.time(), tzinfo=UTC)
        return self.render_template(
            "admin/dashboard.html",
            counters=[
                (counter, counter_url(counter.key, counter.statuses)) for counter in counters()
            ],
            overdue_count=count_overdue(today),
            overdue=overdue_projects(today, OVERDUE_SHOWN),
            overdue_url=list_url(group=OVERDUE_GROUP),
            awaiting=amounts_awaiting_payment(),
            awaiting_url=list_url(group="awaiting_payment"),
            expiring=links_expiring(datetime.now(UTC) + EXPIRY_NOTICE),
            refused=refused_payments_to_settle(),
            revenue=revenue_bars(revenue_by_month(since), months),
            statuses=[
                Bar(
                    status,
                    by_status[status],
                    _percent(by_status[status], top),
                    list_url(_flt_0_status=status.value),
                )
                for status in ProjectStatus
            ],
        )
