"""Refuse, before any view runs, the input no view can use: a clear 400 or 404, never a 500.

One place for what every route shares: an id the database's integers cannot hold, a NUL
character (PostgreSQL stores none), FAB's list arguments out of range, and rison or JSON nested
deeper than any caller needs. Browser pages get an HTML error page, the API a JSON message.
"""

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, abort, current_app, jsonify, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.models.filters import FilterRelation
from flask_appbuilder.models.sqla.filters import (
    FilterContains,
    FilterEndsWith,
    FilterNotContains,
    FilterNotEndsWith,
    FilterNotStartsWith,
    FilterStartsWith,
)
from flask_babel import gettext
from sqlalchemy import Integer, inspect
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from app.queries.project_search import MAX_PAGE_SIZE
from app.queries.search_arguments import MAX_ID, MAX_PAGE
from app.views.api.common import ApiMixin

# Deeper than any list query or JSON body of the API; Python's parsers recurse once per level.
MAX_NESTING = 32
_WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")
# FAB's list arguments, as its urltools read them (``re.findall``: anywhere in the name).
_PAGE = re.compile(r"page_(.*)")
_PAGE_SIZE = re.compile(r"psize_(.*)")
_ORDER = re.compile(r"_oc_(.*)")
_FILTER = re.compile(r"_flt_(\d)_(.*)")
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
# FAB's filters matching text with LIKE, on its own lists (users, email log, …).
LIKE_FILTERS = (
    FilterStartsWith,
    FilterEndsWith,
    FilterContains,
    FilterNotStartsWith,
    FilterNotEndsWith,
    FilterNotContains,
)


class IdConverter(IntegerConverter):
    """``<int:…>``: at most ten digits, so a longer number matches no route (404).

    A ten-digit number past ``MAX_ID`` is matched, then refused by ``refuse_unusable_input``:
    refused here, Werkzeug would answer 405 wherever the same path takes another method.
    """

    regex = r"\d{1,10}"


def register_input_guards(app: Flask) -> None:
    """Bound ``<int:…>`` in every route, and check each request before any other hook runs.

    Call it before any route is added: a rule takes its converter when it is added.
    """
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unusable_input)


def refuse_unusable_input() -> Response | None:
    """Answer 400 (404 for an id that cannot exist, 422 for our API's JSON bodies) before a view
    sees unusable input."""
    if _holds_nul(_request_texts()):
        return refuse(gettext("The request holds a NUL character, which no field may contain."))
    if any(_past_ids(value) for value in (request.view_args or {}).values()):
        return refuse(gettext("Not found."), 404)
    view = getattr(current_app.view_functions.get(request.endpoint or ""), "__self__", None)
    if isinstance(view, BaseApi) and _nesting(request.args.get("q", "")) > MAX_NESTING:
        return refuse(gettext("The query is nested too deeply."))
    if request.is_json:
        problem = _json_problem()
        if problem:
            # Our API answers a body it cannot take as invalid input (422), as its document says.
            return refuse(problem, 422 if isinstance(view, ApiMixin) else 400)
        if request.endpoint == "SecurityApi.login" and not _names_a_provider():
            return refuse(gettext('Say how to log in: "provider": "db".'))
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None:
        return None
    if not _pk_can_exist(datamodel) or not _chart_can_exist(view):
        return refuse(gettext("Not found."), 404)
    problem = _list_argument_problem(view)
    return refuse(problem) if problem else None


def refuse(message: str, status: int = 400) -> Response:
    """Answer the API with a JSON message, a browser with an error page saying ``message``."""
    if request.path.startswith("/api/"):
        return jsonify(message=message), status  # type: ignore[return-value]
    abort(status, description=message)


