import pytest

from app.domain.notifications import (
    CLIENT_TRANSACTIONAL,
    PREFERENCE_KINDS,
    PREFERENCE_LABELS,
    RECIPIENTS,
    Audience,
    Event,
    audiences,
    is_transactional,
    preference_kinds_for,
)

ORG = Audience.ORGANISATION
CLIENT = Audience.CLIENT
TEAM = Audience.TEAM

# SPEC §5, written out once more by hand so a change to the table has to be deliberate.
EXPECTED = {
    Event.PROJECT_CREATED: {CLIENT, TEAM},
    Event.STATUS_CHANGED: {ORG, CLIENT},
    Event.DELIVERABLES_UPLOADED: {ORG},
    Event.PROJECT_COMPLETED: {ORG},
    Event.PAYMENT_LINK_ISSUED: {ORG, CLIENT},
    Event.PAYMENT_RECEIVED: {ORG, CLIENT, TEAM},
    Event.PAYMENT_LINK_EXPIRING: {CLIENT},
    Event.PAYMENT_LINK_EXPIRED: {TEAM},
    Event.CARD_PAYMENT_REFUSED: {TEAM},
    Event.PAYMENT_DISPUTED: {TEAM},
}


def test_event_values_are_lowercase_snake_case():
    assert [event.value for event in Event] == [event.name.lower() for event in Event]


@pytest.mark.parametrize(("event", "expected"), EXPECTED.items())
def test_each_event_reaches_the_audiences_of_the_spec(event, expected):
    assert audiences(event) == expected


def test_the_table_covers_every_event():
    assert set(RECIPIENTS) == set(Event)


def test_a_public_team_comment_goes_to_the_organisation_only():
    assert audiences(Event.COMMENT_ADDED, author_is_staff=True) == {ORG}


def test_an_organisation_comment_goes_to_the_team_only():
    assert audiences(Event.COMMENT_ADDED, author_is_staff=False) == {TEAM}


@pytest.mark.parametrize("author_is_staff", [True, False, None])
def test_an_internal_note_notifies_nobody(author_is_staff):
    assert audiences(Event.COMMENT_ADDED, author_is_staff=author_is_staff, internal=True) == set()


def test_a_public_comment_needs_to_know_its_author():
    with pytest.raises(ValueError, match="author_is_staff"):
        audiences(Event.COMMENT_ADDED)


def test_deliverables_after_payment_also_reach_the_client():
    assert audiences(Event.DELIVERABLES_UPLOADED, paid=True) == {ORG, CLIENT}


def test_audiences_accept_the_event_value():
    assert audiences("payment_received") == {ORG, CLIENT, TEAM}


def test_payment_link_and_payment_confirmation_are_transactional_for_the_client():
    assert CLIENT_TRANSACTIONAL == {Event.PAYMENT_LINK_ISSUED, Event.PAYMENT_RECEIVED}
    assert is_transactional(Event.PAYMENT_LINK_ISSUED, CLIENT)
    assert is_transactional(Event.PAYMENT_RECEIVED, CLIENT)


@pytest.mark.parametrize("event", list(Event))
@pytest.mark.parametrize("audience", [ORG, TEAM])
def test_nothing_is_transactional_for_people_with_an_account(event, audience):
    assert not is_transactional(event, audience)


def test_status_emails_to_the_client_are_not_transactional():
    assert not is_transactional(Event.STATUS_CHANGED, CLIENT)


def test_one_preference_per_event_that_reaches_members_or_the_team():
    reaching_users = {e for e in Event if {ORG, TEAM} & (RECIPIENTS[e])}

    assert set(PREFERENCE_LABELS) == reaching_users
    assert PREFERENCE_KINDS == {event.value for event in reaching_users}
    assert Event.PAYMENT_LINK_EXPIRING not in PREFERENCE_LABELS


def test_every_preference_has_an_english_label():
    assert all(label and label[0].isupper() for label in PREFERENCE_LABELS.values())


def test_organisation_users_and_staff_see_their_own_kinds():
    assert preference_kinds_for(staff=False) == [
        Event.STATUS_CHANGED,
        Event.COMMENT_ADDED,
        Event.DELIVERABLES_UPLOADED,
        Event.PROJECT_COMPLETED,
        Event.PAYMENT_LINK_ISSUED,
        Event.PAYMENT_RECEIVED,
    ]
    assert preference_kinds_for(staff=True) == [
        Event.PROJECT_CREATED,
        Event.COMMENT_ADDED,
        Event.PAYMENT_RECEIVED,
        Event.PAYMENT_LINK_EXPIRED,
        Event.CARD_PAYMENT_REFUSED,
        Event.PAYMENT_DISPUTED,
    ]
