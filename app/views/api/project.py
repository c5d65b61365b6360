"""Projects through the API: list, read, create, edit, delete, and move through the workflow.

Organisation users and the team share these endpoints; the tenant scope and the services decide
what each one sees and may do.
"""

from typing import Any

from flask import Response
from flask_appbuilder.api import (
    ModelRestApi,
    expose,
    get_list_schema,
    permission_name,
    protect,
    safe,
)
from flask_appbuilder.api import rison as rison_args
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext, lazy_gettext

from app.domain.errors import N_, Invalid
from app.domain.policy import Viewer
from app.models import Project
from app.queries.dashboard import row_counts
from app.queries.project_list import page_projects
from app.queries.project_page import project_for
from app.queries.search_arguments import PagingError, api_search
from app.services.project import ProjectInput, create_project, delete_project, update_project
from app.services.workflow import change_status
from app.views.api.common import ApiMixin, answers_refusals, json_body
from app.views.api.schemas import (
    MessageSchema,
    ProjectCreateSchema,
    ProjectListSchema,
    ProjectResultSchema,
    ProjectSchema,
    ProjectUpdateSchema,
    StatusChangeSchema,
)
from app.views.errors import message_of

PROJECT_FIELDS = [
    "client_name",
    "client_email",
    "client_phone",
    "client_address",
    "client_language",
    "title",
    "description",
    "deadline",
]
TEXT_FILTER_COLUMNS = frozenset(
    {"reference", "title", "client_name", "client_email", "status", "priority"}
)
# Deep pages cost the database a scan each; nobody reads past this.
MAX_PAGE = 100_000


def project_json(viewer: Viewer, project: Project) -> dict[str, Any]:
    """Describe one project, with its file and comment counts as the viewer may know them."""
    return projects_json(viewer, [project])[0]


def projects_json(viewer: Viewer, projects: list[Project]) -> list[dict[str, Any]]:
    counts = row_counts([p.id for p in projects], include_internal=viewer.is_staff)
    schema = ProjectSchema()
    answers = []
    for project in projects:
        data = schema.dump(project)
        data["file_count"] = counts[project.id].files
        data["comment_count"] = counts[project.id].comments
        answers.append(data)
    return answers


