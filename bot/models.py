"""People-side tables: who talks to the bot (the knowledge tables live in knowledge.models)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    true,
)
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
    # false: the person blocked the bot (nothing is sent to them)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # false: the person opted out of the anonymous counting of questions (/privacy)
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CoordinatorArea(Base):
    """Which planning areas a coordinator looks after (several coordinators per area)."""

    __tablename__ = "coordinator_areas"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    planning_area_id: Mapped[int] = mapped_column(
        ForeignKey("planning_areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Invite(Base):
    """A one-time deep link that makes whoever opens it a coordinator of one area."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the token itself is never stored
    role: Mapped[str] = mapped_column(String(20))
    planning_area_id: Mapped[int | None] = mapped_column(ForeignKey("planning_areas.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


SIGNUP_OPEN = ("new", "contacted")
SIGNUP_STATUSES = ("new", "contacted", "placed", "not_fit", "withdrawn")


class Signup(Base):
    """A person's offer to engage, stored only after consent, erased after retention."""

    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(12), unique=True)  # reference number shown to people
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    district_number: Mapped[int | None] = mapped_column(ForeignKey("districts.number", ondelete="SET NULL"))
    planning_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("planning_areas.id", ondelete="SET NULL"), index=True
    )
    unassigned: Mapped[bool] = mapped_column(Boolean, default=False)  # no coordinator: sent to admins
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[list[str]] = mapped_column(JSON, default=list)
    hours_per_month: Mapped[str | None] = mapped_column(String(10))
    contact_via: Mapped[str] = mapped_column(String(10), default="bot")  # bot | phone | email
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5), default="de")
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # one per filled-in form: pressing "I agree" again (or twice at once) cannot store it twice
    consent_token: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    status_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StaffCard(Base):
    """Where a sign-up's card (or a relayed answer) stands in a coordinator's chat.

    Only message coordinates, so that the card can be edited when the sign-up changes and
    stripped of the person's data when they withdraw or are erased; the rows go with the
    sign-up.
    """

    __tablename__ = "staff_cards"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_staff_cards_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signup_id: Mapped[int] = mapped_column(ForeignKey("signups.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default="card")  # card | relay


class OutboxMessage(Base):
    """A message the bot owes somebody, written in the same transaction as its cause.

    A worker sends it and marks it sent; after a crash it is still here and is sent
    then. `dedupe_key` makes writing the same obligation twice impossible; it is stored
    as a keyed hash, and sent rows are deleted after a while (see bot.services.outbox).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict] = mapped_column(JSON)  # text and buttons; emptied once sent
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )


class AuditEntry(Base):
    """Who looked at or changed which sign-up, and who was refused. No personal data.

    When a sign-up is erased its entries keep their place in the trail under a pseudonym
    instead of its reference number; an erased person's entries lose the actor.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    signup_ref: Mapped[str | None] = mapped_column(String(12), index=True)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[str | None] = mapped_column(String(200))


class Subscription(Base):
    """A person follows a district network (Stadtteilnetzwerk)."""

    __tablename__ = "subscriptions"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    district_number: Mapped[int] = mapped_column(
        ForeignKey("districts.number", ondelete="CASCADE"), primary_key=True, index=True
    )


class TopicSubscription(Base):
    """Optional narrowing to target groups (older_people, families, ...)."""

    __tablename__ = "topic_subscriptions"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(30), primary_key=True)


class Partner(Base):
    """An organisation in a district network (Bürgerverein, Träger, Kita, Kirche, ...)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    district_number: Mapped[int] = mapped_column(
        ForeignKey("districts.number", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | confirmed | declined
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))


class Meeting(Base):
    """A network meeting announced by a coordinator."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_number: Mapped[int] = mapped_column(
        ForeignKey("districts.number", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="SET NULL"))
    place_text: Mapped[str | None] = mapped_column(String(300))
    agenda: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Broadcast(Base):
    """One message to an audience; its recipients are outbox rows pointing here."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    audience: Mapped[dict] = mapped_column(JSON)  # districts, topic, partners_only, city_wide
    text: Mapped[str] = mapped_column(Text)  # Telegram HTML, checked before it is stored
    photo: Mapped[str | None] = mapped_column(String(200))  # Telegram file_id
    document: Mapped[str | None] = mapped_column(String(200))  # Telegram file_id
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True)
    )  # report sent to its author
