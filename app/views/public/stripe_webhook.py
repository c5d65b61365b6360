"""/stripe/webhook: Stripe posts its events here; each is verified, stored once, handled later."""

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from app.domain.errors import Invalid
from app.services.stripe_event import receive_stripe_event

stripe_webhook_bp = Blueprint("stripe_webhook", __name__)


@stripe_webhook_bp.post("/stripe/webhook")
def webhook() -> tuple[Response, int]:
    """Answer at once: 400 for a bad signature (nothing written), else 200, the work queued."""
    try:
        fresh = receive_stripe_event(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except Invalid:
        return jsonify(error="invalid signature"), 400
    return jsonify(received=True, duplicate=not fresh), 200
