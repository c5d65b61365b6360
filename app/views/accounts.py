"""The security screens of the back office: users, roles, permissions and passwords.

FAB's screens are subclassed under their own names, so their endpoints and permission names stay
FAB's. None of them keeps FAB's actions nor its upload download route: they serve nothing here,
and FAB 5.3 answers 500 on them. The users screen writes through the account service, which
holds the rules on roles, organisations and emails.
"""

from typing import Any

from flask import abort, flash, g, redirect, request, session, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.views import PermissionModelView as FabPermissionModelView
from flask_appbuilder.security.views import (
    PermissionViewModelView as FabPermissionViewModelView,
)
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import RoleModelView as FabRoleModelView
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from flask_appbuilder.security.views import UserGroupModelView as FabUserGroupModelView
from flask_appbuilder.security.views import ViewMenuModelView as FabViewMenuModelView
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext, lazy_gettext
from wtforms import PasswordField, SelectField, StringField, validators
from wtforms.validators import EqualTo

from app.domain.errors import DomainError, NotFound
from app.domain.passwords import MAX_LENGTH
from app.extensions import limiter
from app.queries.records import organisations
from app.services.account import UserInput, save_user, set_password
from app.services.sessions import SESSION_KEY
from app.views.errors import flash_error
from app.views.formatting import EMPTY, local_datetime

# FAB's ModelView routes that serve nothing here.
UNUSED_ROUTES = frozenset({"action", "action_post", "download"})
LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]
# Per address: a person changes their password now and then; a guesser needs many tries.
OWN_CHANGE_LIMIT = "10 per hour"
PASSWORD_ADVICE = lazy_gettext(
    "At least 12 characters, hard to guess: a few unrelated words make a strong password."
)


class WithoutActions:
    """Drop FAB's @action items (with their permissions) and the routes that serve them."""

    exclude_route_methods = UNUSED_ROUTES

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dropped = set(self.actions)
        self.base_permissions = [name for name in self.base_permissions if name not in dropped]
        self.actions = {}


class PermissionModelView(WithoutActions, FabPermissionModelView):
    include_route_methods = {"list"}


class ViewMenuModelView(WithoutActions, FabViewMenuModelView):
    include_route_methods = {"list"}


class PermissionViewModelView(WithoutActions, FabPermissionViewModelView):
    include_route_methods = {"list"}


class RoleModelView(WithoutActions, FabRoleModelView):
    pass


class UserGroupModelView(WithoutActions, FabUserGroupModelView):
    pass


def _organisation_field() -> QuerySelectField:
    return QuerySelectField(
        lazy_gettext("Organisation"),
        query_func=organisations,
        get_pk_func=lambda organisation: organisation.id,
        get_label="name",
        allow_blank=True,
        blank_text=lazy_gettext("None (CNC Pulse staff)"),
        widget=Select2Widget(),
        description=lazy_gettext("Required for OrgAdmin and OrgMember; none for Admin and Team."),
    )


def _user_fields() -> dict[str, Any]:
    return {
        # A plain field: the service tells a taken email in words of ours.
        "email": StringField(
            lazy_gettext("Email (login)"),
            validators=[validators.DataRequired()],
            widget=BS3TextFieldWidget(),
        ),
        "organisation": _organisation_field(),
        "language": SelectField(
            lazy_gettext("Language"), choices=LANGUAGE_CHOICES, widget=Select2Widget()
        ),
    }


