"""The CSV writer: both dialects read back by Python's csv module; no cell starts a formula."""

import csv
import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.csv_export import (
    CODE_LABELS,
    FORMULA_MARKS,
    JOURNAL_STATUS_LABELS,
    Column,
    CsvDialect,
    Localisation,
    encode_csv,
    file_name,
    format_amount,
    neutralise,
    parse_dialect,
)
from app.domain.errors import Invalid

READERS = {
    CsvDialect.STANDARD: {"delimiter": ","},
    CsvDialect.EXCEL_FR: {"delimiter": ";"},
}
NUMBER = {
    CsvDialect.STANDARD: re.compile(r"-?[0-9]+\.[0-9]{2}"),
    CsvDialect.EXCEL_FR: re.compile(r"-?[0-9]+,[0-9]{2}"),
}


def read_back(dialect: CsvDialect, chunks) -> list[list[str]]:
    """Parse the bytes as a spreadsheet importer would: UTF-8 (with a BOM for Excel)."""
    raw = b"".join(chunks)
    assert raw.startswith(b"\xef\xbb\xbf") is (dialect is CsvDialect.EXCEL_FR)
    text = raw.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), **READERS[dialect]))


@pytest.mark.parametrize("dialect", list(CsvDialect))
def test_both_dialects_read_back_cell_for_cell(dialect):
    header = ["Titre", "Montant", "TVA", "Date", "Payé", "N", "X"]
    columns = [
        Column.TEXT,
        Column.MONEY,
        Column.MONEY,
        Column.DATE,
        Column.DATETIME,
        Column.INTEGER,
        Column.TEXT,
    ]
    rows = [
        ("Bride; « spéciale »", 123456, -5, date(2026, 11, 25), None, 3, None),
        (
            'Texte "cité", sur\ndeux lignes',
            0,
            None,
            None,
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            0,
            "x",
        ),
    ]

    parsed = read_back(dialect, encode_csv(dialect, header, rows, columns))

    standard = dialect is CsvDialect.STANDARD
    mark = "." if standard else ","
    day = "2026-11-25" if standard else "25/11/2026"
    # French Excel places the moment in Paris (UTC+1 in January) and writes it as people do.
    moment = "2026-01-02T03:04:05Z" if standard else "02/01/2026 04:04"
    assert parsed == [
        header,
        ["Bride; « spéciale »", f"1234{mark}56", f"-0{mark}05", day, "", "3", ""],
        [
            'Texte "cité", sur\ndeux lignes',
            f"0{mark}00",
            "",
            "",
            moment,
            "0",
            "x",
        ],
    ]


def test_amounts_are_written_without_grouping_and_with_two_decimals():
    assert format_amount(100_000_000_00, ".") == "100000000.00"
    assert format_amount(-1, ",") == "-0,01"
    assert format_amount(7, ".") == "0.07"


@pytest.mark.parametrize("mark", FORMULA_MARKS)
def test_every_formula_mark_is_neutralised(mark):
    assert neutralise(f'{mark}HYPERLINK("http://evil")') == f'\'{mark}HYPERLINK("http://evil")'


def test_plain_text_is_left_as_typed():
    assert neutralise("Atelier Dupont") == "Atelier Dupont"
    assert neutralise("'déjà cité") == "'déjà cité"


def test_an_unknown_dialect_is_refused_with_the_choices():
    with pytest.raises(Invalid) as refused:
        parse_dialect("tsv")
    assert "standard, excel-fr" in str(refused.value)
    assert parse_dialect(None) is CsvDialect.STANDARD


def test_a_naive_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        b"".join(
            encode_csv(CsvDialect.STANDARD, ["t"], [(datetime(2026, 1, 1),)], [Column.DATETIME])
        )


def test_a_flag_is_written_one_or_zero():
    chunks = encode_csv(CsvDialect.STANDARD, ["f"], [(True,), (False,)], [Column.INTEGER])
    assert read_back(CsvDialect.STANDARD, chunks) == [["f"], ["1"], ["0"]]


def test_a_column_kind_is_needed_for_each_header_label():
    with pytest.raises(ValueError):
        b"".join(encode_csv(CsvDialect.STANDARD, ["a", "b"], [("x", "y")], [Column.TEXT]))


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
FORMULA_TEXT = st.builds(lambda m, t: m + t, st.sampled_from(FORMULA_MARKS + (" =", "\n=")), TEXT)
VALUES = {
    Column.TEXT: st.one_of(st.none(), TEXT, FORMULA_TEXT),
    Column.MONEY: st.one_of(st.none(), st.integers(-(10**12), 10**12)),
    Column.INTEGER: st.one_of(st.none(), st.integers(0, 10**9), st.booleans()),
    Column.DATE: st.one_of(st.none(), st.dates()),
    Column.DATETIME: st.one_of(
        st.none(),
        st.datetimes(
            timezones=st.just(UTC),
            min_value=datetime(1900, 1, 1),
            # The last day of year 9999 has no later local day to be placed in.
            max_value=datetime(9999, 12, 30),
        ),
    ),
    **{
        column: st.one_of(
            st.none(), st.sampled_from(sorted(CODE_LABELS[column])), TEXT, FORMULA_TEXT
        )
        for column in CODE_LABELS
    },
}


