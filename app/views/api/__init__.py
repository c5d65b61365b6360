"""The REST API under /api/v1/: projects, their threads and files, and CSV exports."""

from flask_appbuilder import AppBuilder


def register_api(appbuilder: AppBuilder) -> None:
    from app.views.api.export import ExportSharedApi
    from app.views.api.project import ProjectSharedApi
    from app.views.api.thread import ProjectThreadSharedApi

    appbuilder.add_api(ProjectSharedApi)
    appbuilder.add_api(ProjectThreadSharedApi)
    appbuilder.add_api(ExportSharedApi)
