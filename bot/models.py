"""People-side tables: who talks to the bot (the knowledge tables live in knowledge.models)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.models import Base

ROLES = ("resident", "partner", "coordinator", "admin")


class Person(Base):
    """A Telegram user of the bot. Only what the conversation needs: no name, no phone."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    language: Mapped[str | None] = mapped_column(String(5))  # chosen in the bot; wins
    telegram_language: Mapped[str | None] = mapped_column(String(10))  # as Telegram reports it
    home_district_number: Mapped[int | None] = mapped_column(
        ForeignKey("districts.number", ondelete="SET NULL")
    )
    role: Mapped[str] = mapped_column(String(20), default="resident")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
