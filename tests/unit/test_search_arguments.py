"""Each face's arguments read as one project search: the same filter is the same search."""

from dataclasses import replace
from datetime import date

import prison
import pytest
from werkzeug.datastructures import MultiDict

from app.domain.errors import Invalid
from app.queries.project_list import MatchCount, Pager
from app.queries.project_search import WORK_QUEUE, Condition, DateRange, ProjectSearch
from app.queries.search_arguments import (
    PagingError,
    api_search,
    portal_search,
    request_search,
    team_search,
)

TEAM_DEFAULT = {"order": WORK_QUEUE, "direction": "asc"}


def which(search: ProjectSearch) -> ProjectSearch:
    """The search less its order and page: which projects it asks for."""
    return replace(search, order="", direction="", page=0, page_size=0)


def team(**args: str) -> ProjectSearch:
    return team_search(MultiDict(args))


def test_the_team_list_reads_every_argument_it_has_always_read():
    search = team(
        _flt_0_status="PAID",
        _flt_0_priority="URGENT",
        _flt_0_organisation_id="7",
        _flt_2_description="titane",
        _flt_1_status="CANCELLED",
        q=" bride ",
        group="overdue",
        created_from="2026-04-01",
        created_to="2026-04-30",
        deadline_from="2026-06-01",
        page_ProjectAdminView="2",
        psize_ProjectAdminView="50",
        _oc_ProjectAdminView="deadline",
        _od_ProjectAdminView="desc",
    )

    assert search == ProjectSearch(
        text="bride",
        status="PAID",
        group="overdue",
        priority="URGENT",
        organisation_id=7,
        created=DateRange(date(2026, 4, 1), date(2026, 4, 30)),
        deadline=DateRange(date(2026, 6, 1), None),
        conditions=(
            Condition("description", "ct", "titane"),
            Condition("status", "neq", "CANCELLED"),
        ),
        order="deadline",
        direction="desc",
        page=2,
        page_size=50,
    )


def test_the_team_list_without_arguments_is_the_work_queue():
    assert team() == ProjectSearch(**TEAM_DEFAULT)
    # FAB's reading: an order without a direction is no order.
    assert team(_oc_ProjectAdminView="title") == ProjectSearch(**TEAM_DEFAULT)
    # An empty filter filters nothing, as an empty choice of the search form.
    assert team(_flt_0_status="") == ProjectSearch(**TEAM_DEFAULT)


def test_the_same_filter_is_the_same_search_on_every_face():
    team_paid = team(_flt_0_status="PAID", _flt_0_priority="HIGH", _flt_0_organisation_id="3")
    api_paid = api_search(
        prison.loads(
            "(filters:!((col:status,opr:eq,value:PAID),(col:priority,opr:eq,value:HIGH),"
            "(col:organisation_id,opr:eq,value:3)))"
        )
    )
    export_paid = request_search({"status": "PAID", "priority": "HIGH", "organisation_id": "3"})

    assert which(team_paid) == which(api_paid) == which(export_paid)
    assert which(team(group="paid")) == which(portal_search({"status": "paid"}))
    assert which(team(q="CNC-2026")) == which(portal_search({"q": "CNC-2026"}))


def test_the_portal_reads_its_page_from_one_and_leaves_out_the_team_filters():
    search = portal_search(
        {"q": "bride", "status": "PAID", "sort": "created", "page": "3", "psize": "500"}
        | {"organisation_id": "9", "priority": "LOW"}
    )

    assert (search.text, search.status, search.direction) == ("bride", "PAID", "asc")
    assert (search.page, search.page_size) == (2, 100)
    assert (search.organisation_id, search.priority) == (None, "")
    assert search.arguments["organisation_id"] == "9"


def test_the_api_reads_fab_rison_order_and_pages():
    search = api_search(
        {
            "filters": [{"col": "title", "opr": "sw", "value": "Série 11"}],
            "order_column": "title",
            "order_direction": "desc",
            "page": 1,
            "page_size": 500,
        }
    )

    assert search.conditions == (Condition("title", "sw", "Série 11"),)
    assert (search.order, search.direction, search.page, search.page_size) == (
        "title",
        "desc",
        1,
        100,
    )
    assert (api_search({}).order, api_search({}).direction) == ("created_at", "desc")


@pytest.mark.parametrize(
    "args",
    [
        {"psize_ProjectAdminView": "101"},
        {"psize_ProjectAdminView": "lots"},
        {"page_ProjectAdminView": "-1"},
        {"_oc_ProjectAdminView": "password", "_od_ProjectAdminView": "asc"},
    ],
)
def test_the_team_list_refuses_paging_it_cannot_serve(args):
    with pytest.raises(PagingError):
        team(**args)


@pytest.mark.parametrize(
    "args",
    [
        {"_flt_9_organisation_id": "1"},
        {"_flt_2_status": "PAID"},
        {"_flt_0_password": "x"},
        {"_flt_0_organisation_id": "first"},
        {"group": "nope"},
        {"created_from": "yesterday"},
        {"deadline_from": "2026-06-02", "deadline_to": "2026-06-01"},
    ],
)
def test_the_team_list_refuses_filters_it_does_not_have(args):
    with pytest.raises(Invalid):
        team(**args)


def test_the_pager_links_the_pages_around_the_current_one_as_far_as_the_count_goes():
    pager = Pager(page=5, page_size=10, count=MatchCount(73), reach=3)

    assert (pager.last, list(pager.numbers)) == (7, [2, 3, 4, 5, 6, 7])
    assert (pager.has_previous, pager.has_next) == (True, True)
    assert Pager(7, 10, MatchCount(73)).has_next is False
    first = Pager(0, 25, MatchCount(0))
    assert (first.last, list(first.numbers), first.has_previous) == (0, [0], False)
    assert list(Pager(0, 25, MatchCount(1000, more=True)).numbers) == [0, 1, 2, 3]


def test_the_api_reads_numbers_and_dates_as_their_columns_hold_them():
    search = api_search(
        {
            "filters": [
                {"col": "organisation_id", "opr": "in", "value": ["3", 4]},
                {"col": "deadline", "opr": "gt", "value": "2026-06-01"},
            ]
        }
    )

    assert search.conditions == (
        Condition("organisation_id", "in", [3, 4]),
        Condition("deadline", "gt", date(2026, 6, 1)),
    )
    with pytest.raises(Invalid):
        api_search({"filters": [{"col": "deadline", "opr": "sw", "value": "2026"}]})
