"""Who hears about what: the notification events, their audiences and the kinds users switch off."""

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from app.domain.errors import N_


class Event(StrEnum):
    """Name something that happened to a project and may be worth an email."""

    PROJECT_CREATED = "project_created"
    STATUS_CHANGED = "status_changed"
    COMMENT_ADDED = "comment_added"
    DELIVERABLES_UPLOADED = "deliverables_uploaded"
    PROJECT_COMPLETED = "project_completed"
    PAYMENT_LINK_ISSUED = "payment_link_issued"
    PAYMENT_RECEIVED = "payment_received"
    PAYMENT_LINK_EXPIRING = "payment_link_expiring"
    PAYMENT_LINK_EXPIRED = "payment_link_expired"
    CARD_PAYMENT_REFUSED = "card_payment_refused"
    PAYMENT_DISPUTED = "payment_disputed"


class Audience(StrEnum):
    """Name a group of people an email goes to."""

    ORGANISATION = "organisation"  # the active members of the project's organisation
    CLIENT = "client"  # the organisation's customer, who has no account
    TEAM = "team"  # CNC Pulse staff


_ORG = Audience.ORGANISATION
_CLIENT = Audience.CLIENT
_TEAM = Audience.TEAM
_NOBODY: frozenset[Audience] = frozenset()

# SPEC §5, one row per event. COMMENT_ADDED depends on its author and is decided in audiences().
RECIPIENTS: Mapping[Event, frozenset[Audience]] = MappingProxyType(
    {
        Event.PROJECT_CREATED: frozenset({_CLIENT, _TEAM}),
        Event.STATUS_CHANGED: frozenset({_ORG, _CLIENT}),
        Event.COMMENT_ADDED: frozenset({_ORG, _TEAM}),
        Event.DELIVERABLES_UPLOADED: frozenset({_ORG}),
        Event.PROJECT_COMPLETED: frozenset({_ORG}),
        Event.PAYMENT_LINK_ISSUED: frozenset({_ORG, _CLIENT}),
        Event.PAYMENT_RECEIVED: frozenset({_ORG, _CLIENT, _TEAM}),
        Event.PAYMENT_LINK_EXPIRING: frozenset({_CLIENT}),
        Event.PAYMENT_LINK_EXPIRED: frozenset({_TEAM}),
        # Money taken on Stripe that no payment here matches: the team refunds or records it.
        Event.CARD_PAYMENT_REFUSED: frozenset({_TEAM}),
        # A client disputed a card payment with their bank: the team decides what to say.
        Event.PAYMENT_DISPUTED: frozenset({_TEAM}),
    }
)

# Emails the client needs to pay and to get what they paid for: never held back.
CLIENT_TRANSACTIONAL: frozenset[Event] = frozenset(
    {Event.PAYMENT_LINK_ISSUED, Event.PAYMENT_RECEIVED}
)

# Written over a payment link's raw token once its email is out: the token then lives only in
# the client's mailbox, and a logged email holding this cannot be resent.
SCRUBBED_TOKEN = "***"  # noqa: S105 - a mask, not a secret


def audiences(
    event: Event,
    *,
    author_is_staff: bool | None = None,
    internal: bool = False,
    paid: bool = False,
) -> frozenset[Audience]:
    """Return who is told about ``event``.

    :param author_is_staff: for a comment, whether CNC Pulse staff wrote it; a team comment
        goes to the organisation, an organisation comment to the team.
    :param internal: for a comment, whether it is an internal note, which notifies nobody.
    :param paid: for deliverables, whether the project is paid: the client can then download
        them and is told too (SPEC §3).
    :raise ValueError: for a comment whose author is unknown.
    """
    event = Event(event)
    if event is Event.COMMENT_ADDED:
        if internal:
            return _NOBODY
        if author_is_staff is None:
            raise ValueError("a comment notification needs author_is_staff")
        return frozenset({_ORG}) if author_is_staff else frozenset({_TEAM})
    if event is Event.DELIVERABLES_UPLOADED and paid:
        return frozenset({_ORG, _CLIENT})
    return RECIPIENTS[event]


def is_transactional(event: Event, audience: Audience) -> bool:
    """Tell whether this email is part of a payment and goes out whatever anyone's settings."""
    return audience is Audience.CLIENT and Event(event) in CLIENT_TRANSACTIONAL


# What a user can switch off in their account settings: one kind per event that reaches
# organisation members or the team. The kind stored is the event's value.
PREFERENCE_LABELS: Mapping[Event, str] = MappingProxyType(
    {
        Event.PROJECT_CREATED: N_("A new project is submitted"),
        Event.STATUS_CHANGED: N_("A project changes status"),
        Event.COMMENT_ADDED: N_("A new comment is posted"),
        Event.DELIVERABLES_UPLOADED: N_("Deliverables are uploaded"),
        Event.PROJECT_COMPLETED: N_("A project is completed, with its final amount"),
        Event.PAYMENT_LINK_ISSUED: N_("A payment link is sent to the client"),
        Event.PAYMENT_RECEIVED: N_("A payment is received"),
        Event.PAYMENT_LINK_EXPIRED: N_("A payment link has expired"),
        Event.CARD_PAYMENT_REFUSED: N_("A card payment was refused and needs action"),
        Event.PAYMENT_DISPUTED: N_("A client disputes a card payment"),
    }
)

PREFERENCE_KINDS: frozenset[str] = frozenset(event.value for event in PREFERENCE_LABELS)


def preference_kinds_for(staff: bool) -> list[Event]:
    """List the kinds a staff member or an organisation user may switch off, in display order."""
    audience = _TEAM if staff else _ORG
    return [event for event in PREFERENCE_LABELS if audience in RECIPIENTS[event]]
