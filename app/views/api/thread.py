"""A project's comment thread and files through the API."""

from typing import Any

from flask import Response, request
from flask_appbuilder.api import BaseApi, expose, permission_name, protect, safe
from flask_babel import gettext

from app.domain.errors import N_, Invalid
from app.models import Comment, FileKind, ProjectFile
from app.queries.project_page import comments_for
from app.services.comment import add_comment
from app.services.file import Upload, add_files, files_for, open_file, remove_file
from app.views.api.common import ApiMixin, answers_refusals, json_body
from app.views.api.schemas import (
    CommentCreateSchema,
    CommentListSchema,
    CommentResultSchema,
    CommentSchema,
    FileListSchema,
    FileSchema,
)
from app.views.downloads import attachment

KINDS = {"project": FileKind.PROJECT, "deliverable": FileKind.DELIVERABLE}


def _comment_json(comment: Comment) -> dict[str, Any]:
    return CommentSchema().dump(comment)


def _file_json(stored: ProjectFile) -> dict[str, Any]:
    data = FileSchema().dump(stored)
    data["kind"] = stored.kind.lower()
    return data


class ProjectThreadSharedApi(ApiMixin, BaseApi):
    """Comments and files of a project, for its organisation and the team."""

    resource_name = "project"
    openapi_spec_tag = "Projects"
    openapi_spec_component_schemas = (
        CommentSchema,
        CommentListSchema,
        CommentResultSchema,
        CommentCreateSchema,
        FileSchema,
        FileListSchema,
    )

    @expose("/<int:pk>/comments", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def comments(self, pk: int) -> Response:
        """Read a project's thread, oldest first; internal notes for the team only.
        ---
        get:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: The thread
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CommentList'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        thread = comments_for(self.caller(), pk)
        return self.response(200, count=len(thread), result=[_comment_json(c) for c in thread])

    @expose("/<int:pk>/comments", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @answers_refusals
    def comment(self, pk: int) -> Response:
        """Post a public comment, or (the team) an internal note.
        ---
        post:
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
                  $ref: '#/components/schemas/CommentCreate'
          responses:
            201:
              description: The comment posted
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/CommentResult'
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
        data = json_body(CommentCreateSchema())
        posted = add_comment(viewer, pk, data["body"], internal=data["internal"])
        return self.response(201, id=posted.id, result=_comment_json(posted))

    @expose("/<int:pk>/files", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def files(self, pk: int) -> Response:
        """List a project's files; an organisation sees deliverables from COMPLETED on.
        ---
        get:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: The files the caller may read
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectFileList'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        found = files_for(self.caller(), pk)
        return self.response(200, count=len(found), result=[_file_json(f) for f in found])

    @expose("/<int:pk>/files", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @answers_refusals
    def upload(self, pk: int) -> Response:
        """Upload one or several files (50 MB each at most).
        ---
        post:
          description: >-
            `kind` is `project` (the default) or `deliverable` (the team's). One file too large
            refuses the whole upload.
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [files]
                  properties:
                    kind:
                      type: string
                      enum: [project, deliverable]
                    files:
                      type: array
                      items:
                        type: string
                        format: binary
          responses:
            201:
              description: The files stored
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/ProjectFileList'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            413:
              description: >-
                The declared length is over the limit of one upload (its body is not read) or
                the form has too many parts; nothing is stored
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message: {type: string}
            422:
              $ref: '#/components/responses/422'
        """
        viewer = self.caller()
        kind = KINDS.get(request.form.get("kind") or "project")
        if kind is None:
            raise Invalid(N_("Choose the kind of file: project or deliverable."))
        uploads = [
            Upload(f.filename or "", f.stream, f.mimetype)
            for f in request.files.getlist("files")
            if f.filename
        ]
        stored = add_files(viewer, pk, kind, uploads)
        return self.response(201, count=len(stored), result=[_file_json(f) for f in stored])

    @expose("/<int:pk>/files/<int:file_id>/download", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @answers_refusals
    def download(self, pk: int, file_id: int) -> Response:
        """Download a file, always as an attachment.
        ---
        get:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          - in: path
            name: file_id
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: >-
                The file's bytes, typed by the file's name (text/plain for G-code, model/step
                for STEP, application/octet-stream for a kind the product does not know)
              content:
                "*/*":
                  schema: {type: string, format: binary}
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        return attachment(*open_file(self.caller(), pk, file_id))

    @expose("/<int:pk>/files/<int:file_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    @answers_refusals
    def remove(self, pk: int, file_id: int) -> Response:
        """Remove a file, from the storage too.
        ---
        delete:
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          - in: path
            name: file_id
            required: true
            schema: {type: integer, minimum: 1, maximum: 2147483647}
          responses:
            200:
              description: Removed
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
        remove_file(self.caller(), pk, file_id)
        return self.response(200, message=gettext("File removed."))
