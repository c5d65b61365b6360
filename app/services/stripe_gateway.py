"""The one door to Stripe: Checkout Sessions, and the signature of the events Stripe posts.

Nothing else imports ``stripe``. Answers are handed back as plain dictionaries shaped like
Stripe's JSON, so callers never hold SDK objects. ``STRIPE_API_BASE`` points the client at
another Stripe-compatible server.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from flask import current_app

# Stripe waits this long for an event's timestamp; older ones are refused as replays.
SIGNATURE_TOLERANCE_SECONDS = 300
_TIMEOUT_SECONDS = 15
_NETWORK_RETRIES = 2


class StripeUnavailableError(Exception):
    """Stripe did not answer, or refused the call."""


class BadSignatureError(Exception):
    """A posted event is not signed with our webhook secret, or is too old."""


@dataclass(frozen=True)
class NewCheckout:
    """What opening a Checkout Session needs: the amount, who pays, where Stripe sends them back."""

    amount_cents: int
    currency: str
    product_name: str
    customer_email: str
    language: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    metadata: dict[str, str]
    idempotency_key: str


def card_payments_enabled() -> bool:
    """Tell whether Stripe keys are configured, so the client can pay by card."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base.rstrip("/")} if base else None,
        max_network_retries=_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=_TIMEOUT_SECONDS),
    )


def _plain(found: Any) -> dict[str, Any]:
    return found.to_dict() if hasattr(found, "to_dict") else dict(found)


def create_checkout_session(new: NewCheckout) -> dict[str, Any]:
    """Open a Checkout Session for one payment of ``new.amount_cents``; return Stripe's object.

    :raise StripeUnavailableError: when Stripe cannot be reached or refuses the request.
    """
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": new.currency.lower(),
                    "unit_amount": new.amount_cents,
                    "product_data": {"name": new.product_name[:250]},
                },
            }
        ],
        "customer_email": new.customer_email,
        "client_reference_id": new.metadata.get("project_id"),
        "locale": new.language if new.language in ("fr", "en") else "auto",
        "success_url": new.success_url,
        "cancel_url": new.cancel_url,
        "expires_at": int(new.expires_at.timestamp()),
        "metadata": new.metadata,
        "payment_intent_data": {"metadata": new.metadata},
    }
    try:
        created = _client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": new.idempotency_key[:255]},
        )
    except stripe.StripeError as error:
        raise StripeUnavailableError(str(error)) from error
    return _plain(created)


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    """Return Stripe's current view of one Checkout Session.

    :raise StripeUnavailableError: when Stripe cannot be reached or does not know the session.
    """
    try:
        return _plain(_client().v1.checkout.sessions.retrieve(session_id))
    except stripe.StripeError as error:
        raise StripeUnavailableError(str(error)) from error


def expire_checkout_session(session_id: str) -> dict[str, Any]:
    """Close an open Checkout Session so nobody can pay on it; return Stripe's object.

    A session that is no longer open is returned as it is.

    :raise StripeUnavailableError: when Stripe cannot be reached.
    """
    client = _client()
    try:
        return _plain(client.v1.checkout.sessions.expire(session_id))
    except stripe.InvalidRequestError:
        # Already complete or expired: Stripe refuses to expire it; say what it is now.
        pass
    except stripe.StripeError as error:
        raise StripeUnavailableError(str(error)) from error
    return retrieve_checkout_session(session_id)


def recent_completed_sessions(created_since: datetime) -> Iterator[dict[str, Any]]:
    """Yield every complete Checkout Session created since ``created_since``.

    :raise StripeUnavailableError: when Stripe cannot be reached.
    """
    params = {"status": "complete", "created": {"gte": int(created_since.timestamp())}}
    try:
        page = _client().v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
        for found in page.auto_paging_iter():
            yield _plain(found)
    except stripe.StripeError as error:
        raise StripeUnavailableError(str(error)) from error


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check an event's signature on its raw body and return the event as Stripe sent it.

    :raise BadSignatureError: without our secret's signature, with a timestamp older than five
        minutes, or for a body that is not an event.
    """
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise BadSignatureError("no webhook secret is configured")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as error:
        raise BadSignatureError(str(error)) from error
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignatureError("the body is not a Stripe event")
    return event
