"""Send a notification: find its recipients, log one email each in their language, send them."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, lazyload

from app.domain.notifications import (
    SCRUBBED_TOKEN,
    Audience,
    Event,
    audiences,
    is_transactional,
)
from app.domain.payment import DisputeStatus, PaymentMethod
from app.domain.payment_access import RefusalReason, downloads_open_until
from app.domain.policy import Role
from app.domain.workflow import DELIVERABLES_VISIBLE_TO_ORG, ProjectStatus
from app.extensions import db
from app.jobs.email import EmailNotSent
from app.mail.attachments import invoice_attachment
from app.mail.render import render_email
from app.models import (
    AppUser,
    CheckoutSession,
    CheckoutStatus,
    Comment,
    FileKind,
    Invoice,
    NotificationPreference,
    Payment,
    PaymentLink,
    Project,
    ProjectFile,
)
from app.models.base import utcnow
from app.queries.client_page import deliverables_by_name
from app.queries.previews import preview_cards
from app.services.email_log import Draft, deliver, log_emails
from app.services.payment_link import hash_token, settle_token
from app.services.settings import get_settings

log = logging.getLogger(__name__)

# What only the client's email holds: the secret link to the downloads, the invoice attached.
_CLIENT_ONLY = frozenset({"downloads_url", "attachment"})

# The pages an email opens, as endpoints, so a link follows its route wherever it moves.
ORGANISATION_PROJECT_PAGE = "ProjectPortalView.show"
TEAM_PROJECT_PAGE = "ProjectAdminView.show"


def absolute_url(endpoint: str, **values: Any) -> str:
    """Return the address of a page under ``PUBLIC_BASE_URL``; jobs have no request to go by."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


@dataclass(frozen=True)
class Recipient:
    """Say where one email goes, in which language, and as whom the reader is addressed."""

    address: str
    language: str
    audience: Audience


def send_notification(message_id: str, event: str, project_id: int, data: dict[str, Any]) -> None:
    """Email everyone ``event`` concerns about the project, each once, whatever the retries.

    :raise EmailNotSent: after trying every recipient, if some emails failed.
    """
    event = Event(event)
    # The requested services are no email's business: not loaded.
    project = db.session.get(Project, project_id, options=[lazyload(Project.services)])
    if project is None:
        log.info(
            "Project %s was deleted before its %s emails went out; none sent", project_id, event
        )
        settle_token(message_id, data)
        return
    context = _context(event, project, data)
    if context is None:
        settle_token(message_id, data)
        return
    targets = audiences(
        event,
        author_is_staff=context.get("author_is_staff"),
        internal=context.get("internal", False),
        paid=_status_when_queued(project, data) is ProjectStatus.PAID,
    )
    email_ids = _log_emails(
        message_id, event, project, context, _recipients(event, project, targets)
    )
    failed = deliver(email_ids)
    settle_token(message_id, data)
    if failed:
        raise EmailNotSent(
            f"{len(failed)} of {len(email_ids)} emails not sent; they will be retried"
        )


def _status_when_queued(project: Project, data: dict[str, Any]) -> ProjectStatus:
    """Return the project's status when the event happened, as recorded, else its status now."""
    return ProjectStatus(data.get("status") or project.status)


