"""The navigation bar every page's layout (``layout.html``) draws, and which entries it shows."""

from dataclasses import dataclass

from flask import Flask, render_template, url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.menu import MenuItem
from flask_babel import get_locale
from markupsafe import Markup

MENU_TEMPLATE = "shared/navigation_menu.html"
LANGUAGE_TEMPLATE = "shared/language_menu.html"


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
    """Draw the navigation bar for the signed-in user."""

    def __init__(self, appbuilder: AppBuilder) -> None:
        self._appbuilder = appbuilder

    def __call__(self) -> NavigationBar:
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
            profile=url_for("AccountView.index"),
            logout=appbuilder.get_url_for_logout,
            login=appbuilder.get_url_for_login,
        )

    def is_visible(self, item: MenuItem) -> bool:
        """Tell whether an entry belongs in the user's menu: its condition, then its permission.

        FAB's own navigation checks only the permission, and Admin holds every permission.
        """
        return item.should_render() and self._appbuilder.sm.has_access("menu_access", item.name)


def register_layout(app: Flask, appbuilder: AppBuilder) -> None:
    """Give the layout (``layout.html``) its navigation bar and its entries' check."""
    navigation = Navigation(appbuilder)
    app.jinja_env.globals["navigation_bar"] = navigation
    app.jinja_env.filters["is_menu_visible"] = navigation.is_visible
