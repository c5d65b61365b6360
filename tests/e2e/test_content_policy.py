"""The pages keep to their own Content-Security-Policy in a real browser: no violation anywhere.

Chromium reports each script, style, image or frame the policy blocks as a
`securitypolicyviolation` event and a console error; both are collected across every page of
the walk, and none may be seen. The payment form still reaches Stripe's hosted page.
"""

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import requests

from app.services.demo import seed_demo
from tests.e2e.test_payment import complete_project, payment_server  # noqa: F401 - fixture
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.stripe_standin import event, sign

pytestmark = pytest.mark.e2e

DEMO_ADMIN = ("admin@cnc-pulse.fr", "cncpulse-admin")
DEMO_ORG_ADMIN = ("claire.dupont@atelier-dupont.fr", "cncpulse-orgadmin")
PAY_LINK = re.compile(r"https?://\S+/pay/[A-Za-z0-9_\-]{20,}")

# Runs in every document before its own scripts, whatever the page's policy.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
    window.reportViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber,
                            document.location.pathname].join(" | "));
});
"""


class Watched:
    """A browser page and what the policy blocked on it."""

    def __init__(self, page) -> None:
        self.page = page
        self.violations: list[str] = []
        self.console: list[str] = []
        self.pages_seen: list[str] = []

    def visit(self, url: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response.status == status, (url, response.status)
        self.seen()

    def seen(self) -> None:
        self.page.wait_for_load_state("load")
        self.pages_seen.append(self.page.url)
        assert self.page.evaluate("() => document.readyState") == "complete"

    def assert_clean(self) -> None:
        assert self.violations == [], self.violations
        assert self.console == [], self.console


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    found = Watched(page)
    context.expose_function("reportViolation", lambda text: found.violations.append(text))
    context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            found.console.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.console.append(f"page error: {error}"))
    yield found
    context.close()


def log_in(watched: Watched, url: str, email: str, password: str) -> None:
    page = watched.page
    watched.visit(url + "/login/")
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state("load")
    assert "/login/" not in page.url


def test_back_office_and_portal_pages_break_no_policy(live_server, watched, tmp_path, monkeypatch):
    # As `make run` loads it: the demo's emails land in the development mailbox.
    monkeypatch.setitem(live_server.app.config, "MAIL_MAILBOX_DIR", str(tmp_path / "mailbox"))
    with live_server.app.app_context():
        assert seed_demo()
    page = watched.page

    log_in(watched, live_server.url, *DEMO_ADMIN)
    watched.visit(live_server("/admin/projects/list/"))
    page.locator("table.cnc-table tbody tr td:first-child a").first.click()
    page.wait_for_url(re.compile(r".*/admin/projects/show/\d+$"))
    watched.seen()
    # Bootstrap's dropdowns and FAB's scripts answer a click: the scripts did run.
    page.click("a.dropdown-toggle:has(.fa-user)")
    assert page.locator(".dropdown-menu a[href*=logout]").first.is_visible()
    for path in (
        "/",
        "/users/list/",
        "/admin/exports/",
        "/admin/settings/",
        "/swagger/v1",
        "/account/",
        "/resetmypassword/form",
    ):
        watched.visit(live_server(path))
    # An email read from the log, its HTML framed, its delivered copy beside it.
    watched.visit(live_server("/admin/emails/list/"))
    page.locator("a.cnc-email-open").first.click()
    page.wait_for_url(re.compile(r".*/admin/emails/\d+$"))
    page.frame_locator("#delivered-html").locator("body").wait_for()
    watched.seen()
    # FAB's list widget's inline script ran (it defines the list's actions).
    watched.visit(live_server("/users/list/"))
    assert page.evaluate("() => typeof window.modelActions") == "object"
    watched.visit(live_server("/logout/"))

    log_in(watched, live_server.url, *DEMO_ORG_ADMIN)
    watched.visit(live_server("/portal/projects/"))
    page.locator("table.cnc-table tbody tr td a").first.click()
    page.wait_for_url(re.compile(r".*/portal/projects/\d+$"))
    watched.seen()
    for path in ("/portal/", "/portal/members/", "/portal/projects/new", "/account/"):
        watched.visit(live_server(path))

    # A new project with a file is sent by script and its answer written into the page.
    drawing = tmp_path / "plan.pdf"
    drawing.write_bytes(b"%PDF-1.4 plan")
    watched.visit(live_server("/portal/projects/new"))
    page.fill("#client_name", "Lucie Faure")
    page.fill("#client_email", "lucie@example.test")
    page.fill("#title", "Bride de serrage")
    page.fill("#description", "Usinage d'une bride en aluminium 6061.")
    page.fill("#deadline", (date.today() + timedelta(days=20)).isoformat())
    page.set_input_files("#files", [drawing])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/projects/\d+$"))
    page.locator(".alert", has_text="soumis").wait_for()
    watched.seen()

    assert len(watched.pages_seen) >= 14
    watched.assert_clean()


def test_the_pay_page_breaks_no_policy_and_still_reaches_stripe(
    payment_server,  # noqa: F811
    watched,
):
    app, url, standin, smtp = payment_server
    address = complete_project(app)
    (message,) = smtp.to(address)
    link = PAY_LINK.search(message.get_body(("plain",)).get_content())[0]
    page = watched.page

    watched.visit(link)
    answer = page.context.request.get(link)
    policy = answer.headers["content-security-policy"]
    assert "form-action" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["referrer-policy"] == "no-referrer"

    # The form posts, and the 303 to Stripe's hosted page is followed.
    page.click("#pay-by-card")
    page.wait_for_url(re.compile(re.escape(standin.url) + r"/c/pay/cs_test_\w+"))
    session_id = page.locator("#standin-session").inner_text()
    body = event("checkout.session.completed", standin.pay(session_id))
    posted = requests.post(
        f"{url}/stripe/webhook",
        data=body.encode(),
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)},
        timeout=30,
    )
    assert posted.status_code == 200

    watched.visit(f"{link}?checkout=success")
    assert page.locator("#paid").is_visible()
    page.click("#invoice-link")
    page.wait_for_load_state("load")
    watched.seen()
    # The invoice's print button is wired by its nonce script.
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.click("#print-invoice")
    assert page.evaluate("() => window.printed") is True
    watched.visit(url + "/invitation/not-a-token", status=404)
    watched.assert_clean()
