"""ORM models of what the city offers.

Shaped after Open Referral HSDS where it fits: a facility is HSDS's organisation +
location in one row (our records never share a location between operators in a way
that matters for search), an offer is a service, a schedule follows HSDS's schedule
with an RFC 5545 RRULE, a contact is a contact. Districts, planning areas and streets
are the city's geography that place resolution needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


class PlanningArea(Base):
    """A configurable group of districts with its own coordination (Planungsgebiet)."""

    __tablename__ = "planning_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    districts: Mapped[list[District]] = relationship(back_populates="planning_area")


class District(Base):
    """One of Karlsruhe's 27 Stadtteile, with its outline and 2016 statistics."""

    __tablename__ = "districts"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    polygon: Mapped[dict[str, Any]] = mapped_column()  # GeoJSON geometry, WGS84
    inside_lat: Mapped[float] = mapped_column(Float)
    inside_lon: Mapped[float] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    statistics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    planning_area_id: Mapped[int | None] = mapped_column(ForeignKey("planning_areas.id", ondelete="SET NULL"))
    planning_area: Mapped[PlanningArea | None] = relationship(back_populates="districts")


class Street(Base):
    """A named street; `parts` holds per-district points because same-named streets merge."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    district_number: Mapped[int | None] = mapped_column(ForeignKey("districts.number"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # [{"district": 19, "share": 0.8, "lat": .., "lon": .., "radius_m": ..}, ...] best first
    parts: Mapped[list[Any]] = mapped_column(default=list)
    postcodes: Mapped[list[Any]] = mapped_column(default=list)


class Postcode(Base):
    """Postcode -> district support, from how many streets back each pair."""

    __tablename__ = "postcodes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    district_number: Mapped[int] = mapped_column(ForeignKey("districts.number"), primary_key=True)
    streets: Mapped[int] = mapped_column(Integer, default=0)


class Facility(Base):
    """A place where residents find an offer: HSDS organisation + location."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True, index=True)
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), index=True)
    extra_categories: Mapped[list[Any]] = mapped_column(default=list)
    operator: Mapped[str | None] = mapped_column(Text)
    street: Mapped[str | None] = mapped_column(Text)
    house_number: Mapped[str | None] = mapped_column(String(20))
    address_note: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(5))
    district_number: Mapped[int | None] = mapped_column(ForeignKey("districts.number"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # exact: own coordinates; street: a point on the named street; district: district centre
    location_precision: Mapped[str] = mapped_column(String(10), default="none")
    location_exact: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    hours_text: Mapped[str | None] = mapped_column(Text)
    hours_year: Mapped[int | None] = mapped_column(Integer)
    wheelchair: Mapped[bool | None] = mapped_column(Boolean)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    target_groups: Mapped[list[Any]] = mapped_column(default=list)
    target_groups_text: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(10))
    last_verified: Mapped[dt.date | None] = mapped_column(Date)
    temporarily_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    district: Mapped[District | None] = relationship()
    offers: Mapped[list[Offer]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="Offer.id"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", order_by="Contact.id"
    )


class Offer(Base):
    """An HSDS service: something that happens at a facility for some target groups."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text)
    target_groups: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)
    facility: Mapped[Facility] = relationship(back_populates="offers")
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="Schedule.id"
    )


class Schedule(Base):
    """When an offer takes place: an RRULE from a local start, or single dates."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(Text)
    rrule: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[dt.time | None] = mapped_column()
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    dates: Mapped[list[Any]] = mapped_column(default=list)  # ISO dates for single events
    anchor: Mapped[dt.date | None] = mapped_column(Date)  # dtstart for INTERVAL>1 rules
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source_text: Mapped[str | None] = mapped_column(Text)
    source_year: Mapped[int | None] = mapped_column(Integer)
    offer: Mapped[Offer] = relationship(back_populates="schedules")


class Contact(Base):
    """A way to reach a facility or a role in it; no private persons' data."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    facility: Mapped[Facility] = relationship(back_populates="contacts")


class DatasetInfo(Base):
    """Key/value facts about the loaded data (seed version, attribution)."""

    __tablename__ = "dataset_info"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DemandRecord(Base):
    """One answered question, anonymous: no person, no chat, no text (Sozialraummonitoring)."""

    __tablename__ = "demand_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    district_number: Mapped[int | None] = mapped_column(ForeignKey("districts.number"), index=True)
    intent: Mapped[str] = mapped_column(String(20))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    target_groups: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(5))
    results: Mapped[int] = mapped_column(Integer, default=0)
    nearest_m: Mapped[int | None] = mapped_column(Integer)
    not_helpful: Mapped[bool] = mapped_column(Boolean, default=False)
    # the wording only when nothing was found: scrubbed of numbers and addresses, erased after 90 days
    text: Mapped[str | None] = mapped_column(String(200))
    # random, for the "not what I was looking for" button: rows are written in batches,
    # after the answer has gone out, so the button cannot carry the row's id
    ref: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
