"""The sign-in form, FAB's own, and the limits it shares with the API login
(:mod:`app.views.api.security`), slowed down for anyone guessing passwords.

Failed sign-ins only are counted, per account name and per address, the form and the API
together; over either limit, or for a locked account, the answer is 429 with the moment to try
again. The answer is the same whether the name belongs to an account or not.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, g, jsonify, make_response, request
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.views import expose
from flask_babel import get_locale, gettext
from flask_limiter import RequestLimit, RouteLimit
from flask_limiter.util import get_remote_address

from app.domain.dates import format_moment
from app.extensions import limiter

log = logging.getLogger(__name__)

ACCOUNT_SCOPE = "sign-in-account"
ADDRESS_SCOPE = "sign-in-address"


def submitted_name() -> str:
    """Return the account name a sign-in request carries: form field or JSON ``username``."""
    if request.is_json:
        payload = request.get_json(silent=True)
        name = payload.get("username") if isinstance(payload, dict) else None
    else:
        name = request.form.get("username")
    return name if isinstance(name, str) else ""


def note_failed_sign_in() -> None:
    """Count this request as a failed sign-in against the limits."""
    g.sign_in_failed = True


def forget_failed_sign_ins() -> None:
    """Clear the failures counted against the account name that just signed in.

    A storage that does not answer leaves them to expire: it must not refuse a right password.
    """
    for counted in limiter.current_limits:
        if ACCOUNT_SCOPE in counted.request_args:
            try:
                counted.limiter.clear(counted.limit, *counted.request_args)
            except Exception:  # the storage's own errors: Redis, or another backend's
                log.warning("Could not clear the failed sign-ins of an account", exc_info=True)


def _failed(response: Response) -> bool:
    return bool(g.get("sign_in_failed"))


def _account_key() -> str:
    return "account:" + submitted_name().strip().lower()


def account_limit() -> str:
    """Return the limit per account name: the lock's own rule, so any name answers alike."""
    config = current_app.config
    return f"{config['SIGN_IN_LOCK_AFTER']} per {config['SIGN_IN_LOCK_MINUTES']} minutes"


def _address_key() -> str:
    return "address:" + get_remote_address()


def retry_message(until: datetime) -> str:
    """Say when to try again, to the minute (rounded up) in the display time zone."""
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    language = str(get_locale() or "fr")
    return gettext(
        "Too many failed sign-in attempts. Try again after %(moment)s.",
        moment=format_moment(shown, language, zone),
    )


def _refused(response: Response, until: datetime) -> Response:
    response.status_code = 429
    wait = until - datetime.now(UTC)
    response.headers["Retry-After"] = str(max(1, ceil(wait.total_seconds())))
    response.headers["Cache-Control"] = "no-store"
    return response


def _end_of(limit: RequestLimit) -> datetime:
    return datetime.fromtimestamp(limit.reset_at, UTC)


def _form_over_limit(limit: RequestLimit) -> Response:
    return current_app.appbuilder.sm.auth_view.too_many_attempts(_end_of(limit))


def api_over_limit(limit: RequestLimit) -> Response:
    return too_many_attempts_json(_end_of(limit))


def too_many_attempts_json(until: datetime) -> Response:
    """Answer the API login with 429 and, in JSON, when to try again."""
    return _refused(jsonify(message=retry_message(until)), until)


def failed_sign_in_limits(
    on_breach: Callable[[RequestLimit], Response],
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Limit a sign-in view's failures per account name and per address, shared by both views."""

    def limits(scope: str, limit: Callable[[], str], key_func: Callable[[], str]) -> RouteLimit:
        return limiter.shared_limit(
            limit,
            scope=scope,
            key_func=key_func,
            methods=["POST"],
            # A limit the operator sets for every route still holds here too.
            override_defaults=False,
            deduct_when=_failed,
            on_breach=on_breach,
        )

    per_account = limits(ACCOUNT_SCOPE, account_limit, _account_key)
    per_address = limits(
        ADDRESS_SCOPE, lambda: current_app.config["SIGN_IN_ADDRESS_LIMIT"], _address_key
    )

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        return per_account(per_address(view))

    return decorate


class AuthDBView(FabAuthDBView):
    """FAB's sign-in form, under FAB's name, refusing locked accounts and over-limit guessing."""

    @expose("/login/", methods=["GET", "POST"])
    @failed_sign_in_limits(_form_over_limit)
    def login(self) -> Response:
        if request.method == "POST":
            until = self.appbuilder.sm.lock_of(submitted_name())
            if until is not None:
                return self.too_many_attempts(until)
        return super().login()

    def too_many_attempts(self, until: datetime) -> Response:
        """Show the sign-in form again, with 429 and when to try again."""
        flash(retry_message(until), "danger")
        page = self.render_template(
            self.login_template, title=self.title, form=LoginForm_db(), appbuilder=self.appbuilder
        )
        return _refused(make_response(page), until)
