"""The API's CSV exports: each dialect under its own file name, French Excel in French."""

import csv
import io

import pytest
from babel.messages.pofile import read_po

from app.domain.workflow import Priority, ProjectStatus
from tests.views.test_translations import TRANSLATIONS

PERIOD = {"start": "2026-12-01", "end": "2026-12-31"}
with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
    FRENCH = {message.id: message.string for message in read_po(po, locale="fr") if message.id}


def download(response) -> tuple[str, bytes]:
    """Return the attachment's file name and its bytes, read to the end as a client does."""
    assert response.status_code == 200, response.text
    body = response.get_data()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('"')
    return disposition.removeprefix('attachment; filename="').removesuffix('"'), body


@pytest.mark.parametrize(
    ("method", "url", "standard_name"),
    [
        ("GET", "/api/v1/export/journal", "journal-2026-12-01-2026-12-31.csv"),
        ("POST", "/api/v1/export/journal/batch", None),  # the batch's number is in the name
    ],
)
def test_the_journal_downloads_under_a_name_per_dialect(world, api_as, method, url, standard_name):
    team = api_as("team")

    standard, _ = download(team.call(method, url, query_string=PERIOD))
    french, raw = download(team.call(method, url, query_string={**PERIOD, "dialect": "excel-fr"}))

    if standard_name:
        assert standard == standard_name
    assert standard.startswith("journal-2026-12-01-2026-12-31") and standard.endswith(".csv")
    assert not standard.endswith("-excel-fr.csv")
    assert french.startswith("journal-2026-12-01-2026-12-31") and french.endswith("-excel-fr.csv")
    assert raw.startswith("\ufeffDate;Numéro de facture;".encode())


def rows(raw: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))


STATUS, PRIORITY = 6, 7  # columns of the projects export


def test_the_projects_download_under_a_name_per_dialect_with_french_labels(world, api_as):
    member = api_as("member_a")

    standard, standard_raw = download(member.call("GET", "/api/v1/export/projects"))
    french, french_raw = download(
        member.call("GET", "/api/v1/export/projects", query_string={"dialect": "excel-fr"})
    )

    assert standard.startswith("projets-") and not standard.endswith("-excel-fr.csv")
    assert french.startswith("projets-") and french.endswith("-excel-fr.csv")
    standard_rows, french_rows = rows(standard_raw, ","), rows(french_raw, ";")
    assert (french_rows[0][STATUS], french_rows[0][PRIORITY]) == ("Statut", "Priorité")
    assert len(standard_rows) == len(french_rows) > 1
    for coded, labelled in zip(standard_rows[1:], french_rows[1:], strict=True):
        # Standard CSV keeps the codes; French Excel writes the labels the screens show.
        assert coded[STATUS] in ProjectStatus.__members__
        assert coded[PRIORITY] in Priority.__members__
        assert labelled[STATUS] == FRENCH[ProjectStatus(coded[STATUS]).label]
        assert labelled[PRIORITY] == FRENCH[Priority(coded[PRIORITY]).label]
