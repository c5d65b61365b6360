"""Exports for accounting: the journal with refunds and batches, project lists, their records."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.domain.csv_export import CsvDialect
from app.domain.errors import Invalid, PermissionDenied
from app.extensions import db
from app.models import AccountingExport, JournalExportLine, Project
from app.queries.project_search import ProjectSearch
from app.services.export import journal_csv, parse_period, projects_csv
from app.tenancy import set_tenant
from tests.factories import CommentFactory, FileFactory, ProjectFactory, paid

DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


def rows_of(download, dialect=CsvDialect.STANDARD) -> list[dict[str, str]]:
    text = b"".join(download.chunks).decode("utf-8-sig")
    delimiter = ";" if dialect is CsvDialect.EXCEL_FR else ","
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.fixture
def ledger(cast):
    """Two payments in December (one refunded in part) and one in November, in Paris time."""
    a = ProjectFactory(organisation_id=cast.org_a_id, client_name='=HYPERLINK("x")')
    b = ProjectFactory(organisation_id=cast.org_b_id, client_name="Client B")
    first = paid(
        a,
        datetime(2026, 12, 2, 10, tzinfo=UTC),
        amount_cents=1200_00,
        number="F-2026-00010",
        refunds=((300_00, datetime(2026, 12, 20, 9, tzinfo=UTC)),),
        stripe_id="one",
    )
    # 23:30 UTC on 30 November is already 1 December in France.
    second = paid(
        b, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), amount_cents=99_99, method="TRANSFER"
    )
    paid(ProjectFactory(organisation_id=cast.org_b_id), datetime(2026, 11, 15, tzinfo=UTC))
    return first, second


def test_the_journal_lists_payments_and_refunds_as_negative_lines_by_french_date(cast, ledger):
    download = journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD)

    lines = rows_of(download)

    assert [(line["Date"], line["Amount incl. VAT"], line["Status"]) for line in lines] == [
        ("2026-12-01", "99.99", "SUCCEEDED"),
        ("2026-12-02", "1200.00", "PARTIALLY_REFUNDED"),
        ("2026-12-20", "-300.00", "REFUND"),
    ]
    refund = lines[2]
    assert (refund["Amount excl. VAT"], refund["VAT"]) == ("-250.00", "-50.00")
    assert refund["Invoice number"] == "F-2026-00010"
    assert refund["Stripe refund"] == "re_test_one_0"
    assert lines[1]["Stripe Checkout Session"] == "cs_test_one"
    assert lines[1]["Stripe PaymentIntent"] == "pi_test_one"
    assert (lines[1]["Amount excl. VAT"], lines[1]["VAT"]) == ("1000.00", "200.00")
    assert lines[1]["Client"] == '\'=HYPERLINK("x")'
    assert lines[0]["Method"] == "TRANSFER"


def test_the_french_excel_journal_has_a_bom_semicolons_and_decimal_commas(cast, ledger):
    download = journal_csv(cast.team, *DECEMBER, CsvDialect.EXCEL_FR)

    raw = b"".join(download.chunks)

    # French Excel speaks French whoever asks: the header is the French catalogue's.
    assert raw.startswith("\ufeffDate;Numéro de facture;".encode())
    text = raw.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert [line["Montant TTC"] for line in lines] == ["99,99", "1200,00", "-300,00"]


def test_the_french_excel_journal_writes_french_labels_and_french_days(cast, ledger):
    lines = rows_of(journal_csv(cast.team, *DECEMBER, CsvDialect.EXCEL_FR), CsvDialect.EXCEL_FR)

    assert [(line["Date"], line["Moyen de paiement"], line["Statut"]) for line in lines] == [
        # Paid at 23:30 UTC on 30 November: already 1 December in France.
        ("01/12/2026", "Virement bancaire", "Payé"),
        ("02/12/2026", "Carte bancaire (Stripe)", "Remboursé en partie"),
        ("20/12/2026", "Carte bancaire (Stripe)", "Remboursement"),
    ]
    assert lines[1]["Client"] == '\'=HYPERLINK("x")'


def test_the_standard_journal_stays_byte_for_byte_what_accounting_tools_parse(cast, ledger):
    raw = b"".join(journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD).chunks)

    lines = raw.decode("utf-8").split("\r\n")
    assert lines[0] == (
        "Date,Invoice number,Project reference,Organisation,Client,Amount excl. VAT,VAT,"
        "Amount incl. VAT,Currency,Method,Stripe Checkout Session,Stripe PaymentIntent,"
        "Stripe refund,Status"
    )
    first = lines[1].split(",")
    assert (first[0], first[7:10], first[-1]) == (
        "2026-12-01",
        ["99.99", "EUR", "TRANSFER"],
        "SUCCEEDED",
    )
    assert lines[3].endswith(",EUR,STRIPE,cs_test_one,pi_test_one,re_test_one_0,REFUND")


def test_each_export_is_recorded_with_who_when_and_which_filters(cast, ledger):
    download = journal_csv(cast.team, *DECEMBER, CsvDialect.EXCEL_FR)

    record = db.session.get(AccountingExport, download.export_id)
    assert record.kind == "JOURNAL" and record.dialect == "excel-fr"
    assert json.loads(record.filters) == {"start": "2026-12-01", "end": "2026-12-31"}
    assert record.created_by_name == "Théo Équipe"
    assert record.organisation_id is None and not record.marks_lines
    assert download.filename == "journal-2026-12-01-2026-12-31-excel-fr.csv"


def test_a_batch_books_its_lines_so_the_next_batch_leaves_them_out(cast, ledger):
    first = rows_of(journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD, mark_exported=True))
    again = rows_of(journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD, mark_exported=True))
    late = ProjectFactory(organisation_id=cast.org_a_id)
    paid(late, datetime(2026, 12, 28, tzinfo=UTC), amount_cents=50_00)
    newest = rows_of(journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD, mark_exported=True))
    everything = rows_of(journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD))

    assert len(first) == 3
    assert again == []
    assert [line["Amount incl. VAT"] for line in newest] == ["50.00"]
    assert len(everything) == 4
    assert db.session.scalar(select(func.count(JournalExportLine.id))) == 4


def test_only_the_team_exports_the_journal_and_a_refusal_records_nothing(cast, ledger, unchanged):
    error = unchanged(
        lambda: journal_csv(cast.org_admin_a, *DECEMBER, CsvDialect.STANDARD, mark_exported=True),
        PermissionDenied,
    )
    assert "Only the team" in str(error)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-12-31", "2026-12-01", "cannot come before its start"),
        ("décembre", "2026-12-31", "two dates"),
        (None, "2026-12-31", "two dates"),
        ("2025-01-01", "2026-12-31", "longer than 400 days"),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(start, end, message):
    with pytest.raises(Invalid) as refused:
        parse_period(start, end)
    assert message in str(refused.value)


@pytest.fixture
def portfolio(cast):
    mine = ProjectFactory(
        organisation_id=cast.org_a_id,
        title="@SUM(A1:A9)",
        status="PAID",
        final_price_cents=1500_50,
        deadline=date(2026, 12, 24),
    )
    FileFactory(project_obj=mine)
    CommentFactory(project_obj=mine)
    CommentFactory(project_obj=mine, is_internal=True, body="Note interne")
    ProjectFactory(organisation_id=cast.org_a_id, title="Deuxième", status="PENDING")
    ProjectFactory(organisation_id=cast.org_b_id, title="CANARY-B")
    return mine


def test_an_organisation_user_exports_their_own_projects_without_internal_counts(cast, portfolio):
    set_tenant(db.session, cast.org_admin_a.organisation_id)
    try:
        download = projects_csv(cast.org_admin_a, CsvDialect.STANDARD, {})
        lines = rows_of(download)
    finally:
        set_tenant(db.session, None)

    assert sorted(line["Title"] for line in lines) == ["'@SUM(A1:A9)", "Deuxième"]
    paid_line = next(line for line in lines if line["Title"].startswith("'@"))
    assert (paid_line["Files"], paid_line["Comments"]) == ("1", "1")
    assert paid_line["Final price"] == "1500.50"
    assert paid_line["Deadline"] == "2026-12-24"
    assert db.session.get(AccountingExport, download.export_id).organisation_id == cast.org_a_id


def test_the_team_exports_every_organisation_narrowed_as_the_list_is(cast, portfolio):
    criteria = ProjectSearch(group="paid", arguments={"status": "paid"})

    download = projects_csv(
        cast.team,
        CsvDialect.EXCEL_FR,
        criteria.arguments,
        criteria.ordered,
    )
    lines = rows_of(download, CsvDialect.EXCEL_FR)

    # French Excel's header is French whoever asks.
    assert [line["Titre"] for line in lines] == ["'@SUM(A1:A9)"]
    assert (lines[0]["Commentaires"], lines[0]["Prix final"]) == ("2", "1500,50")
    assert json.loads(db.session.get(AccountingExport, download.export_id).filters) == {
        "status": "paid"
    }


def test_an_export_reads_the_database_only_as_the_file_is_sent(cast, portfolio):
    """Recorded at once, read lazily: a project created before the first chunk is in the file."""
    download = projects_csv(cast.team, CsvDialect.STANDARD, {})
    ProjectFactory(organisation_id=cast.org_b_id, title="Arrivé entre-temps")

    titles = [line["Title"] for line in rows_of(download)]

    assert "Arrivé entre-temps" in titles
    assert db.session.scalar(select(func.count(Project.id))) == len(titles)


@pytest.fixture
def late_payment(cast):
    """A project paid at 23:30 UTC on 4 December: 00:30 on 5 December in Paris (winter)."""
    return ProjectFactory(
        organisation_id=cast.org_a_id,
        title="Bride payée tard",
        status="PAID",
        priority="HIGH",
        deadline=date(2026, 12, 24),
        created_at=datetime(2026, 11, 2, 8, 15, tzinfo=UTC),
        completed_at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC),
        paid_at=datetime(2026, 12, 4, 23, 30, tzinfo=UTC),
    )


def test_the_french_excel_project_list_writes_labels_and_local_times(cast, late_payment):
    lines = rows_of(projects_csv(cast.team, CsvDialect.EXCEL_FR, {}), CsvDialect.EXCEL_FR)

    line = next(line for line in lines if line["Titre"] == "Bride payée tard")
    assert (line["Statut"], line["Priorité"]) == ("Payé", "Haute")
    assert line["Échéance"] == "24/12/2026"
    assert line["Créé le"] == "02/11/2026 09:15"
    assert line["Terminé"] == "03/12/2026 17:00"
    assert line["Payé"] == "05/12/2026 00:30"


def test_the_standard_project_list_keeps_codes_and_utc_times(cast, late_payment):
    lines = rows_of(projects_csv(cast.team, CsvDialect.STANDARD, {}))

    line = next(line for line in lines if line["Title"] == "Bride payée tard")
    assert (line["Status"], line["Priority"], line["Deadline"]) == ("PAID", "HIGH", "2026-12-24")
    assert (line["Created"], line["Completed"], line["Paid"]) == (
        "2026-11-02T08:15:00Z",
        "2026-12-03T16:00:00Z",
        "2026-12-04T23:30:00Z",
    )


def test_french_excel_places_times_in_the_display_time_zone(app, cast, late_payment):
    app.config["DISPLAY_TIMEZONE"] = "America/Martinique"
    try:
        lines = rows_of(projects_csv(cast.team, CsvDialect.EXCEL_FR, {}), CsvDialect.EXCEL_FR)
    finally:
        app.config["DISPLAY_TIMEZONE"] = "Europe/Paris"

    line = next(line for line in lines if line["Titre"] == "Bride payée tard")
    assert line["Payé"] == "04/12/2026 19:30"


def test_each_dialect_downloads_under_its_own_file_name(cast, ledger):
    standard = journal_csv(cast.team, *DECEMBER, CsvDialect.STANDARD)
    french = journal_csv(cast.team, *DECEMBER, CsvDialect.EXCEL_FR)
    batch = journal_csv(cast.team, *DECEMBER, CsvDialect.EXCEL_FR, mark_exported=True)
    projects = projects_csv(cast.team, CsvDialect.STANDARD, {})
    french_projects = projects_csv(cast.team, CsvDialect.EXCEL_FR, {})

    assert standard.filename == "journal-2026-12-01-2026-12-31.csv"
    assert french.filename == "journal-2026-12-01-2026-12-31-excel-fr.csv"
    assert batch.filename == f"journal-2026-12-01-2026-12-31-lot-{batch.export_id}-excel-fr.csv"
    assert re.fullmatch(r"projets-\d{4}-\d{2}-\d{2}-\d{4}\.csv", projects.filename)
    assert french_projects.filename == projects.filename.replace(".csv", "-excel-fr.csv")
