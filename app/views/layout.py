"""What every page's layout (``layout.html``) draws the same way again and again, drawn once.

The navigation bar (its menu, its language menu and its links) is drawn once for each set of
built-in roles and each language; only the user's name is written on each page.

Which entries a user sees depends only on their roles: each entry's ``menu_access`` permission,
and its ``menu_cond`` (the portal's entries are for organisation users, which their role says).
The built-in roles are configuration (:mod:`app.roles`): while the process runs, the menu they
draw in one language at one address never changes. Drawing it checked every entry's permission
and built its address and label again on every page; now each process draws it once.

A user holding a role kept in the database (one made in the roles screen), and a visitor not
signed in, have their bar drawn on every page: such a role's permissions can change at any
time.

The addresses of static files (some twenty style sheets and scripts on every page) are built
once for each address the app is served at.
"""

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, render_template, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.menu import MenuItem
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

MENU_TEMPLATE = "shared/navigation_menu.html"
LANGUAGE_TEMPLATE = "shared/language_menu.html"
# Role sets × languages × addresses the app is served at: a handful. The bound only guards
# against a surprise.
MAX_BARS = 256
# Static files × addresses the app is served at.
MAX_STATIC_URLS = 1024


def _remember(memory: dict[Hashable, Any], bound: int, key: Hashable, value: Any) -> None:
    if len(memory) >= bound:
        memory.clear()
    memory[key] = value


@dataclass(frozen=True)
class NavigationBar:
    """What the navigation bar shows whoever the user is, given their roles and language."""

    home: str
    menu: Markup
    languages: Markup
    profile: str
    logout: str
    login: str


class Navigation:
    """Draw the navigation bar for the signed-in user, from memory when it can."""

    def __init__(self, appbuilder: AppBuilder) -> None:
        self._appbuilder = appbuilder
        self._drawn: dict[Hashable, NavigationBar] = {}
        self._lock = threading.Lock()

    def __call__(self) -> NavigationBar:
        key = self._key()
        if key is None:
            return self.draw()
        bar = self._drawn.get(key)
        if bar is None:
            bar = self.draw()
            with self._lock:
                _remember(self._drawn, MAX_BARS, key, bar)
        return bar

    def draw(self) -> NavigationBar:
        """Draw the bar: the entries the user may see, each one checked; the languages."""
        appbuilder = self._appbuilder
        languages = appbuilder.languages
        current = str(get_locale())
        others = [
            (code, language, appbuilder.get_url_for_locale(code))
            for code, language in languages.items()
            if code != current
        ]
        # Autoescaped templates: what they drew is safe HTML.
        return NavigationBar(
            home=appbuilder.get_url_for_index,
            menu=Markup(render_template(MENU_TEMPLATE, menu=appbuilder.menu)),  # noqa: S704
            languages=Markup(  # noqa: S704
                render_template(LANGUAGE_TEMPLATE, current=languages.get(current), others=others)
            ),
            profile=appbuilder.get_url_for_userinfo,
            logout=appbuilder.get_url_for_logout,
            login=appbuilder.get_url_for_login,
        )

    def is_visible(self, item: MenuItem) -> bool:
        """Tell whether an entry belongs in the user's menu: its condition, then its permission.

        FAB's own navigation checks only the permission, and Admin holds every permission.
        """
        return item.should_render() and self._appbuilder.sm.has_access("menu_access", item.name)

    def _key(self) -> Hashable | None:
        """What the menu depends on, or None when it must be drawn for this request alone."""
        if not current_user.is_authenticated:
            return None
        user = g.user
        builtin = self._appbuilder.sm.builtin_roles
        own = frozenset(role.name for role in user.roles)
        inherited = frozenset(role.name for group in user.groups for role in group.roles)
        if not (own | inherited) <= builtin.keys():
            return None
        return own, inherited, user.is_active, str(get_locale()), request.script_root


class StaticUrls:
    """Build the templates' addresses, those of static files from memory."""

    def __init__(self, app: Flask) -> None:
        self._url_for: Callable[..., str] = app.url_for
        self._static_endpoints = {"static"} | {
            f"{name}.static"
            for name, blueprint in app.blueprints.items()
            if blueprint.has_static_folder
        }
        self._built: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def __call__(self, endpoint: str, /, **values: Any) -> str:
        if endpoint not in self._static_endpoints or values.keys() != {"filename"}:
            return self._url_for(endpoint, **values)
        key = (endpoint, values["filename"], request.script_root, request.host)
        url = self._built.get(key)
        if url is None:
            url = self._url_for(endpoint, **values)
            with self._lock:
                _remember(self._built, MAX_STATIC_URLS, key, url)
        return url


def register_layout(app: Flask, appbuilder: AppBuilder) -> None:
    """Give the layout (``layout.html``) its navigation bar, its entries' check and ``url_for``."""
    navigation = Navigation(appbuilder)
    app.jinja_env.globals["navigation_bar"] = navigation
    app.jinja_env.globals["url_for"] = StaticUrls(app)
    app.jinja_env.filters["is_menu_visible"] = navigation.is_visible