def _context(event: Event, project: Project, data: dict[str, Any]) -> dict[str, Any] | None:
    """Gather what the templates show, or None when the email no longer makes sense."""
    session = db.session
    context: dict[str, Any] = {
        "project": {
            "id": project.id,
            "reference": project.reference,
            "title": project.title,
            "client_name": project.client_name,
            "client_email": project.client_email,
            "organisation": project.organisation.name,
            "status": project.status,
            "deadline": project.deadline,
        },
        "amount_cents": data.get("final_price_cents") or project.final_price_cents,
        "currency": project.currency,
        "from_status": data.get("from_status"),
        "to_status": data.get("to_status") or project.status,
        "note": data.get("note"),
    }
    if event is Event.COMMENT_ADDED:
        comment = session.get(Comment, data.get("comment_id"))
        if comment is None:
            log.info("Comment %s is gone; no email about it", data.get("comment_id"))
            return None
        context.update(
            author_is_staff=bool(data.get("author_is_staff")),
            internal=comment.is_internal,
            comment_author=comment.author_name,
            comment_body=comment.body,
        )
    if event is Event.DELIVERABLES_UPLOADED:
        files = session.scalars(
            select(ProjectFile)
            .where(
                ProjectFile.id.in_(data.get("file_ids") or []),
                ProjectFile.kind == FileKind.DELIVERABLE.value,
            )
            .order_by(ProjectFile.original_name)
        ).all()
        if not files:
            log.info("The deliverables of project %s were removed before the email", project.id)
            return None
        context.update(
            file_names=[stored.original_name for stored in files],
            files=_with_figures(session, files),
            deliverables_visible=_status_when_queued(project, data) in DELIVERABLES_VISIBLE_TO_ORG,
        )
    if event is Event.PAYMENT_RECEIVED and data.get("payment_id"):
        payment = session.get(Payment, data["payment_id"])
        if payment is not None:
            context.update(_receipt(project, payment, data))
    if event is Event.PAYMENT_DISPUTED:
        payment = session.get(Payment, data.get("payment_id"))
        if payment is None or payment.stripe_dispute_id is None:
            log.info("Payment %s has no dispute; no email", data.get("payment_id"))
            return None
        context.update(
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            paid_at=payment.paid_at,
            paid_time_known=payment.paid_time_known,
            dispute={
                "id": payment.stripe_dispute_id,
                "status": payment.dispute_status,
                "label": payment.dispute_label,
                "open": payment.dispute_status == DisputeStatus.OPEN.value,
                "reason": payment.dispute_reason,
                "amount_cents": payment.dispute_amount_cents,
                "opened_at": payment.disputed_at,
                "respond_by": _moment(data.get("respond_by")),
            },
            payment_intent=payment.stripe_payment_intent_id,
        )
    if event is Event.CARD_PAYMENT_REFUSED:
        refused = session.get(CheckoutSession, data.get("checkout_session_id"))
        if refused is None or refused.status != CheckoutStatus.REFUSED.value:
            log.info(
                "Card payment %s is no longer refused; no email", data.get("checkout_session_id")
            )
            return None
        context.update(
            amount_cents=refused.paid_amount_cents,
            currency=refused.paid_currency or refused.currency,
            refusal=RefusalReason(refused.refusal).label if refused.refusal else None,
            checkout_session=refused.id,
            payment_intent=refused.stripe_payment_intent_id,
            refused_at=refused.closed_at,
        )
    if event in (
        Event.PAYMENT_LINK_ISSUED,
        Event.PAYMENT_LINK_EXPIRING,
        Event.PAYMENT_LINK_EXPIRED,
    ):
        return _with_link(event, project, data, context)
    return context


def _receipt(project: Project, payment: Payment, data: dict[str, Any]) -> dict[str, Any]:
    """Say what the payment confirmation shows: the payment, its invoice, the downloads link.

    The invoice goes to the client as a PDF attachment, rendered when the email is sent.
    """
    receipt: dict[str, Any] = {
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "method": _method(payment.method).label,
        "paid_at": payment.paid_at,
        "paid_time_known": payment.paid_time_known,
    }
    invoice = db.session.scalars(select(Invoice).where(Invoice.payment_id == payment.id)).first()
    if invoice is not None:
        receipt.update(
            invoice={
                "number": invoice.number,
                "excl_cents": invoice.amount_excl_cents,
                "vat_cents": invoice.vat_cents,
                "incl_cents": invoice.amount_incl_cents,
                "vat_rate": invoice.vat_rate_basis_points,
                "currency": invoice.currency,
            },
            attachment=invoice_attachment(invoice.id),
        )
    token = data.get("token")
    link = db.session.get(PaymentLink, data["link_id"]) if data.get("link_id") else None
    if token and token != SCRUBBED_TOKEN and link is not None and link.revoked_at is None:
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        receipt.update(
            downloads_url=f"{base}/pay/{token}",
            downloads_until=downloads_open_until(
                project.paid_at or payment.paid_at,
                link.created_at,
                get_settings().download_access_days,
            ),
        )
    return receipt


def _moment(timestamp: Any) -> datetime | None:
    """Read a Unix timestamp as Stripe gives it; None when there is none."""
    if not isinstance(timestamp, int | float) or timestamp <= 0:
        return None
    return datetime.fromtimestamp(timestamp, UTC)


def _method(value: str) -> PaymentMethod:
    """Return how a payment was made; a way this code no longer knows reads as OTHER."""
    try:
        return PaymentMethod(value)
    except ValueError:
        return PaymentMethod.OTHER


def _with_link(
    event: Event, project: Project, data: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any] | None:
    """Add the payment link's dates and URL; None for a link replaced before its email."""
    links = db.session.scalars(
        select(PaymentLink).where(PaymentLink.project_id == project.id).order_by(PaymentLink.id)
    ).all()
    link = next(
        (each for each in links if each.id == data.get("link_id")), links[-1] if links else None
    )
    if link is None:
        log.info("Project %s has no payment link; no %s email", project.id, event)
        return None
    if link.revoked_at is not None:
        log.info("Payment link %s was replaced or revoked; its %s email is dropped", link.id, event)
        return None
    if event in (Event.PAYMENT_LINK_EXPIRING, Event.PAYMENT_LINK_EXPIRED) and not _still_due(
        event, project, link
    ):
        log.info("Project %s no longer needs the %s email of link %s", project.id, event, link.id)
        return None
    token = data.get("token")
    if event is Event.PAYMENT_LINK_ISSUED and not token:
        raise ValueError("a payment-link notification needs the link's token")
    if token and token != SCRUBBED_TOKEN and hash_token(token) != link.token_hash:
        log.info("Payment link %s was sent again with a new key; this email is dropped", link.id)
        return None
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    context.update(
        expires_at=link.expires_at,
        reissued=len(links) > 1,
        resent=bool(data.get("resent")),
        pay_url=f"{base}/pay/{token}" if token and token != SCRUBBED_TOKEN else None,
        files=_with_figures(db.session, deliverables_by_name(project.id)),
    )
    if event is Event.PAYMENT_LINK_ISSUED and project.status == ProjectStatus.PAID.value:
        # A link reissued after payment opens the downloads and the invoice, nothing to pay.
        invoice = db.session.scalars(
            select(Invoice)
            .where(Invoice.project_id == project.id)
            .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        ).first()
        context.update(
            paid=True,
            downloads_until=downloads_open_until(
                project.paid_at or link.created_at,
                link.created_at,
                get_settings().download_access_days,
            ),
            invoice_number=invoice.number if invoice else None,
        )
    return context


