from fractions import Fraction

import pytest

from app.domain.csv_export import format_amount as csv_amount
from app.domain.errors import Invalid
from app.domain.money import (
    DEFAULT_VAT_BASIS_POINTS,
    format_amount,
    format_vat_rate,
    parse_amount,
    parse_vat_rate,
    split_vat,
)

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234", 123400),
        ("1234.5", 123450),
        ("1234,56", 123456),
        ("1 234,56", 123456),
        (f"1{NBSP}234,56", 123456),
        (f"1{NNBSP}234,56", 123456),
        ("1'234.56", 123456),
        ("1,234.56", 123456),
        ("1.234,56", 123456),
        ("1,234,567.89", 123456789),
        ("1.234.567,89", 123456789),
        ("1 234 567", 123456700),
        ("€1,234.56", 123456),
        ("€ 12", 1200),
        (f"1 234,56{NBSP}€", 123456),
        ("12€", 1200),
        ("1 234,56 EUR", 123456),
        ("EUR 12.30", 1230),
        ("12 eur", 1200),
        ("  42  ", 4200),
        ("0", 0),
        ("0,01", 1),
        ("007", 700),
        ("100000000", 10_000_000_000),
        ("100 000 000,00", 10_000_000_000),
    ],
)
def test_parse_amount_reads_what_people_type(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount."),
        ("   ", "Enter an amount."),
        ("€", "Enter an amount."),
        ("EUR", "Enter an amount."),
        ("-5", "The amount cannot be negative."),
        ("\u22125", "The amount cannot be negative."),
        ("€-5", "The amount cannot be negative."),
        ("- 1 234,56", "The amount cannot be negative."),
        ("abc", "Enter an amount in figures, such as 1234.56."),
        ("12a", "Enter an amount in figures, such as 1234.56."),
        ("+5", "Enter an amount in figures, such as 1234.56."),
        ("1e3", "Enter an amount in figures, such as 1234.56."),
        ("$12", "Enter an amount in figures, such as 1234.56."),
        ("\u0661\u0662", "Enter an amount in figures, such as 1234.56."),
        ("12.", "Enter an amount in figures, such as 1234.56."),
        (".5", "Enter an amount in figures, such as 1234.56."),
        ("1..2", "Enter an amount in figures, such as 1234.56."),
        ("1,2,3", "Enter an amount in figures, such as 1234.56."),
        ("1.2.3,4", "Enter an amount in figures, such as 1234.56."),
        ("1 23,00", "Enter an amount in figures, such as 1234.56."),
        ("12 3456", "Enter an amount in figures, such as 1234.56."),
        ("1234 567", "Enter an amount in figures, such as 1234.56."),
        ("1  234", "Enter an amount in figures, such as 1234.56."),
        ("12,34.56", "Enter an amount in figures, such as 1234.56."),
        ("12.5 6", "Enter an amount in figures, such as 1234.56."),
        ("€12€", "Enter an amount in figures, such as 1234.56."),
        ("1.234", "Enter at most two decimals."),
        ("12,345", "Enter at most two decimals."),
        ("0.001", "Enter at most two decimals."),
        ("100000000.01", "The amount cannot exceed 100,000,000.00."),
        ("999 999 999,99", "The amount cannot exceed 100,000,000.00."),
        ("9" * 30, "The amount cannot exceed 100,000,000.00."),
        ("1" + "0" * 5000, "The amount cannot exceed 100,000,000.00."),
    ],
)
def test_parse_amount_refuses_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_amount(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "expected"),
    [
        (123456, "EUR", "fr", f"1{NNBSP}234,56{NBSP}€"),
        (123456, "EUR", "en", "€1,234.56"),
        (0, "EUR", "fr", f"0,00{NBSP}€"),
        (0, "EUR", "en", "€0.00"),
        (5, "EUR", "fr", f"0,05{NBSP}€"),
        (99999, "EUR", "en", "€999.99"),
        (123456789012, "EUR", "fr", f"1{NNBSP}234{NNBSP}567{NNBSP}890,12{NBSP}€"),
        (123456789012, "EUR", "en", "€1,234,567,890.12"),
        (-123456, "EUR", "fr", f"-1{NNBSP}234,56{NBSP}€"),
        (-123456, "EUR", "en", "-€1,234.56"),
        (-5, "EUR", "en", "-€0.05"),
        (123456, "USD", "en", "$1,234.56"),
        (123456, "USD", "fr", f"1{NNBSP}234,56{NBSP}$"),
        (123456, "GBP", "en", "£1,234.56"),
        (123456, "CHF", "en", f"CHF{NBSP}1,234.56"),
        (123456, "CHF", "fr", f"1{NNBSP}234,56{NBSP}CHF"),
        (123456, "sek", "en", f"SEK{NBSP}1,234.56"),
        (-123456, "CHF", "en", f"-CHF{NBSP}1,234.56"),
        (123456, "EUR", "fr_FR", f"1{NNBSP}234,56{NBSP}€"),
        (123456, "EUR", "en_GB", "€1,234.56"),
    ],
)
def test_format_amount_follows_the_locale(
    cents: int, currency: str, locale: str, expected: str
) -> None:
    assert format_amount(cents, currency, locale) == expected


