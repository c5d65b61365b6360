"""The team's landing page: counters, overdue work, money due and received, projects by status."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import url_for
from flask_appbuilder import BaseView, expose, has_access

from app.domain.dates import business_today
from app.domain.workflow import ProjectStatus
from app.queries.dashboard import MonthRevenue, team_dashboard
from app.queries.project_search import OVERDUE_GROUP

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
        months = recent_months(today, REVENUE_MONTHS)
        figures = team_dashboard(
            today,
            revenue_months=months,
            expiring_until=datetime.now(UTC) + EXPIRY_NOTICE,
            overdue_shown=OVERDUE_SHOWN,
        )
        by_status = figures.by_status
        top = max(by_status.values(), default=0) or 1
        return self.render_template(
            "admin/dashboard.html",
            counters=[
                (counter, counter_url(counter.key, counter.statuses))
                for counter in figures.counters
            ],
            overdue_count=figures.overdue_count,
            overdue=figures.overdue,
            overdue_url=list_url(group=OVERDUE_GROUP),
            awaiting=figures.awaiting,
            awaiting_url=list_url(group="awaiting_payment"),
            expiring=figures.expiring,
            refused=figures.refused,
            revenue=revenue_bars(figures.revenue, months),
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
