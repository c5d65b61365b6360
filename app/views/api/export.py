"""CSV exports through the API: the team's payments journal, and project lists."""

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, permission_name, protect, safe
from flask_babel import gettext

from app.domain.csv_export import parse_dialect
from app.queries.search_arguments import request_search
from app.services.export import journal_csv, parse_period, projects_csv
from app.views.api.common import ApiMixin, answers_refusals
from app.views.exports import csv_response


class ExportSharedApi(ApiMixin, BaseApi):
    """Download CSV exports: each one is recorded (who, when, which filters)."""

    resource_name = "export"
    openapi_spec_tag = "Exports"

    @expose("/journal", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def journal(self) -> Response:
        """Export the payments and invoices journal of a period (the team's).
        ---
        get:
          description: >-
            One line per payment, and one negative line per refund, dated in France, both ends
            of the period included. Nothing is marked as exported: see POST /journal/batch.
          parameters:
          - {in: query, name: start, required: true, schema: {type: string, format: date}}
          - {in: query, name: end, required: true, schema: {type: string, format: date}}
          - in: query
            name: dialect
            schema: {type: string, enum: [standard, excel-fr]}
          responses:
            200:
              description: The journal as CSV
              content:
                text/csv:
                  schema: {type: string}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        return self._journal(mark_exported=False)

    @expose("/journal/batch", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @answers_refusals
    def journal_batch(self) -> Response:
        """Export the journal lines of a period no batch booked yet, and book them.
        ---
        post:
          description: >-
            Running it again over the same period exports only what came in since, so no line
            is booked twice.
          parameters:
          - {in: query, name: start, required: true, schema: {type: string, format: date}}
          - {in: query, name: end, required: true, schema: {type: string, format: date}}
          - in: query
            name: dialect
            schema: {type: string, enum: [standard, excel-fr]}
          responses:
            200:
              description: The batch as CSV
              content:
                text/csv:
                  schema: {type: string}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            409:
              $ref: '#/components/responses/409'
            422:
              $ref: '#/components/responses/422'
        """
        return self._journal(mark_exported=True)

    @expose("/projects", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def projects(self) -> Response:
        """Export the projects the caller may see, filtered as the portal's list is.
        ---
        get:
          parameters:
          - in: query
            name: q
            description: words of the title, the description or the client's name
            schema: {type: string}
          - in: query
            name: status
            description: a status, or a dashboard group (pending, active, awaiting, paid, closed)
            schema: {type: string}
          - in: query
            name: sort
            description: oldest first
            schema: {type: string, enum: [created]}
          - in: query
            name: organisation_id
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          - in: query
            name: priority
            schema: {type: string, enum: [LOW, MEDIUM, HIGH, URGENT]}
          - in: query
            name: dialect
            schema: {type: string, enum: [standard, excel-fr]}
          responses:
            200:
              description: The projects as CSV
              content:
                text/csv:
                  schema: {type: string}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        dialect = parse_dialect(request.args.get("dialect"))
        criteria = request_search(request.args)
        download = projects_csv(
            viewer,
            dialect,
            criteria.arguments,
            criteria.ordered,
            translate=gettext,
        )
        return csv_response(download)

    def _journal(self, *, mark_exported: bool) -> Response:
        viewer = self.caller()
        dialect = parse_dialect(request.args.get("dialect"))
        first, last = parse_period(request.args.get("start"), request.args.get("end"))
        download = journal_csv(
            viewer, first, last, dialect, mark_exported=mark_exported, translate=gettext
        )
        return csv_response(download)
