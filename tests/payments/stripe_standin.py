"""A local stand-in for the few Stripe endpoints CNC Pulse calls, and events signed like Stripe's.

It speaks Stripe's wire format: form-encoded requests with bracketed keys, Bearer keys,
``Idempotency-Key`` replays (and refusals when a key is reused with other parameters), JSON
objects and errors shaped as Stripe documents them. It keeps Checkout Sessions, and the
PaymentIntents and Charges a payment makes, in memory. The app reaches it only through
``STRIPE_API_BASE``; tests drive what a customer does on Stripe's page through its methods.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2025-10-29.clover"
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60


class StripeStandIn:
    """Serve /v1/checkout/sessions (create, retrieve, expire, list) on 127.0.0.1."""

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key
        self.lock = threading.Lock()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], str | None]] = []
        # Set to an HTTP status to make every API call fail with it (Stripe being down).
        self.failing_with: int | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Running -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> "StripeStandIn":
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.charges.clear()
            self.idempotency.clear()
            self.requests.clear()
            self.failing_with = None

    # What a customer does on Stripe's page ------------------------------------------------

    def pay(self, session_id: str, *, delayed: bool = False) -> dict[str, Any]:
        """Complete a session: paid by card, or waiting for a delayed method's outcome."""
        with self.lock:
            found = self.sessions[session_id]
            assert found["status"] == "open", f"session {session_id} is {found['status']}"
            intent = _id("pi")
            found.update(
                status="complete",
                payment_status="unpaid" if delayed else "paid",
                payment_intent=intent,
            )
            if not delayed:
                self._charge(found)
            return dict(found)

    def settle_delayed(self, session_id: str, *, succeeded: bool) -> dict[str, Any]:
        """Finish a delayed payment: the money arrives, or it fails."""
        with self.lock:
            found = self.sessions[session_id]
            if succeeded:
                found["payment_status"] = "paid"
                self._charge(found)
            return dict(found)

    def expire_now(self, session_id: str) -> dict[str, Any]:
        """Let a session reach its expiry time."""
        with self.lock:
            found = self.sessions[session_id]
            found["status"] = "expired"
            return dict(found)

    def refund(self, session_id: str, amount: int) -> dict[str, Any]:
        """Refund part or all of a paid session's charge; return the charge as Stripe shows it."""
        with self.lock:
            intent = self.sessions[session_id]["payment_intent"]
            charge = next(c for c in self.charges.values() if c["payment_intent"] == intent)
            refund = {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "payment_intent": intent,
                "status": "succeeded",
                "reason": "requested_by_customer",
                "created": int(time.time()),
            }
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            charge["refunds"]["data"].insert(0, refund)
            charge["refunds"]["total_count"] += 1
            return json.loads(json.dumps(charge))

    def session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.sessions[session_id])

    def created_sessions(self) -> list[dict[str, Any]]:
        with self.lock:
            return sorted(self.sessions.values(), key=lambda s: s["created_order"])

    def _charge(self, found: dict[str, Any]) -> None:
        charge_id = _id("ch")
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": found["amount_total"],
            "amount_captured": found["amount_total"],
            "amount_refunded": 0,
            "currency": found["currency"],
            "paid": True,
            "refunded": False,
            "status": "succeeded",
            "payment_intent": found["payment_intent"],
            "metadata": dict(found["metadata"]),
            "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
            "created": int(time.time()),
        }

    # The API ---------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append((method, path, params, key))
            if self.failing_with:
                return self.failing_with, _error("api_error", "The stand-in is down.")
            if method == "POST" and key:
                fingerprint = json.dumps([path, params], sort_keys=True)
                if key in self.idempotency:
                    seen, status, body = self.idempotency[key]
                    if seen != fingerprint:
                        return 400, _error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                        )
                    return status, body
                status, body = self._route(method, path, params)
                self.idempotency[key] = (fingerprint, status, body)
                return status, body
            return self._route(method, path, params)

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        parts = [part for part in path.split("/") if part]
        if parts[:3] != ["v1", "checkout", "sessions"]:
            return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")
        rest = parts[3:]
        if method == "POST" and not rest:
            return self._create(params)
        if method == "GET" and not rest:
            return self._list(params)
        if rest and rest[0] not in self.sessions:
            return 404, _error(
                "invalid_request_error",
                f"No such checkout.session: '{rest[0]}'",
                code="resource_missing",
                param="session",
            )
        if method == "GET" and len(rest) == 1:
            return 200, _public(self.sessions[rest[0]])
        if method == "POST" and len(rest) == 2 and rest[1] == "expire":
            found = self.sessions[rest[0]]
            if found["status"] != "open":
                return 400, _error(
                    "invalid_request_error",
                    'Only Checkout Sessions with a status in ["open"] can be expired.',
                )
            found["status"] = "expired"
            return 200, _public(found)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")

    def _create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for name in ("mode", "success_url", "line_items"):
            if name not in params:
                return 400, _error(
                    "invalid_request_error", f"Missing required param: {name}.", param=name
                )
        now = int(time.time())
        expires_at = int(params.get("expires_at") or now + MAX_EXPIRY_SECONDS)
        if not MIN_EXPIRY_SECONDS <= expires_at - now <= MAX_EXPIRY_SECONDS:
            return 400, _error(
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
        items = params["line_items"]
        total, currency = 0, None
        for item in items:
            price = item.get("price_data") or {}
            total += int(price["unit_amount"]) * int(item.get("quantity", 1))
            currency = price["currency"]
        session_id = "cs_test_" + secrets.token_hex(24)
        found = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": dict(params.get("metadata") or {}),
            "mode": params["mode"],
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"{self.url}/c/pay/{session_id}",
            "created_order": len(self.sessions),
        }
        self.sessions[session_id] = found
        return 200, _public(found)

    def _list(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = sorted(self.sessions.values(), key=lambda s: -s["created_order"])
        if params.get("status"):
            found = [s for s in found if s["status"] == params["status"]]
        created = params.get("created") or {}
        if "gte" in created:
            found = [s for s in found if s["created"] >= int(created["gte"])]
        if params.get("starting_after"):
            ids = [s["id"] for s in found]
            found = found[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        page = found[:limit]
        return 200, {
            "object": "list",
            "url": "/v1/checkout/sessions",
            "has_more": len(found) > limit,
            "data": [_public(s) for s in page],
        }


class _Handler(BaseHTTPRequestHandler):
    owner: StripeStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def do_GET(self) -> None:  # noqa: N802
        split = urlsplit(self.path)
        if split.path.startswith("/c/pay/"):
            self._checkout_page(split.path.rsplit("/", 1)[-1])
            return
        self._api("GET", split.path, decode_form(split.query))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        self._api("POST", urlsplit(self.path).path, decode_form(body))

    def _api(self, method: str, path: str, params: dict[str, Any]) -> None:
        expected = f"Bearer {self.owner.secret_key}"
        if self.headers.get("Authorization") != expected:
            status, body = 401, _error("invalid_request_error", "Invalid API Key provided.")
        else:
            status, body = self.owner.handle(
                method, path, params, self.headers.get("Idempotency-Key")
            )
        self._send(status, json.dumps(body).encode(), "application/json")

    def _checkout_page(self, session_id: str) -> None:
        found = self.owner.sessions.get(session_id)
        if found is None:
            self._send(404, b"No such session", "text/plain")
            return
        amount = f"{found['amount_total'] / 100:.2f} {str(found['currency']).upper()}"
        page = (
            "<!doctype html><title>Checkout</title>"
            f"<h1 id='standin-checkout'>Stripe Checkout stand-in</h1>"
            f"<p id='standin-session'>{session_id}</p><p id='standin-amount'>{amount}</p>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", _id("req"))
        self.end_headers()
        self.wfile.write(body)


def decode_form(body: str) -> dict[str, Any]:
    """Decode Stripe's form encoding: ``a[b][0][c]=1`` becomes ``{"a": {"b": [{"c": "1"}]}}``."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        names = key.replace("]", "").split("[")
        node: Any = root
        for index, name in enumerate(names):
            last = index == len(names) - 1
            following = None if last else names[index + 1]
            child_default: Any = [] if following is not None and following.isdigit() else {}
            if isinstance(node, list):
                position = int(name)
                while len(node) <= position:
                    node.append({} if not last else None)
                if last:
                    node[position] = value
                else:
                    if not node[position]:
                        node[position] = child_default
                    node = node[position]
            else:
                if last:
                    node[name] = value
                else:
                    node = node.setdefault(name, child_default)
    return root


def event(event_type: str, found: dict[str, Any], event_id: str | None = None) -> str:
    """Return the JSON body of an event as Stripe posts it, about ``found``."""
    body = {
        "id": event_id or _id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": _public(found)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(body, indent=2)


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Return the Stripe-Signature header: ``t=…,v1=HMAC-SHA256(secret, f"{t}.{payload}")``."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def _public(found: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in found.items() if key != "created_order"}


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def _error(kind: str, message: str, **extra: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}
