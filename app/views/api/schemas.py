"""The API's JSON shapes: what it answers, and what it accepts, for the OpenAPI document too."""

from marshmallow import Schema, fields, validate

from app.domain.money import MAX_AMOUNT_CENTS
from app.domain.workflow import Priority, ProjectStatus
from app.services.project import LANGUAGES
from app.views.api.common import MAX_ID

_ID = validate.Range(min=1, max=MAX_ID)
_CENTS = validate.Range(min=0, max=MAX_AMOUNT_CENTS)


class ServiceSchema(Schema):
    __component_name__ = "RequestedService"

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ProjectSchema(Schema):
    """A project as the caller may see it; counts leave internal notes out for organisations."""

    __component_name__ = "Project"

    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    client_name = fields.String(required=True)
    client_email = fields.String(required=True)
    client_phone = fields.String(required=True, allow_none=True)
    client_address = fields.String(required=True, allow_none=True)
    client_language = fields.String(required=True)
    services = fields.List(fields.Nested(ServiceSchema), required=True)
    deadline = fields.Date(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ProjectStatus]))
    priority = fields.String(required=True, validate=validate.OneOf([p.value for p in Priority]))
    estimated_price_cents = fields.Integer(required=True, allow_none=True)
    final_price_cents = fields.Integer(required=True, allow_none=True)
    currency = fields.String(required=True)
    organisation_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    paid_at = fields.DateTime(required=True, allow_none=True)
    file_count = fields.Integer(required=True)
    comment_count = fields.Integer(required=True)


class ProjectResultSchema(Schema):
    __component_name__ = "ProjectResult"

    id = fields.Integer(required=True)
    result = fields.Nested(ProjectSchema, required=True)


class ProjectListSchema(Schema):
    __component_name__ = "ProjectList"

    count = fields.Integer(required=True)
    ids = fields.List(fields.Integer(), required=True)
    result = fields.List(fields.Nested(ProjectSchema), required=True)


class _ProjectFieldsSchema(Schema):
    client_name = fields.String(validate=validate.Length(max=200))
    client_email = fields.String(validate=validate.Length(max=320))
    client_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    client_address = fields.String(allow_none=True, validate=validate.Length(max=1000))
    client_language = fields.String(validate=validate.OneOf(LANGUAGES))
    title = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=20000))
    deadline = fields.Date(allow_none=True)
    service_ids = fields.List(fields.Integer(strict=True, validate=_ID))


class ProjectCreateSchema(_ProjectFieldsSchema):
    """A new project; the team names its organisation, an organisation user may leave it out."""

    __component_name__ = "ProjectCreate"

    client_name = fields.String(required=True, validate=validate.Length(max=200))
    client_email = fields.String(required=True, validate=validate.Length(max=320))
    title = fields.String(required=True, validate=validate.Length(max=200))
    organisation_id = fields.Integer(strict=True, validate=_ID)


class ProjectUpdateSchema(_ProjectFieldsSchema):
    """Changes to a project; priority and prices are the team's, and refused to anyone else."""

    __component_name__ = "ProjectUpdate"

    priority = fields.String(validate=validate.OneOf([p.value for p in Priority]))
    estimated_price_cents = fields.Integer(strict=True, validate=_CENTS)
    final_price_cents = fields.Integer(strict=True, validate=_CENTS)


class StatusChangeSchema(Schema):
    __component_name__ = "StatusChange"

    status = fields.String(required=True, validate=validate.OneOf([s.value for s in ProjectStatus]))
    note = fields.String(allow_none=True, validate=validate.Length(max=10000))


class CommentSchema(Schema):
    __component_name__ = "Comment"

    id = fields.Integer(required=True)
    author_name = fields.String(required=True)
    body = fields.String(required=True)
    internal = fields.Boolean(required=True, attribute="is_internal")
    created_at = fields.DateTime(required=True)


class CommentListSchema(Schema):
    __component_name__ = "CommentList"

    count = fields.Integer(required=True)
    result = fields.List(fields.Nested(CommentSchema), required=True)


class CommentResultSchema(Schema):
    __component_name__ = "CommentResult"

    id = fields.Integer(required=True)
    result = fields.Nested(CommentSchema, required=True)


class CommentCreateSchema(Schema):
    __component_name__ = "CommentCreate"

    body = fields.String(required=True, validate=validate.Length(max=20000))
    internal = fields.Boolean(load_default=False)


class FileSchema(Schema):
    __component_name__ = "ProjectFile"

    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["project", "deliverable"]))
    name = fields.String(required=True, attribute="original_name")
    size_bytes = fields.Integer(required=True)
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class FileListSchema(Schema):
    __component_name__ = "ProjectFileList"

    count = fields.Integer(required=True)
    result = fields.List(fields.Nested(FileSchema), required=True)


class MessageSchema(Schema):
    __component_name__ = "Message"

    message = fields.String(required=True)