def _past_ids(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > MAX_ID


def _request_texts() -> Iterator[Any]:
    yield request.path
    for name, value in request.args.items(multi=True):
        yield name
        yield value
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            yield name
            yield value
        # An upload's name is only shown, cleaned: app.services.file strips what it cannot keep.
        yield from request.files


def _holds_nul(texts: Iterator[Any]) -> bool:
    return any(isinstance(text, str) and "\x00" in text for text in texts)


def _json_problem() -> str | None:
    """Say what makes the JSON body unusable: nested too deeply, or holding a NUL character.

    The body is read by the JSON parser (C, fast on large bodies), then walked once.
    """
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        return gettext("The JSON body is nested too deeply.")
    deepest, texts = _walk_json(data)
    if deepest > MAX_NESTING:
        return gettext("The JSON body is nested too deeply.")
    if _holds_nul(iter(texts)):
        return gettext("The request holds a NUL character, which no field may contain.")
    return None


def _names_a_provider() -> bool:
    # FAB's token login reads "provider" without requiring it: a body without one is a 500 there.
    data = request.get_json(silent=True)
    return not isinstance(data, dict) or isinstance(data.get("provider"), str)


def _walk_json(data: Any) -> tuple[int, list[str]]:
    """Return how deeply a parsed JSON value nests, and every string in it, keys included."""
    deepest, texts = 0, []
    pending = [(data, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_NESTING:
                break
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending += [(child, depth + 1) for child in children]
    return deepest, texts


def _nesting(text: str) -> int:
    """Return how deeply brackets nest in rison or JSON text, quoted strings left out.

    Rison quotes with ``'`` and escapes with ``!``; JSON quotes with ``"`` and escapes with ``\\``.
    """
    depth = deepest = 0
    quote = escape = None
    escaped = False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == escape:
                escaped = True
            elif char == quote:
                quote = None
        elif char == "'":
            quote, escape = "'", "!"
        elif char == '"':
            quote, escape = '"', "\\"
        elif char in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _CLOSING:
            depth -= 1
    return deepest


def _pk_can_exist(datamodel: Any) -> bool:
    """Tell whether FAB's ``<pk>`` (a string in its routes) can name a row of an integer key."""
    pk = (request.view_args or {}).get("pk")
    if not isinstance(pk, str) or not _has_integer_key(datamodel):
        return True
    return _WHOLE_NUMBER.fullmatch(pk) is not None and int(pk) <= MAX_ID


def _chart_can_exist(view: Any) -> bool:
    """Tell whether FAB's chart ``<group_by>`` (a string) is the index of one of its groupings."""
    group_by = (request.view_args or {}).get("group_by")
    if not isinstance(group_by, str):
        return True
    count = len(getattr(view, "definitions", None) or ())
    return _WHOLE_NUMBER.fullmatch(group_by) is not None and int(group_by) < count


def _has_integer_key(datamodel: Any) -> bool:
    model = getattr(datamodel, "obj", None)
    if model is None:
        return False
    key = inspect(model).primary_key
    return len(key) == 1 and isinstance(key[0].type, Integer)


def _list_argument_problem(view: Any) -> str | None:
    """Check FAB's list arguments (pages, page sizes, order, filters) as FAB will read them."""
    name = type(view).__name__
    for argument, value in request.args.items(multi=True):
        if _PAGE.search(argument) and not _in_range(value, 0, MAX_PAGE):
            return gettext("The page must be a number from 0 to %(last)s.", last=MAX_PAGE)
        if _PAGE_SIZE.search(argument) and not _in_range(value, 1, MAX_PAGE_SIZE):
            return gettext(
                "The page size must be a number from 1 to %(largest)s.", largest=MAX_PAGE_SIZE
            )
    order = request.args.get(f"_oc_{name}")
    if order is not None and request.args.get(f"_od_{name}") in ("asc", "desc"):
        # FAB lists a relation among the orders, but cannot sort by one.
        orders = getattr(view, "order_columns", None) or ()
        if order not in orders or view.datamodel.is_relation(order):
            return gettext("The list cannot be sorted by that column.")
    return _filter_problem(view)


def _filter_problem(view: Any) -> str | None:
    """FAB reads ``_flt_<index>_<column>`` as the index-th filter of a searchable column."""
    filters = getattr(view, "_filters", None)
    if filters is None:
        return None
    searchable = filters.get_search_filters()
    for argument in request.args:
        match = _FILTER.fullmatch(argument)
        if not match or match[2] not in searchable:
            continue
        choices = searchable[match[2]]
        if int(match[1]) >= len(choices):
            return gettext("The list cannot be filtered that way.")
        numeric = isinstance(choices[int(match[1])], FilterRelation) or view.datamodel.is_integer(
            match[2]
        )
        like = isinstance(choices[int(match[1])], LIKE_FILTERS)
        for value in request.args.getlist(argument):
            if numeric and value and not _in_range(value, 0, MAX_ID):
                return gettext("The list cannot be filtered that way.")
            # FAB puts the text into a LIKE pattern as it is: PostgreSQL refuses a pattern
            # ending with its escape character.
            if like and value.endswith("\\"):
                return gettext("A search cannot end with a backslash.")
    return None


def _in_range(text: str, lowest: int, highest: int) -> bool:
    text = text.strip()
    return _WHOLE_NUMBER.fullmatch(text) is not None and lowest <= int(text) <= highest
