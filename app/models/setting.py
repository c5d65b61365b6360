"""Settings the Admin edits in the back office (company details, VAT rate, delays)."""

from flask_appbuilder import Model
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column


class Setting(Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
