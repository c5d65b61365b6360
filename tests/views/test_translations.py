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


def test_every_message_in_the_code_is_in_the_french_catalog():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = TRANSLATIONS.parents[1]
    with (root / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog("fr") if m.string}

    assert sorted(found - translated) == []
