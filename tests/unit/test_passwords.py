"""The password rule: length, then what zxcvbn finds guessable, with the reason told."""

import time

import pytest

from app.domain.errors import Invalid
from app.domain.passwords import MAX_LENGTH, check_password, personal_words

CLAIRE = ("claire.dupont@atelier-dupont.fr", "Claire", "Dupont")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaaaa", "repeats characters"),
        ("password1234", "among the most common"),
        ("1234567890ab", "among the most common"),
        ("azertyuiop12", "among the most common"),
        ("court", "at least 12 characters"),
        ("", "at least 12 characters"),
        (None, "at least 12 characters"),
        ("x" * (MAX_LENGTH + 1), "at most 256 characters"),
    ],
)
def test_short_long_common_or_patterned_passwords_are_refused_saying_why(password, reason):
    with pytest.raises(Invalid) as refused:
        check_password(password)

    assert reason in str(refused.value)


def test_a_password_made_of_the_account_s_own_email_or_names_is_refused():
    check_password("claire.dupont")  # 13 characters, not guessable for a stranger

    with pytest.raises(Invalid) as refused:
        check_password("claire.dupont", CLAIRE)

    assert "your name or your email address" in str(refused.value)


@pytest.mark.parametrize(
    "password",
    ["mot-de-passe-de-test", "un-long-secret", "Tr0mbone-violet-42", "é" * 3 + "ç-ù-mélodie-9"],
)
def test_long_uncommon_passwords_are_accepted(password):
    check_password(password, CLAIRE)


def test_up_to_256_characters_are_accepted_and_judged_quickly():
    phrase = ("Une phrase de passe assez longue, vraiment, pour la machine n° 7. " * 4)[:MAX_LENGTH]
    assert len(phrase) == MAX_LENGTH

    started = time.perf_counter()
    check_password(phrase)

    assert time.perf_counter() - started < 1


def test_personal_words_are_the_inputs_and_the_words_in_them():
    assert personal_words(["Claire.Dupont@Atelier-Dupont.fr", None, " ", "Claire"]) == [
        "claire.dupont@atelier-dupont.fr",
        "claire.dupont",
        "claire",
        "dupont",
        "atelier",
    ]
