"""Users: FAB's accounts, extended with an organisation, a language and notification choices."""

from datetime import datetime
from enum import StrEnum

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import UTCDateTime
from app.models.organisation import Organisation


class MemberStatus(StrEnum):
    """Where an account stands: invited (no password yet), active, or deactivated."""

    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class AppUser(FabUser):
    """A login; staff have no organisation, organisation users exactly one."""

    __tablename__ = "ab_user"

    organisation_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisation.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    language: Mapped[str] = mapped_column(
        String(5), nullable=False, default="fr", server_default="fr"
    )
    # FAB's ``active`` decides who may log in; the status says why an account may not.
    status: Mapped[str] = mapped_column(
        String(12), nullable=False, default=MemberStatus.ACTIVE.value, server_default="active"
    )
    # When the current run of failed sign-ins began (FAB counts them in fail_login_count), and
    # the end of the lock too many of them set: until then even the right password is refused.
    failed_sign_ins_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    organisation: Mapped[Organisation | None] = relationship(Organisation, lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class NotificationPreference(Model):
    """A kind of notification a user switched off or back on; absent means on."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
