"""Plain in-memory records the search works on, detached from the ORM session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from knowledge.hours import ScheduleSpec


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    spec: ScheduleSpec
    anchor: dt.date | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(slots=True)
class FacilityRecord:
    id: int
    slug: str
    name: str
    category: str
    categories: tuple[str, ...]  # primary first
    district: int | None
    lat: float | None
    lon: float | None
    location_exact: bool
    location_precision: str
    operator: str | None = None
    street: str | None = None
    house_number: str | None = None
    address_note: str | None = None
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    hours_text: str | None = None
    hours_year: int | None = None
    # the earliest day the stated hours are known to have held (knowledge.hours.hours_confirmed)
    hours_confirmed: dt.date | None = None
    description: str | None = None
    source_url: str | None = None
    target_groups: tuple[str, ...] = ()
    wheelchair: bool | None = None
    schedules: tuple[ScheduleRecord, ...] = field(default_factory=tuple)

    @property
    def address(self) -> str | None:
        """Postal address for display, or None when only the district is known."""
        if not self.street:
            return None
        line = f"{self.street} {self.house_number}" if self.house_number else self.street
        town = f"{self.postcode} Karlsruhe" if self.postcode else "Karlsruhe"
        return f"{line}, {town}"