class ProjectSharedApi(ApiMixin, ModelRestApi):
    """Projects for organisation users (their own) and the team (every organisation's)."""

    resource_name = "project"
    datamodel = SQLAInterface(Project)
    include_route_methods = {"get_list", "get", "info", "post", "put", "delete", "status"}
    openapi_spec_tag = "Projects"
    openapi_spec_component_schemas = (
        ProjectSchema,
        ProjectResultSchema,
        ProjectListSchema,
        ProjectCreateSchema,
        ProjectUpdateSchema,
        StatusChangeSchema,
        MessageSchema,
    )
    list_columns = ["id", "reference", *PROJECT_FIELDS]
    show_columns = ["id", "reference", *PROJECT_FIELDS]
    add_columns = PROJECT_FIELDS
    edit_columns = PROJECT_FIELDS
    search_columns = [
        "reference",
        "title",
        "client_name",
        "client_email",
        "status",
        "priority",
        "organisation_id",
        "deadline",
    ]
    order_columns = [
        "reference",
        "title",
        "client_name",
        "status",
        "priority",
        "deadline",
        "created_at",
        "final_price_cents",
    ]
    # FAB's _info translates a missing description as "", which gettext answers with the
    # catalog's header: every field it lists gets one.
    description_columns = {
        "client_name": lazy_gettext("The client's name"),
        "client_email": lazy_gettext("The client's email"),
        "client_phone": lazy_gettext("The client's phone"),
        "client_address": lazy_gettext("The client's postal address"),
        "client_language": lazy_gettext("Client's language"),
        "title": lazy_gettext("The title"),
        "description": lazy_gettext("The description"),
        "deadline": lazy_gettext("Deadline"),
    }
    base_order = ("created_at", "desc")
    page_size = 25
    max_page_size = 100
    openapi_spec_methods = {
        "info": {
            "get": {
                "description": "What can be filtered and edited, and the caller's permissions.",
                "responses": {
                    "200": {
                        "description": "The resource's metadata",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "add_columns": {"type": "array", "items": {}},
                                        "edit_columns": {"type": "array", "items": {}},
                                        "filters": {"type": "object"},
                                        "permissions": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "400": {"$ref": "#/components/responses/400"},
                    "401": {"$ref": "#/components/responses/401"},
                    "403": {"$ref": "#/components/responses/403"},
                    "422": {"$ref": "#/components/responses/422"},
                },
            }
        }
    }

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison_args(get_list_schema)
    @answers_refusals
    def get_list(self, **kwargs: Any) -> Response:
        """List the projects the caller may see, filtered, sorted and paged (at most 100).
        ---
        get:
          description: >-
            The caller's projects (an organisation's own; the team's every organisation's).
            `q` is FAB's rison: `(filters:!((col:status,opr:eq,value:PENDING)),
            order_column:created_at,order_direction:desc,page:0,page_size:25)`.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: One page of projects, and how many match in all
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectList'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        args = kwargs.get("rison") or {}
        page = args.get("page", 0)
        if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page <= MAX_PAGE:
            return self.response_400(message=f"The page must be a number from 0 to {MAX_PAGE}.")
        problem = _filter_problem(args.get("filters", []))
        if problem:
            return self.response_400(message=problem)
        try:
            search = api_search(args)
        except PagingError as error:
            return self.response_400(message=str(error))
        except Invalid as error:
            return self.response_400(message=message_of(error))
        # The tenant scope keeps an organisation's user to their own projects.
        count, projects = page_projects(search)
        return self.response(
            200,
            count=count.value,
            ids=[project.id for project in projects],
            result=projects_json(viewer, projects),
        )

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def get(self, pk: int, **kwargs: Any) -> Response:
        """Read one project.
        ---
        get:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: The project
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectResult'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        project = project_for(viewer, pk)
        return self.response(200, id=project.id, result=project_json(viewer, project))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @answers_refusals
    def post(self) -> Response:
        """Submit a project; it starts PENDING.
        ---
        post:
          description: >-
            An organisation user's project belongs to their organisation; the team names the
            organisation with `organisation_id`.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ProjectCreate'
          responses:
            201:
              description: The project created
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectResult'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/409'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        data = json_body(ProjectCreateSchema())
        organisation_id = data.pop("organisation_id", None)
        if organisation_id is None:
            if not viewer.is_org_user:
                raise Invalid(N_("Name the organisation the project is for (organisation_id)."))
            organisation_id = viewer.organisation_id
        project = create_project(viewer, organisation_id, ProjectInput(**data))
        return self.response(201, id=project.id, result=project_json(viewer, project))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @answers_refusals
    def put(self, pk: int) -> Response:
        """Change a project's details; the team also its priority and prices.
        ---
        put:
          description: >-
            Every change is applied, or none. `priority`, `estimated_price_cents` and
            `final_price_cents` are the team's: an organisation user sending them is refused.
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/ProjectUpdate'
          responses:
            200:
              description: The project as changed
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectResult'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        project = update_project(viewer, pk, json_body(ProjectUpdateSchema()))
        return self.response(200, id=project.id, result=project_json(viewer, project))

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    @answers_refusals
    def delete(self, pk: int) -> Response:
        """Delete a project for good; its invoices and payments stay.
        ---
        delete:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: Deleted
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/Message'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        reference = project_for(viewer, pk).reference
        # The DELETE itself is the explicit confirmation the screens ask for.
        delete_project(viewer, pk, confirmed=True)
        return self.response(
            200, message=gettext("Project %(reference)s deleted.", reference=reference)
        )

    @expose("/<int:pk>/status", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    @answers_refusals
    def status(self, pk: int) -> Response:
        """Move a project through the workflow, as the team.
        ---
        post:
          description: >-
            Only the moves of the workflow table are accepted; a step back and a rejection
            need a note. PAID is reached by recording a payment, not here.
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/StatusChange'
          responses:
            200:
              description: The project in its new status
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectResult'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/409'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        data = json_body(StatusChangeSchema())
        project = change_status(viewer, pk, data["status"], data.get("note"))
        return self.response(200, id=project.id, result=project_json(viewer, project))


def _filter_problem(filters: list[Any]) -> str | None:
    """Say what is wrong with a filter FAB would turn into a crash, or None."""
    for item in filters:
        if not isinstance(item, dict) or not {"col", "opr", "value"} <= set(item):
            return "Each filter needs col, opr and value."
        column, value = item["col"], item["value"]
        if column in TEXT_FILTER_COLUMNS and not isinstance(value, str):
            return f"Filter {column} with text."
        if column == "organisation_id" and (
            isinstance(value, bool) or not isinstance(value, int | str)
        ):
            return "Filter organisation_id with a number."
        if column == "deadline" and not isinstance(value, str):
            return "Filter deadline with a date, such as 2026-12-31."
    return None
