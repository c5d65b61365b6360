"""Errors go to Sentry only when SENTRY_DSN is set, with no token and no personal data."""

import gzip
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from tests.conftest import make_app

TOKEN = "Sx9_" + secrets.token_urlsafe(24)


class Collector(BaseHTTPRequestHandler):
    """Keep every envelope posted to it, as a Sentry server would receive them."""

    envelopes: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[list[bytes]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    Collector.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], Collector.envelopes
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def no_client_after():
    """Leave the process without a Sentry client, as every other test expects."""
    yield
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def failing_app(database_url, storage_dir, **settings):
    app = make_app(database_url, storage_dir, **settings)
    # The errors of a deployed app are answered as 500 pages, not raised to the caller.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/pay/<token>/explode")
    def explode(token: str):
        raise RuntimeError(f"could not read the link /pay/{token}")

    return app


def test_without_a_dsn_nothing_is_set_up(app, database_url, storage_dir, collector):
    port, envelopes = collector
    failing = failing_app(database_url, storage_dir)
    assert not sentry_sdk.get_client().is_active()
    assert failing.test_client().get(f"/pay/{TOKEN}/explode").status_code == 500
    sentry_sdk.flush(timeout=2)
    assert envelopes == []


def test_with_a_dsn_an_error_is_sent_redacted_and_without_personal_data(
    app, database_url, storage_dir, collector
):
    port, envelopes = collector
    failing = failing_app(database_url, storage_dir, SENTRY_DSN=f"http://key@127.0.0.1:{port}/7")
    client = sentry_sdk.get_client()
    assert client.is_active() and not client.should_send_default_pii()
    answer = failing.test_client().get(
        f"/pay/{TOKEN}/explode",
        headers={"X-Request-ID": "req-sentry-01", "Cookie": "session=secret-cookie"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert answer.status_code == 500
    sentry_sdk.flush(timeout=5)
    everything = b"".join(envelopes).decode()
    assert TOKEN not in everything
    assert "secret-cookie" not in everything and "203.0.113.9" not in everything
    # An envelope is a header line, then an item header line and its payload per item.
    events = [
        json.loads(lines[index + 1])
        for lines in (envelope.decode().splitlines() for envelope in envelopes)
        for index, line in enumerate(lines[1:], start=1)
        if index + 1 < len(lines) and json.loads(line).get("type") == "event"
    ]
    assert len(events) == 1
    event = events[0]
    assert event["exception"]["values"][-1]["value"] == "could not read the link /pay/[redacted]"
    assert event["request"]["url"].endswith("/pay/[redacted]/explode")
    assert event["tags"]["request_id"] == "req-sentry-01"
