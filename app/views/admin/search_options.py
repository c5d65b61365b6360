"""The choices of the team list's search form: statuses, priorities and organisations.

Written here rather than in the template: the form offers every organisation, some 200 options,
on every page of the team's most visited screen.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import get_translations
from markupsafe import Markup, escape
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.domain.workflow import Priority, ProjectStatus
from app.extensions import db
from app.models import Organisation
from app.tenancy import staff_read


def _option(value: object, label: str, selected: bool = False) -> str:
    marked = " selected" if selected else ""
    return f'<option value="{escape(value)}"{marked}>{escape(label)}</option>'


def choice_options(choices: Iterable[tuple[object, str]], chosen: str) -> Markup:
    """Write a select's options, the one whose value is ``chosen`` (as the URL has it) selected."""
    return Markup(  # noqa: S704 - each value and label is escaped by _option
        "".join(_option(value, label, str(value) == chosen) for value, label in choices)
    )


@dataclass(frozen=True)
class DrawnOptions:
    """A select's options, each written once; one of them is marked as chosen on each page."""

    options: tuple[tuple[str, str], ...]
    written: tuple[str, ...]

    def markup(self, chosen: str) -> Markup:
        parts = self.written
        for position, (value, label) in enumerate(self.options):
            if value == chosen:
                parts = (*parts[:position], _option(value, label, True), *parts[position + 1 :])
                break
        return Markup("".join(parts))  # noqa: S704 - each value and label is escaped by _option


@lru_cache(maxsize=8)
def _draw_organisations(directory: str) -> DrawnOptions:
    options = tuple((str(id_), name) for id_, name in json.loads(directory))
    return DrawnOptions(options, tuple(_option(value, label) for value, label in options))


@lru_cache(maxsize=4)
def _directory(dialect: str) -> Select[tuple[str | None]]:
    """Select every organisation's id and name, by name, as one JSON text."""
    if dialect == "postgresql":
        pair = func.json_build_array(Organisation.id, Organisation.name)
        return select(cast(func.json_agg(aggregate_order_by(pair, Organisation.name)), Text))
    ordered = select(Organisation.id, Organisation.name).order_by(Organisation.name).subquery()
    return select(func.json_group_array(func.json_array(ordered.c.id, ordered.c.name)))


def organisation_options(chosen: str) -> Markup:
    """Write the organisations as options, by name, the one whose id is ``chosen`` selected.

    The database sends them as one text, and they are written again only when that text
    changes: a name, an organisation added or removed. A page pays one short statement.
    """
    statement = _directory(db.session.get_bind().dialect.name)
    directory = staff_read(db.session, statement).scalar() or "[]"
    return _draw_organisations(directory).markup(chosen)


def labelled_options(members: Iterable[ProjectStatus | Priority], chosen: str) -> Markup:
    """Write the statuses or the priorities as options, in their order, in the viewer's language."""
    translate = get_translations().gettext
    return choice_options(((member.value, translate(member.label)) for member in members), chosen)
