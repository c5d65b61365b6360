"""Every message of ours has its French translation, and the catalogs are well formed."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def test_every_message_has_a_french_translation():
    untranslated = [m.id for m in catalog("fr") if m.id and not str(m.string or "").strip()]

    assert untranslated == []


def test_no_french_translation_is_fuzzy():
    assert [m.id for m in catalog("fr") if m.id and m.fuzzy] == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_translations_keep_their_placeholders(language):
    # Babel's checkers compare the %(name)s placeholders of each msgstr with its msgid.
    problems = [(message.id, errors) for message, errors in catalog(language).check()]

    assert problems == []
