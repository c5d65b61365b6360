"""The one project search against a real database: text, scope, order and the capped count."""

from dataclasses import replace

from app.extensions import db
from app.queries.project_list import MatchCount, page_ids, page_projects, project_page
from app.queries.project_search import ProjectSearch
from app.queries.search_arguments import portal_search, team_search
from app.tenancy import set_tenant
from tests.factories import CommentFactory, OrganisationFactory, ProjectFactory


def references(page) -> list[str]:
    return [row.reference for row in page.rows]


def test_a_reference_or_a_word_finds_its_projects_whatever_the_case(app):
    wanted = ProjectFactory(reference="CNC-2025-00042", title="Axe")
    by_client = ProjectFactory(client_name="Titane Industrie")
    by_word = ProjectFactory(description="Carter en TITANE grade 5.")
    ProjectFactory(title="Bride", description="Aluminium", client_name="Dupont")

    by_reference = project_page(ProjectSearch(text="cnc-2025-00042"), include_internal=True)
    by_text = project_page(ProjectSearch(text="titane", order="id"), include_internal=True)

    assert references(by_reference) == [wanted.reference]
    assert set(references(by_text)) == {by_client.reference, by_word.reference}
    assert by_text.count == MatchCount(2)


def test_wildcards_are_searched_for_as_they_are(app):
    percent = ProjectFactory(title="Remise 10% sur la série")
    ProjectFactory(title="Remise 100 sur la série")

    page = project_page(ProjectSearch(text="10%"), include_internal=True)

    assert references(page) == [percent.reference]


def test_an_organisation_user_finds_only_their_own_projects(app):
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    own = ProjectFactory(organisation=mine, title="Bride A")
    ProjectFactory(organisation=theirs, title="Bride B")
    CommentFactory(project_obj=own, is_internal=True)
    search = portal_search({"q": "bride"})
    mine_id, theirs_id, own_reference = mine.id, theirs.id, own.reference

    set_tenant(db.session, mine_id)
    try:
        page = project_page(search, include_internal=False)
        # Even asked by id for another organisation, the scope holds.
        foreign = page_ids(replace(search, organisation_id=theirs_id))
    finally:
        set_tenant(db.session, None)

    assert references(page) == [own_reference]
    assert page.rows[0].comments == 0
    assert foreign.ids == []


def test_the_team_list_reads_in_work_queue_order_with_counts(app):
    late = ProjectFactory(priority="LOW", deadline=None)
    urgent = ProjectFactory(priority="URGENT")
    CommentFactory(project_obj=urgent, is_internal=True)

    page = project_page(team_search({}), include_internal=True)

    assert references(page) == [urgent.reference, late.reference]
    assert (page.rows[0].comments, page.rows[0].organisation) == (1, urgent.organisation.name)


def test_the_count_stops_where_the_pager_stops_needing_it(app):
    organisation = OrganisationFactory()
    for _ in range(6):
        ProjectFactory(organisation=organisation)
    search = ProjectSearch(page_size=1)

    # The pager links to two pages past the first: the count goes to the third project.
    assert project_page(search, include_internal=True, reach=2).count == MatchCount(3, more=True)
    # Past the last page, what there is is counted all the same.
    past = replace(search, page=9)
    assert project_page(past, include_internal=True, reach=2).count == MatchCount(6)
    # The API says how many match in all.
    count, projects = page_projects(replace(search, page_size=4))
    assert (count, len(projects)) == (MatchCount(6), 4)
