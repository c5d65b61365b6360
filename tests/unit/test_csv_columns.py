"""Formatters chosen once per column write, byte for byte, what the cell-by-cell writer writes."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.csv_export import FORMULA_MARKS, Column, CsvDialect, Money, encode_csv

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
FORMULA_TEXT = st.builds(lambda m, t: m + t, st.sampled_from(FORMULA_MARKS), TEXT)
CENTS = st.integers(-(10**12), 10**12)
VALUES = {
    Column.TEXT: st.one_of(st.none(), TEXT, FORMULA_TEXT),
    Column.MONEY: st.one_of(st.none(), CENTS),
    Column.INTEGER: st.one_of(st.none(), st.integers(0, 10**9), st.booleans()),
    Column.DATE: st.one_of(st.none(), st.dates()),
    Column.DATETIME: st.one_of(
        st.none(), st.datetimes(timezones=st.just(UTC), min_value=datetime(1900, 1, 1))
    ),
}


@st.composite
def tables(draw):
    columns = draw(st.lists(st.sampled_from(list(Column)), min_size=1, max_size=7))
    rows = draw(st.lists(st.tuples(*(VALUES[column] for column in columns)), max_size=6))
    return columns, rows


def as_cells(columns, row):
    """The same row for the cell-by-cell writer: amounts wrapped in Money."""
    return tuple(
        Money(value) if column is Column.MONEY and value is not None else value
        for column, value in zip(columns, row, strict=True)
    )


@settings(max_examples=300, deadline=None, database=None)
@given(dialect=st.sampled_from(list(CsvDialect)), table=tables())
def test_column_formatters_write_the_same_bytes_as_format_cell(dialect, table):
    columns, rows = table
    header = [f"c{index}" for index in range(len(columns))]

    by_column = b"".join(encode_csv(dialect, header, rows, columns))
    by_cell = b"".join(encode_csv(dialect, header, [as_cells(columns, row) for row in rows]))

    assert by_column == by_cell


def test_a_column_kind_is_needed_for_each_header_label():
    with pytest.raises(ValueError):
        b"".join(encode_csv(CsvDialect.STANDARD, ["a", "b"], [("x", "y")], [Column.TEXT]))