@st.composite
def tables(draw):
    columns = draw(st.lists(st.sampled_from(list(Column)), min_size=1, max_size=6))
    header = draw(st.lists(TEXT | FORMULA_TEXT, min_size=len(columns), max_size=len(columns)))
    rows = draw(st.lists(st.tuples(*(VALUES[column] for column in columns)), max_size=8))
    return header, columns, rows


@settings(max_examples=300, deadline=None, database=None)
@given(dialect=st.sampled_from(list(CsvDialect)), table=tables())
def test_no_text_cell_reaches_the_file_starting_with_a_formula_character(dialect, table):
    """Whatever people typed, each cell read back is a number we wrote or inert text."""
    header, columns, rows = table
    parsed = read_back(dialect, encode_csv(dialect, header, rows, columns))

    assert len(parsed) == 1 + len(rows)
    assert all(not label.startswith(FORMULA_MARKS) for label in parsed[0])
    for written, read in zip(rows, parsed[1:], strict=True):
        assert len(read) == len(written)
        for column, value, cell in zip(columns, written, read, strict=True):
            if column is Column.MONEY and value is not None:
                assert NUMBER[dialect].fullmatch(cell)
            elif value is None:
                assert cell == ""
            else:
                assert not cell.startswith(FORMULA_MARKS), (value, cell)


FRENCH = {"Paid": "Payé", "High": "Haute", "Bank transfer": "Virement bancaire"}


@pytest.mark.parametrize(
    ("column", "code", "standard", "french"),
    [
        (Column.PROJECT_STATUS, "PAID", "PAID", "Payé"),
        (Column.PRIORITY, "HIGH", "HIGH", "Haute"),
        (Column.PAYMENT_METHOD, "TRANSFER", "TRANSFER", "Virement bancaire"),
        (Column.JOURNAL_STATUS, "SUCCEEDED", "SUCCEEDED", "Payé"),
        # A code the exporter does not know is written as it is, never dropped.
        (Column.PROJECT_STATUS, "ARCHIVED", "ARCHIVED", "ARCHIVED"),
    ],
)
def test_codes_stay_codes_in_standard_csv_and_become_labels_in_french_excel(
    column, code, standard, french
):
    localisation = Localisation(translate=lambda msgid: FRENCH.get(msgid, msgid))

    def cell(dialect):
        chunks = encode_csv(dialect, ["c"], [(code,)], [column], localisation)
        return read_back(dialect, chunks)[1][0]

    assert cell(CsvDialect.STANDARD) == standard
    assert cell(CsvDialect.EXCEL_FR) == french


def test_french_excel_writes_moments_in_the_given_zone_and_days_the_french_way():
    row = (datetime(2026, 12, 4, 23, 30, tzinfo=UTC), date(2026, 12, 24))
    columns = [Column.DATETIME, Column.DATE]

    paris = read_back(
        CsvDialect.EXCEL_FR, encode_csv(CsvDialect.EXCEL_FR, ["t", "d"], [row], columns)
    )
    montreal = read_back(
        CsvDialect.EXCEL_FR,
        encode_csv(
            CsvDialect.EXCEL_FR,
            ["t", "d"],
            [row],
            columns,
            Localisation(zone=ZoneInfo("America/Montreal")),
        ),
    )

    assert paris[1] == ["05/12/2026 00:30", "24/12/2026"]
    assert montreal[1] == ["04/12/2026 18:30", "24/12/2026"]


def test_every_status_a_journal_line_can_have_has_a_label():
    from app.models import PaymentStatus
    from app.queries.exports import REFUND_STATUS

    codes = {status.value for status in PaymentStatus} | {REFUND_STATUS}

    assert codes == set(JOURNAL_STATUS_LABELS)


def test_each_dialect_has_its_own_file_name_and_standard_keeps_today_s():
    assert file_name("journal-2026-12-01-2026-12-31", CsvDialect.STANDARD) == (
        "journal-2026-12-01-2026-12-31.csv"
    )
    assert file_name("journal-2026-12-01-2026-12-31", CsvDialect.EXCEL_FR) == (
        "journal-2026-12-01-2026-12-31-excel-fr.csv"
    )
