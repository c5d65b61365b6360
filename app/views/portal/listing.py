"""The portal's project list: search, status filter, sort by creation date, bounded pages."""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from flask import abort

from app.domain.errors import Invalid
from app.queries.dashboard import COUNTER_GROUPS as COUNTER_GROUPS  # the list's template's
from app.queries.project_list import Pager, ProjectPage, project_page
from app.queries.project_search import ProjectSearch
from app.queries.search_arguments import PagingError, portal_search

# How many page numbers the pager shows on each side of the current page.
PAGER_REACH = 5


@dataclass(frozen=True)
class PortalListing:
    """One page of the list, the search it answers and its pager."""

    search: ProjectSearch
    page: ProjectPage
    pager: Pager


def find_projects(organisation_id: int, args: Mapping[str, str]) -> PortalListing:
    """Read the list's arguments and return the matching page; 400 for arguments out of range."""
    search = list_search(args)
    # The tenant scope already hides other organisations; saying it again costs nothing.
    page = project_page(
        replace(search, organisation_id=organisation_id), include_internal=False, reach=PAGER_REACH
    )
    return PortalListing(
        search, page, Pager(search.page, search.page_size, page.count, PAGER_REACH)
    )


def list_search(args: Mapping[str, str]) -> ProjectSearch:
    """Read the list's search, status, order and page, as the list and its export both do;
    400 for an unknown status or a page out of range."""
    try:
        return portal_search(args)
    except PagingError as error:
        abort(400, description=str(error))
    except Invalid:
        abort(400, description="Unknown status.")
