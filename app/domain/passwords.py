"""The password rule: long enough, and not among what attackers try first.

Strength is judged offline by zxcvbn, which knows the passwords of public breaches, common words
and names, keyboard patterns, repeats, sequences and dates, and is told the account's own email
and names so that a password built from them is refused too.
"""

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from app.domain.errors import N_, Invalid

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn refuses longer input and slows down sharply well before; past 72 characters the
# beginning alone decides (bcrypt-era limit, and already far beyond a guessable password).
JUDGED_LENGTH = 72
# zxcvbn's 0-4 scale: 3 is "safely unguessable" (about 10^8 guesses or more).
MIN_SCORE = 3

_WORD = re.compile(r"[^\W_]{3,}")

TOO_EASY = N_(
    "This password is too easy to guess. Choose a longer one, for example a few unrelated words."
)
# Why a password is too easy, by what zxcvbn found in it; the first reason found is given.
_REASONS = (
    (
        "user_inputs",
        N_(
            "This password contains your name or your email address: it is too easy to guess. "
            "Choose another one."
        ),
    ),
    (
        "passwords",
        N_(
            "This password is among the most common ones, as found in leaked password lists: "
            "it is too easy to guess. Choose another one."
        ),
    ),
    (
        "repeat",
        N_(
            "This password repeats characters or words (like aaaa): it is too easy to guess. "
            "Choose another one."
        ),
    ),
    (
        "sequence",
        N_(
            "This password follows a simple sequence (like 1234 or abcd): it is too easy to "
            "guess. Choose another one."
        ),
    ),
    (
        "spatial",
        N_(
            "This password follows a keyboard pattern (like azerty or qwerty): it is too easy "
            "to guess. Choose another one."
        ),
    ),
    (
        "date",
        N_(
            "This password relies on a date or a year: it is too easy to guess. Choose another one."
        ),
    ),
    (
        "words",
        N_(
            "This password is made of a few common words or names: it is too easy to guess. "
            "Add more words, or choose another one."
        ),
    ),
)
_REASON_MESSAGES = dict(_REASONS)


def personal_words(inputs: Iterable[str | None]) -> list[str]:
    """Return what a password should not be built from: each input and the words in it."""
    words: list[str] = []
    for value in inputs:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        local, _, domain = value.partition("@")
        if domain:
            words.append(local)
        words.extend(_WORD.findall(value))
    return list(dict.fromkeys(words))


def check_password(password: str | None, user_inputs: Iterable[str | None] = ()) -> None:
    """Accept a password of 12 to 256 characters that zxcvbn finds hard to guess.

    :param user_inputs: the account's email and names: a password made of them is refused.
    :raise Invalid: saying why the password is refused.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise Invalid(N_("A password needs at least %(count)s characters."), count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise Invalid(N_("A password can have at most %(count)s characters."), count=MAX_LENGTH)
    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=personal_words(user_inputs))
    if result["score"] >= MIN_SCORE:
        return
    raise Invalid(_REASON_MESSAGES.get(_reason(result["sequence"]), TOO_EASY))


def _reason(matches: list[dict]) -> str | None:
    """Name the weakness to tell first among what zxcvbn matched."""
    found = set()
    for match in matches:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            name = match.get("dictionary_name")
            found.add(name if name in ("user_inputs", "passwords") else "words")
        elif pattern in ("repeat", "sequence", "spatial", "date"):
            found.add(pattern)
        elif pattern == "regex" and match.get("regex_name") == "recent_year":
            found.add("date")
    return next((name for name, _ in _REASONS if name in found), None)
