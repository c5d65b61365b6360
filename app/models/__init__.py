"""Every model, imported once so SQLAlchemy and Alembic see the whole schema."""

from app.models.comment import Comment
from app.models.export import AccountingExport, ExportKind, JournalExportLine
from app.models.file import DownloadRecord, FileKind, ProjectFile
from app.models.history import EventKind, ProjectEvent
from app.models.invitation import MemberInvitation
from app.models.organisation import Organisation
from app.models.outbox import EmailMessage, EmailStatus, OutboxMessage, OutboxStatus
from app.models.password_reset import PasswordReset
from app.models.payment import (
    CheckoutSession,
    CheckoutStatus,
    CreditNote,
    Invoice,
    Payment,
    PaymentLink,
    PaymentStatus,
    Refund,
    StripeEvent,
)
from app.models.preview import FilePreview, PreviewOutcome
from app.models.project import Counter, Project, RequestedService, project_service
from app.models.session import UserSession
from app.models.setting import Setting
from app.models.user import AppUser, MemberStatus, NotificationPreference

__all__ = [
    "AccountingExport",
    "AppUser",
    "CheckoutSession",
    "CheckoutStatus",
    "Comment",
    "Counter",
    "CreditNote",
    "DownloadRecord",
    "EmailMessage",
    "EmailStatus",
    "EventKind",
    "FilePreview",
    "ExportKind",
    "FileKind",
    "Invoice",
    "JournalExportLine",
    "MemberInvitation",
    "MemberStatus",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "Payment",
    "PaymentLink",
    "PaymentStatus",
    "PreviewOutcome",
    "Project",
    "ProjectEvent",
    "ProjectFile",
    "Refund",
    "RequestedService",
    "Setting",
    "StripeEvent",
    "UserSession",
    "project_service",
]
