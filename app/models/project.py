"""Projects, the services they request, and the counters that number them."""

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.domain.dates import BUSINESS_TIMEZONE
from app.domain.workflow import Priority, ProjectStatus
from app.models.base import TenantOwned, UTCDateTime, utcnow
from app.models.organisation import Organisation


class RequestedService(Model):
    """An entry of the editable list of services a project can ask for."""

    __tablename__ = "requested_service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(120), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return self.name


# The team's work queue puts URGENT projects first, then HIGH ones; MEDIUM and LOW share a band.
QUEUE_BANDS = {Priority.URGENT.value: 0, Priority.HIGH.value: 1}
LAST_QUEUE_BAND = 2


def queue_band_of(priority: str) -> int:
    """Return the work-queue band of a priority code: 0 for URGENT, 1 for HIGH, else 2."""
    return QUEUE_BANDS.get(priority, LAST_QUEUE_BAND)


project_service = Table(
    "project_service",
    Model.metadata,
    Column("project_id", Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "service_id",
        Integer,
        ForeignKey("requested_service.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Project(TenantOwned, Model):
    __tablename__ = "project"
    __table_args__ = (
        # The team's queue and the portal's lists filter by status and sort by these.
        Index("ix_project_org_created", "organisation_id", "created_at", "id"),
        Index("ix_project_org_status", "organisation_id", "status"),
        Index("ix_project_status_priority_deadline", "status", "priority", "deadline"),
        Index("ix_project_created_at", "created_at"),
        # The team dashboard's amounts awaiting payment, summed from the index alone.
        Index("ix_project_status_currency_price", "status", "currency", "final_price_cents"),
        # The work queue's order, so a page of the team's list reads the index, not the table,
        # filtered by status or not.
        Index(
            "ix_project_work_queue",
            "queue_band",
            "deadline",
            "created_at",
            "id",
            postgresql_include=["status"],
        ),
        # The project search (ILIKE '%text%') reads these trigram indexes on PostgreSQL. SQLite
        # gets plain indexes of the same names, which the search does not use: it scans.
        *(
            Index(
                f"ix_project_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
            for column in ("reference", "title", "client_name", "description")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_email: Mapped[str] = mapped_column(String(320), nullable=False)
    client_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The client's postal address, printed on the invoice as the buyer's.
    client_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    client_language: Mapped[str] = mapped_column(
        String(5), nullable=False, default="fr", server_default="fr"
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ProjectStatus.PENDING.value
    )
    priority: Mapped[str] = mapped_column(String(10), nullable=False, default=Priority.MEDIUM.value)
    # Derived from the priority (queue_band_of), kept by _keep_queue_band below: never set it alone.
    queue_band: Mapped[int] = mapped_column(
        SmallInteger,
        nullable=False,
        default=queue_band_of(Priority.MEDIUM.value),
        server_default=str(queue_band_of(Priority.MEDIUM.value)),
    )
    estimated_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(
        String(3), nullable=False, default="EUR", server_default="EUR"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # False when only the day of the payment is known (see Payment.paid_time_known).
    paid_time_known: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=True, server_default="1"
    )

    organisation: Mapped[Organisation] = relationship(Organisation, lazy="joined")
    services: Mapped[list[RequestedService]] = relationship(
        RequestedService,
        secondary=project_service,
        lazy="selectin",
        order_by=RequestedService.position,
    )
    created_by = relationship("AppUser", lazy="select")

    @validates("priority")
    def _keep_queue_band(self, _key: str, priority: str) -> str:
        """Keep the work-queue band in step with every priority written through the ORM."""
        self.queue_band = queue_band_of(priority)
        return priority

    @property
    def status_enum(self) -> ProjectStatus:
        return ProjectStatus(self.status)

    @property
    def paid_on(self) -> date | None:
        """Return the day in France the project was paid, if it was."""
        return self.paid_at.astimezone(BUSINESS_TIMEZONE).date() if self.paid_at else None

    def __repr__(self) -> str:
        return f"{self.reference} {self.title}"


class Counter(Model):
    """The last number handed out in a series (project references, invoice numbers) per year."""

    __tablename__ = "counter"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
