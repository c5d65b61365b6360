import pytest

from app.domain.reference import format_invoice_number, format_reference, parse_reference


@pytest.mark.parametrize(
    ("year", "number", "expected"),
    [
        (2026, 42, "CNC-2026-00042"),
        (2026, 1, "CNC-2026-00001"),
        (2027, 99999, "CNC-2027-99999"),
        (2027, 123456, "CNC-2027-123456"),
    ],
)
def test_format_reference_pads_the_number(year: int, number: int, expected: str) -> None:
    assert format_reference(year, number) == expected


def test_format_reference_takes_a_prefix() -> None:
    assert format_reference(2026, 7, prefix="TST") == "TST-2026-00007"


@pytest.mark.parametrize(("year", "number"), [(2026, 0), (2026, -1), (999, 1), (10000, 1)])
def test_format_reference_refuses_impossible_parts(year: int, number: int) -> None:
    with pytest.raises(ValueError):
        format_reference(year, number)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CNC-2026-00042", (2026, 42)),
        ("CNC-2027-123456", (2027, 123456)),
        ("  cnc-2026-00042 ", (2026, 42)),
        ("CNC-2026-42", (2026, 42)),
        ("CNC-2026-00000", None),
        ("CNC-0999-00001", None),
        ("CNC-26-00042", None),
        ("CNC-2026-", None),
        ("CNC-2026-00042x", None),
        ("XCNC-2026-00042", None),
        ("F-2026-00001", None),
        ("CNC-2026-0004\u0662", None),
        ("CNC 2026 00042", None),
        ("", None),
    ],
)
def test_parse_reference(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(("year", "number"), [(2026, 1), (2026, 42), (2030, 99999), (2030, 100000)])
def test_parse_reference_reads_what_format_reference_writes(year: int, number: int) -> None:
    assert parse_reference(format_reference(year, number)) == (year, number)


def test_parse_reference_takes_a_prefix() -> None:
    assert parse_reference("F-2026-00001", prefix="F") == (2026, 1)
    assert parse_reference("CNC-2026-00001", prefix="F") is None


@pytest.mark.parametrize(
    ("year", "number", "expected"),
    [(2026, 1, "F-2026-00001"), (2026, 314, "F-2026-00314"), (2026, 100000, "F-2026-100000")],
)
def test_format_invoice_number(year: int, number: int, expected: str) -> None:
    assert format_invoice_number(year, number) == expected
