"""Write rows as CSV for spreadsheets and accounting software, row by row, safely.

Two dialects. Standard CSV is for software: comma, dot decimal, UTF-8, codes (``PAID``,
``TRANSFER``), ISO dates and UTC times. French Excel is for people: semicolon, decimal comma,
UTF-8 with a byte order mark (which Excel needs to read UTF-8), French labels instead of codes,
``25/11/2026`` days and ``25/11/2026 10:30`` times in the display time zone. Every text cell that
a spreadsheet would read as a formula is neutralised; amounts, whole numbers and dates are
written by this module itself, so they are never text from a user.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from operator import call as _apply
from types import MappingProxyType
from typing import Any

from app.domain.dates import BUSINESS_TIMEZONE, format_day, format_moment
from app.domain.errors import N_, Invalid
from app.domain.payment import PaymentMethod
from app.domain.workflow import Priority, ProjectStatus

# What makes a spreadsheet evaluate a cell (OWASP "CSV injection"); tab and carriage return are
# stripped by some importers, revealing the character after them.
FORMULA_MARKS = ("=", "+", "-", "@", "\t", "\r")
# Written before a neutralised cell: spreadsheets show the text as typed, without evaluating it.
NEUTRALISER = "'"
# Bytes handed to the web server at a time: small enough for constant memory, big enough to be
# cheap.
CHUNK_CHARACTERS = 64 * 1024


class CsvDialect(StrEnum):
    STANDARD = "standard"
    EXCEL_FR = "excel-fr"

    @property
    def file_suffix(self) -> str:
        """Return what the file name carries before ``.csv``: nothing for standard CSV."""
        return "" if self is CsvDialect.STANDARD else f"-{self.value}"


@dataclass(frozen=True)
class DialectRules:
    delimiter: str
    decimal_mark: str
    byte_order_mark: bool
    # The language of labels and dates: None keeps codes, ISO dates and UTC times.
    language: str | None = None


RULES = {
    CsvDialect.STANDARD: DialectRules(delimiter=",", decimal_mark=".", byte_order_mark=False),
    CsvDialect.EXCEL_FR: DialectRules(
        delimiter=";", decimal_mark=",", byte_order_mark=True, language="fr"
    ),
}


def file_name(stem: str, dialect: CsvDialect) -> str:
    """Return the export's file name: ``journal-….csv``, ``journal-…-excel-fr.csv``."""
    return f"{stem}{dialect.file_suffix}.csv"


def parse_dialect(value: str | None) -> CsvDialect:
    """Read the dialect a person chose; standard CSV when none is given.

    :raise Invalid: for an unknown dialect.
    """
    if not value:
        return CsvDialect.STANDARD
    try:
        return CsvDialect(value)
    except ValueError:
        raise Invalid(
            N_("Choose the CSV format: standard or French Excel (%(choices)s)."),
            choices=", ".join(d.value for d in CsvDialect),
        ) from None


def neutralise(text: str) -> str:
    """Return text a spreadsheet shows as typed, never evaluates as a formula."""
    return NEUTRALISER + text if text.startswith(FORMULA_MARKS) else text


def format_amount(cents: int, decimal_mark: str) -> str:
    """Write cents as ``-1234.56`` (or ``-1234,56``): no grouping, always two decimals."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}{decimal_mark}{fraction:02d}"


class Column(StrEnum):
    """What every value of a column is, so the whole column is written one way.

    ``None`` is an empty cell in every column.
    """

    TEXT = "text"
    MONEY = "money"  # integer cents
    INTEGER = "integer"  # a whole number, or a flag written 1 or 0
    DATE = "date"  # ISO 8601, or as the dialect's language writes a day
    DATETIME = "datetime"  # aware; in UTC, ISO 8601 with a Z, or local as the language writes it
    # Codes: written as they are, or as the label of their code in the dialect's language.
    PROJECT_STATUS = "project-status"
    PRIORITY = "priority"
    PAYMENT_METHOD = "payment-method"
    JOURNAL_STATUS = "journal-status"  # a payment's status, or REFUND for a refund's line


# The status of a journal line: a payment's (app.models.PaymentStatus), or a refund's.
JOURNAL_STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "SUCCEEDED": N_("Paid"),
        "PARTIALLY_REFUNDED": N_("Partially refunded"),
        "REFUNDED": N_("Refunded"),
        "REFUND": N_("Refund"),
    }
)

# The English msgid of each code, for the columns that hold codes; the labels are the ones the
# screens show, defined once with their enum.
CODE_LABELS: Mapping[Column, Mapping[str, str]] = MappingProxyType(
    {
        Column.PROJECT_STATUS: {status.value: status.label for status in ProjectStatus},
        Column.PRIORITY: {priority.value: priority.label for priority in Priority},
        Column.PAYMENT_METHOD: {method.value: method.label for method in PaymentMethod},
        Column.JOURNAL_STATUS: JOURNAL_STATUS_LABELS,
    }
)

Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class Localisation:
    """What a dialect with a language needs: how a label is translated, where moments are placed."""

    translate: Callable[[str], str] = str
    zone: tzinfo = BUSINESS_TIMEZONE

    def labels(self, column: Column) -> dict[str, str]:
        """Return each code of the column with its translated label, translated once."""
        return {code: self.translate(msgid) for code, msgid in CODE_LABELS[column].items()}


def column_formatter(
    column: Column, rules: DialectRules, localisation: Localisation | None = None
) -> Formatter:
    """Return the function that writes the values of one column."""
    if column is Column.MONEY:
        mark = rules.decimal_mark

        def money(cents: int | None) -> str:
            return "" if cents is None else format_amount(cents, mark)

        return money
    language = rules.language
    if language is None:
        return _FORMATTERS.get(column, _text)
    local = localisation or Localisation()
    if column in CODE_LABELS:
        labels = local.labels(column)

        def label(code: object) -> str:
            if code is None:
                return ""
            text = str(code)
            return neutralise(labels.get(text, text))

        return label
    if column is Column.DATE:
        zone = local.zone

        def day(value: date | None) -> str:
            return "" if value is None else format_day(value, language, zone)

        return day
    if column is Column.DATETIME:
        zone = local.zone

        def moment(value: datetime | None) -> str:
            if value is None:
                return ""
            if value.tzinfo is None:
                raise ValueError("naive datetime given where UTC is required")
            return format_moment(value, language, zone)

        return moment
    return _FORMATTERS[column]


def _text(value: object) -> str:
    return "" if value is None else neutralise(str(value))


def _integer(value: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_FORMATTERS: dict[Column, Formatter] = {
    Column.TEXT: _text,
    Column.INTEGER: _integer,
    Column.DATE: _date,
    Column.DATETIME: _datetime,
}


def encode_csv(
    dialect: CsvDialect,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    columns: Sequence[Column],
    localisation: Localisation | None = None,
) -> Iterator[bytes]:
    """Yield the CSV file in UTF-8 chunks, reading ``rows`` one at a time.

    :param columns: what each column holds, one per header label.
    :param localisation: how a dialect with a language translates labels and places moments;
        standard CSV ignores it.
    """
    if len(columns) != len(header):
        raise ValueError("one column kind per header label is needed")
    rules = RULES[dialect]
    formatters = [column_formatter(column, rules, localisation) for column in columns]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=rules.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    if rules.byte_order_mark:
        buffer.write("\ufeff")
    writer.writerow([neutralise(label) for label in header])
    for row in rows:
        writer.writerow(list(map(_apply, formatters, row)))
        if buffer.tell() >= CHUNK_CHARACTERS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