class UserDBModelView(WithoutActions, FabUserDBModelView):
    """Admin's users: roles and organisation set together, through the account service.

    Accounts are deactivated rather than deleted: comments and history keep their author.
    """

    exclude_route_methods = UNUSED_ROUTES | {"delete"}
    show_template = "admin/user_show.html"

    list_title = lazy_gettext("Users")
    show_title = lazy_gettext("User")
    add_title = lazy_gettext("Add a user")
    edit_title = lazy_gettext("Edit a user")
    list_columns = [
        "first_name",
        "last_name",
        "email",
        "roles",
        "organisation",
        "active",
        "last_login",
    ]
    order_columns = ["first_name", "last_name", "email", "active", "last_login"]
    search_columns = ["first_name", "last_name", "email", "active"]
    show_fieldsets = [
        (
            lazy_gettext("Account"),
            {"fields": ["email", "active", "roles", "organisation", "language"]},
        ),
        (lazy_gettext("Person"), {"fields": ["first_name", "last_name"]}),
        (
            lazy_gettext("Activity"),
            {"fields": ["last_login", "login_count", "fail_login_count", "created_on"]},
        ),
    ]
    add_columns = [
        "first_name",
        "last_name",
        "email",
        "roles",
        "organisation",
        "language",
        "active",
        "password",
        "conf_password",
    ]
    edit_columns = [
        "first_name",
        "last_name",
        "email",
        "roles",
        "organisation",
        "language",
        "active",
    ]
    add_form_extra_fields = {
        **_user_fields(),
        "password": PasswordField(
            lazy_gettext("Password"),
            description=PASSWORD_ADVICE,
            validators=[validators.DataRequired()],
            render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
        ),
        "conf_password": PasswordField(
            lazy_gettext("Confirm the password"),
            validators=[
                validators.DataRequired(),
                EqualTo("password", message=lazy_gettext("The two passwords differ.")),
            ],
        ),
    }
    edit_form_extra_fields = _user_fields()
    label_columns = {
        "first_name": lazy_gettext("First name"),
        "last_name": lazy_gettext("Last name"),
        "email": lazy_gettext("Email (login)"),
        "roles": lazy_gettext("Roles"),
        "organisation": lazy_gettext("Organisation"),
        "language": lazy_gettext("Language"),
        "active": lazy_gettext("Active"),
        "last_login": lazy_gettext("Last login"),
        "login_count": lazy_gettext("Logins"),
        "fail_login_count": lazy_gettext("Failed logins"),
        "created_on": lazy_gettext("Created"),
        "password": lazy_gettext("Password"),
        "conf_password": lazy_gettext("Confirm the password"),
    }
    description_columns = {
        "roles": lazy_gettext(
            "Admin or Team for CNC Pulse staff; OrgAdmin or OrgMember for an organisation user."
        ),
        "active": lazy_gettext("An inactive account can no longer log in."),
    }
    validators_columns: dict[str, list[Any]] = {}
    formatters_columns = {
        "roles": lambda roles: ", ".join(role.name for role in roles) or EMPTY,
        "organisation": lambda organisation: organisation.name if organisation else EMPTY,
        "active": lambda active: gettext("Yes") if active else gettext("No"),
        "last_login": local_datetime,
        "created_on": local_datetime,
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk: Any) -> Any:
        """Show an account, with links to edit it and to set its password."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        widgets = self._get_show_widget(pk, item, actions={})
        self.update_redirect()
        return self.render_template(
            self.show_template, pk=item.id, title=self.show_title, widgets=widgets
        )

    @expose("/userinfo/")
    @has_access
    def userinfo(self) -> Any:
        """Send every user to their account page, the one page of their own account."""
        return redirect(url_for("AccountView.index"))

    def _add(self) -> Any:
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        form = self.add_form.refresh()
        if form.is_submitted():
            if form.validate() and self._saved(None, form, form.password.data):
                flash(gettext("User created."), "success")
                return None
        else:
            self.update_redirect()
        return self._get_add_widget(form=form)

    def _edit(self, pk: Any) -> Any:
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method != "POST":
            form = self.edit_form.refresh(obj=item)
            self.update_redirect()
            return self._get_edit_widget(form=form)
        form = self.edit_form.refresh()
        if form.validate() and self._saved(item.id, form, None):
            flash(gettext("User saved."), "success")
            return None
        return self._get_edit_widget(form=form)

    def _saved(self, user_id: int | None, form: Any, password: str | None) -> bool:
        organisation = form.organisation.data
        data = UserInput(
            email=form.email.data or "",
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            roles=tuple(role.name for role in form.roles.data or ()),
            organisation_id=organisation.id if organisation else None,
            language=form.language.data or "fr",
            active=bool(form.active.data),
        )
        try:
            save_user(user_id, data, password)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash_error(error)
            return False
        return True


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            lazy_gettext("New password"),
            description=PASSWORD_ADVICE,
            validators=[validators.DataRequired()],
            widget=BS3PasswordFieldWidget(),
            # Password managers offer to generate and save a new password.
            render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
        ),
        PasswordField(
            lazy_gettext("Confirm the password"),
            validators=[
                validators.DataRequired(),
                EqualTo("password", message=lazy_gettext("The two passwords differ.")),
            ],
            widget=BS3PasswordFieldWidget(),
            render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
        ),
    )


class SetPasswordForm(DynamicForm):
    """A new password, typed twice; the account service judges it."""

    password, conf_password = _new_password_fields()


class ChangeMyPasswordForm(DynamicForm):
    """One's present password, then the new one typed twice."""

    current_password = PasswordField(
        lazy_gettext("Current password"),
        validators=[validators.DataRequired()],
        widget=BS3PasswordFieldWidget(),
        render_kw={"autocomplete": "current-password"},
    )
    password, conf_password = _new_password_fields()


class PasswordFormMixin:
    """Set a password through the account service; a refusal shows the form again."""

    form_title = lazy_gettext("Change the password")

    def _set(
        self,
        user_id: Any,
        form: Any,
        current_password: str | None = None,
        keep_session: str | None = None,
    ) -> Any:
        try:
            set_password(
                int(user_id), form.password.data, current_password, keep_session=keep_session
            )
        except (TypeError, ValueError, NotFound):
            abort(404)
        except DomainError as error:
            flash_error(error)
            widgets = self._get_edit_widget(form=form)
            page = self.render_template(
                self.form_template,
                title=self.form_title,
                widgets=widgets,
                appbuilder=self.appbuilder,
            )
            return page, 422
        flash(gettext("Password changed."), "success")
        return None


class ResetPasswordView(PasswordFormMixin, FabResetPasswordView):
    """Admin sets someone's password: ?pk=<user id>."""

    form = SetPasswordForm

    def form_post(self, form: Any) -> Any:
        return self._set(request.args.get("pk"), form) or redirect(
            url_for("UserDBModelView.show", pk=request.args.get("pk"))
        )


class ResetMyPasswordView(PasswordFormMixin, FabResetMyPasswordView):
    """Every user changes their own password, giving the present one first; their other
    sessions end, this one stays."""

    form = ChangeMyPasswordForm

    @expose("/form", methods=["POST"])
    @has_access
    @limiter.limit(OWN_CHANGE_LIMIT)
    def this_form_post(self) -> Any:
        """Check the form; a limit per address slows anyone guessing the present password."""
        return super().this_form_post()

    def form_post(self, form: Any) -> Any:
        return self._set(
            g.user.id,
            form,
            form.current_password.data or "",
            keep_session=session.get(SESSION_KEY),
        )