def test_format_amount_defaults_to_euros_in_french() -> None:
    assert format_amount(120000) == f"1{NNBSP}200,00{NBSP}€"


@pytest.mark.parametrize("cents", [0, 1, 99, 100, 123456, 10_000_000_000])
@pytest.mark.parametrize("mark", [".", ","])
def test_an_exported_amount_round_trips_through_parse(cents: int, mark: str) -> None:
    assert parse_amount(csv_amount(cents, mark)) == cents


def _reference_excl(total: int, rate: int) -> int:
    """Round total / (1 + rate) half up, away from zero for refunds."""
    exact = Fraction(abs(total) * 10_000, 10_000 + rate)
    rounded = int(exact + Fraction(1, 2))
    return rounded if total >= 0 else -rounded


@pytest.mark.parametrize("rate", [0, 550, 1000, 2000])
def test_split_vat_invariants(rate: int) -> None:
    for total in range(-2000, 20001):
        excl, vat = split_vat(total, rate)
        assert excl + vat == total
        assert excl == _reference_excl(total, rate)
        assert split_vat(-total, rate) == (-excl, -vat)
        if rate == 0:
            assert vat == 0


@pytest.mark.parametrize(
    ("total", "rate", "expected"),
    [
        (12000, 2000, (10000, 2000)),
        (1, 2000, (1, 0)),
        (0, 2000, (0, 0)),
        (3, 2000, (3, 0)),  # 2.5 excl. VAT rounds up
        (-3, 2000, (-3, 0)),
        (-12000, 2000, (-10000, -2000)),
        (10550, 550, (10000, 550)),
        (11000, 1000, (10000, 1000)),
        (999, 0, (999, 0)),
        (10_000_000_000, 2000, (8_333_333_333, 1_666_666_667)),
    ],
)
def test_split_vat_known_values(total: int, rate: int, expected: tuple[int, int]) -> None:
    assert split_vat(total, rate) == expected


def test_split_vat_defaults_to_twenty_percent() -> None:
    assert DEFAULT_VAT_BASIS_POINTS == 2000
    assert split_vat(12000) == (10000, 2000)


def test_split_vat_refuses_a_negative_rate() -> None:
    with pytest.raises(Invalid):
        split_vat(12000, -1)


@pytest.mark.parametrize(
    ("text", "basis_points"),
    [("20", 2000), ("5,5", 550), ("5.5", 550), (" 2,1 % ", 210), ("0", 0), ("100", 10000)],
)
def test_a_vat_rate_is_typed_as_a_percentage(text: str, basis_points: int) -> None:
    assert parse_vat_rate(text) == basis_points


@pytest.mark.parametrize("text", ["", "vingt", "-5", "5,555", "100,01", "1000", "20 %%"])
def test_a_vat_rate_that_is_not_a_percentage_is_refused(text: str) -> None:
    with pytest.raises(Invalid):
        parse_vat_rate(text)


@pytest.mark.parametrize(
    ("basis_points", "french", "english"),
    [(2000, "20", "20"), (550, "5,5", "5.5"), (210, "2,1", "2.1"), (1005, "10,05", "10.05")],
)
def test_a_vat_rate_is_written_without_needless_decimals(
    basis_points: int, french: str, english: str
) -> None:
    assert format_vat_rate(basis_points) == french
    assert format_vat_rate(basis_points, decimal_comma=False) == english
    assert parse_vat_rate(french) == basis_points