def _with_figures(session: Session, files: Sequence[ProjectFile]) -> list[dict[str, Any]]:
    """Return each file's name with its preview, whose figures the email gives when ready.

    A reading still running when the email is written leaves the file's name alone.
    """
    cards = preview_cards(session, files)
    return [{"name": stored.original_name, "card": cards[stored.id]} for stored in files]


def _still_due(event: Event, project: Project, link: PaymentLink) -> bool:
    """Tell whether a reminder or expiry notice, delayed by retries, still makes sense."""
    status = ProjectStatus(project.status)
    if event is Event.PAYMENT_LINK_EXPIRING:
        return status is ProjectStatus.AWAITING_PAYMENT and link.expires_at > utcnow()
    return status in (ProjectStatus.COMPLETED, ProjectStatus.AWAITING_PAYMENT)


def _recipients(event: Event, project: Project, targets: frozenset[Audience]) -> list[Recipient]:
    """List each address once; the client comes first so a payment link is never lost."""
    config = current_app.config
    default_language = config["BABEL_DEFAULT_LOCALE"]
    found: list[Recipient] = []
    if Audience.CLIENT in targets:
        found.append(Recipient(project.client_email, project.client_language, Audience.CLIENT))
    if Audience.ORGANISATION in targets:
        members = _users_who_want(event, AppUser.organisation_id == project.organisation_id)
        found += [Recipient(u.email, u.language, Audience.ORGANISATION) for u in members]
    if Audience.TEAM in targets:
        if config.get("TEAM_NOTIFICATION_EMAIL"):
            found.append(
                Recipient(config["TEAM_NOTIFICATION_EMAIL"], default_language, Audience.TEAM)
            )
        team = _users_who_want(event, AppUser.roles.any(name=Role.TEAM.value))
        found += [Recipient(u.email, u.language, Audience.TEAM) for u in team]
    languages = config["LANGUAGES"]
    unique: dict[str, Recipient] = {}
    for each in found:
        if each.address and each.address.lower() not in unique:
            language = each.language if each.language in languages else default_language
            unique[each.address.lower()] = Recipient(each.address, language, each.audience)
    return list(unique.values())


def _users_who_want(event: Event, where: Any) -> list[AppUser]:
    """Return the active users matching ``where`` who have not switched ``event`` off."""
    switched_off = exists().where(
        NotificationPreference.user_id == AppUser.id,
        NotificationPreference.kind == event.value,
        NotificationPreference.enabled.is_(False),
    )
    statement = select(AppUser).where(AppUser.active.is_(True), where, ~switched_off)
    return list(db.session.scalars(statement.order_by(AppUser.id)).unique())


def _log_emails(
    message_id: str,
    event: Event,
    project: Project,
    context: dict[str, Any],
    recipients: list[Recipient],
) -> list[int]:
    """Log one email per recipient, each rendered for its reader if not logged already.

    The client's link (``pay_url``) goes to the client and, for forwarding, to the
    organisation's members; each email's own button opens its reader's page.
    """
    urls = {
        Audience.ORGANISATION: absolute_url(ORGANISATION_PROJECT_PAGE, pk=project.id),
        Audience.TEAM: absolute_url(TEAM_PROJECT_PAGE, pk=project.id),
        Audience.CLIENT: context.get("pay_url") or context.get("downloads_url"),
    }
    # The client's own link and documents reach the client alone.
    shared = {key: value for key, value in context.items() if key not in _CLIENT_ONLY}
    drafts = [
        Draft(
            recipient.address,
            recipient.language,
            partial(
                render_email,
                event.value,
                recipient.language,
                {
                    **(context if recipient.audience is Audience.CLIENT else shared),
                    "audience": recipient.audience.value,
                    "url": urls[recipient.audience],
                    "transactional": is_transactional(event, recipient.audience),
                },
            ),
            attachment=context.get("attachment") if recipient.audience is Audience.CLIENT else None,
        )
        for recipient in recipients
    ]
    return log_emails(message_id, event.value, project.id, drafts)
