"""District networks: subscriptions, partner organisations, meetings and broadcasts.

A broadcast is one `broadcasts` row plus one outbox row per recipient, written in one
transaction: the outbox worker delivers them at Telegram's pace, resumes after a crash
and, through the outbox's unique key, can never write a recipient twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Broadcast,
    Meeting,
    OutboxMessage,
    Partner,
    Person,
    Subscription,
    TopicSubscription,
)
from bot.services import people, signups
from bot.services.outbox import aware, dedupe, enqueue, owe, utcnow
from knowledge.models import District, PlanningArea

log = logging.getLogger(__name__)

TOPICS = ("older_people", "families", "children_youth", "volunteers")
MAX_BROADCAST = 4096  # Telegram's limit for a text message (a photo caption: 1024)
MAX_CAPTION = 1024


# -- subscriptions ----------------------------------------------------------------------------
async def subscribed_districts(session: AsyncSession, person: Person) -> set[int]:
    rows = await session.scalars(
        select(Subscription.district_number).where(Subscription.person_id == person.id)
    )
    return set(rows)


async def topics_of(session: AsyncSession, person: Person) -> set[str]:
    rows = await session.scalars(
        select(TopicSubscription.topic).where(TopicSubscription.person_id == person.id)
    )
    return set(rows)


async def toggle_district(session: AsyncSession, person: Person, district: int) -> bool:
    """Subscribe or unsubscribe; returns whether the person follows the network now."""
    if await session.get(District, district) is None:
        raise signups.Refused("district")
    return await _toggle(session, Subscription(person_id=person.id, district_number=district))


async def toggle_topic(session: AsyncSession, person: Person, topic: str) -> bool:
    if topic not in TOPICS:
        raise signups.Refused("topic")
    return await _toggle(session, TopicSubscription(person_id=person.id, topic=topic))


async def _toggle(session: AsyncSession, row: Subscription | TopicSubscription) -> bool:
    """Add the row, or remove it if it is there; returns whether it is there now."""
    key = tuple(getattr(row, c.key) for c in type(row).__mapper__.primary_key)
    existing = await session.get(type(row), key)
    if existing is None:
        session.add(row)
    else:
        await session.delete(existing)
    await session.commit()
    return existing is None


async def set_active(session: AsyncSession, telegram_id: int, active: bool) -> None:
    """The person blocked (or unblocked) the bot: blocked people are not written to."""
    await session.execute(update(Person).where(Person.telegram_id == telegram_id).values(active=active))
    await session.commit()
    people.forget(telegram_id)


# -- partners ---------------------------------------------------------------------------------
async def register_partner(
    session: AsyncSession, person: Person, organisation: str, district: int
) -> Partner:
    if await session.get(District, district) is None:
        raise signups.Refused("district")
    partner = await session.scalar(select(Partner).where(Partner.person_id == person.id))
    organisation = organisation[:200]
    # the same request again (a retry after an error, a double tap) does not ask the coordinators twice
    repeated = partner is not None and (partner.organisation, partner.district_number, partner.status) == (
        organisation,
        district,
        "pending",
    )
    if partner is None:
        partner = Partner(person_id=person.id, created_at=utcnow())
        session.add(partner)
    partner.organisation, partner.district_number, partner.status = organisation, district, "pending"
    if await session.get(Subscription, (person.id, district)) is None:
        session.add(Subscription(person_id=person.id, district_number=district))
    await session.flush()
    area = await signups.area_of_district(session, district)
    for chat in [] if repeated else await signups.coordinator_chats(session, area):
        await enqueue(
            session,
            chat,
            "partner_request",
            {"partner": partner.id},
            f"partner:{partner.id}:{chat}:{int(utcnow().timestamp())}",
        )
    await signups.audit(session, person, "partner_registered", detail=f"district {district}")
    await session.commit()
    return partner


async def decide_partner(
    session: AsyncSession, actor: Person, partner_id: int, confirm: bool, admin_ids: list[int]
) -> Partner:
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise signups.Refused("unknown")
    area = await signups.area_of_district(session, partner.district_number)
    if not (signups.is_admin(actor, admin_ids) or area in await signups.areas_of(session, actor)):
        await signups.audit(session, actor, "partner_decision", allowed=False, detail=f"partner {partner_id}")
        await session.commit()
        raise signups.Refused("other area")
    partner.status, partner.decided_by = ("confirmed" if confirm else "declined"), actor.id
    person = await session.get(Person, partner.person_id)
    if confirm and person.role == "resident":
        person.role = "partner"
    await enqueue(
        session,
        person.telegram_id,
        "partner_decision",
        {"partner": partner.id, "confirmed": confirm},
        f"partner_decision:{partner.id}:{partner.status}",
    )
    await signups.audit(session, actor, "partner_decision", detail=f"partner {partner_id}: {partner.status}")
    await session.commit()
    return partner


# -- meetings ---------------------------------------------------------------------------------
async def may_coordinate(session: AsyncSession, actor: Person, district: int, admin_ids: list[int]) -> bool:
    if signups.is_admin(actor, admin_ids):
        return True
    return await signups.area_of_district(session, district) in await signups.areas_of(session, actor)


async def announce_meeting(
    session: AsyncSession,
    actor: Person,
    district: int,
    starts_at: dt.datetime,
    place_text: str | None,
    agenda: str | None,
    admin_ids: list[int],
    facility_id: int | None = None,
) -> Meeting:
    if not await may_coordinate(session, actor, district, admin_ids):
        await signups.audit(session, actor, "meeting_announce", allowed=False, detail=f"district {district}")
        await session.commit()
        raise signups.Refused("other area")
    meeting = Meeting(
        district_number=district,
        starts_at=starts_at.astimezone(dt.UTC),  # stored in UTC: SQLite keeps no offset
        facility_id=facility_id,
        place_text=place_text,
        agenda=agenda,
        created_by=actor.id,
        created_at=utcnow(),
    )
    session.add(meeting)
    await session.flush()
    chats = await audience_chats(session, Audience(districts=[district]))
    await _enqueue_many(session, chats, "meeting", {"meeting": meeting.id}, f"meeting:{meeting.id}", None)
    await signups.audit(session, actor, "meeting_announce", detail=f"meeting {meeting.id}")
    await session.commit()
    return meeting


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def next_meetings(session: AsyncSession, district: int | None, limit: int = 3) -> list[Meeting]:
    query = select(Meeting).where(Meeting.starts_at >= utcnow()).order_by(Meeting.starts_at).limit(limit)
    if district is not None:
        query = query.where(Meeting.district_number == district)
    return list(await session.scalars(query))


async def remind_meetings(session: AsyncSession, now: dt.datetime | None = None) -> int:
    """The day before a meeting its network hears it again (once)."""
    now = now or utcnow()
    rows = list(
        await session.scalars(
            select(Meeting).where(
                Meeting.reminded_at.is_(None),
                Meeting.starts_at > now,
                Meeting.starts_at <= now + dt.timedelta(hours=36),
            )
        )
    )
    count = 0
    for m in rows:
        if aware(m.starts_at) - now > dt.timedelta(hours=30):
            continue  # the day before, not a day and a half
        chats = await audience_chats(session, Audience(districts=[m.district_number]))
        await _enqueue_many(
            session, chats, "meeting_reminder", {"meeting": m.id}, f"meeting_reminder:{m.id}", None
        )
        m.reminded_at = now
        count += 1
    await session.commit()
    return count


# -- broadcasts -------------------------------------------------------------------------------
@dataclass(slots=True)
class Audience:
    districts: list[int] = field(default_factory=list)
    topic: str | None = None
    partners_only: bool = False
    city_wide: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "districts": sorted(self.districts),
            "topic": self.topic,
            "partners_only": self.partners_only,
            "city_wide": self.city_wide,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            districts=list(data.get("districts") or []),
            topic=data.get("topic"),
            partners_only=bool(data.get("partners_only")),
            city_wide=bool(data.get("city_wide")),
        )


async def all_areas(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(PlanningArea.id).order_by(PlanningArea.id)))


async def districts_of_area(session: AsyncSession, area: int) -> list[int]:
    return list(await session.scalars(select(District.number).where(District.planning_area_id == area)))


def _audience_query(audience: Audience):
    query = (
        select(Person.telegram_id)
        .join(Subscription, Subscription.person_id == Person.id)
        .where(Person.active.is_(True))
        .distinct()
    )
    if not audience.city_wide:
        query = query.where(Subscription.district_number.in_(audience.districts or [-1]))
    if audience.topic:
        # people who chose topics get only those; people who chose none get everything
        chose = select(TopicSubscription.person_id)
        matches = select(TopicSubscription.person_id).where(TopicSubscription.topic == audience.topic)
        query = query.where(Person.id.not_in(chose) | Person.id.in_(matches))
    if audience.partners_only:
        query = query.join(Partner, Partner.person_id == Person.id).where(Partner.status == "confirmed")
    return query


async def audience_chats(session: AsyncSession, audience: Audience) -> list[int]:
    return sorted(set(await session.scalars(_audience_query(audience))))


async def count_audience(session: AsyncSession, audience: Audience) -> int:
    return await session.scalar(select(func.count()).select_from(_audience_query(audience).subquery())) or 0


async def may_broadcast(
    session: AsyncSession, actor: Person, audience: Audience, admin_ids: list[int]
) -> bool:
    if signups.is_admin(actor, admin_ids):
        return True
    if audience.city_wide or not audience.districts:
        return False
    areas = await signups.areas_of(session, actor)
    for district in audience.districts:
        if await signups.area_of_district(session, district) not in areas:
            return False
    return True


async def create_broadcast(
    session: AsyncSession,
    actor: Person,
    audience: Audience,
    text: str,
    admin_ids: list[int],
    *,
    photo: str | None = None,
    document: str | None = None,
    scheduled_at: dt.datetime | None = None,
) -> Broadcast:
    """Store the broadcast and one outbox row per recipient, all or nothing."""
    if not await may_broadcast(session, actor, audience, admin_ids):
        await signups.audit(session, actor, "broadcast", allowed=False, detail=str(audience.to_json())[:200])
        await session.commit()
        raise signups.Refused("audience")
    limit = MAX_CAPTION if photo or document else MAX_BROADCAST
    if not text.strip() or len(text) > limit:
        raise signups.Refused("text")
    now = utcnow()
    broadcast = Broadcast(
        created_by=actor.id,
        audience=audience.to_json(),
        text=text,
        photo=photo,
        document=document,
        scheduled_at=scheduled_at.astimezone(dt.UTC) if scheduled_at else now,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    chats = await audience_chats(session, audience)
    broadcast.recipients = len(chats)
    await _enqueue_many(
        session,
        chats,
        "broadcast",
        {"broadcast": broadcast.id},
        f"broadcast:{broadcast.id}",
        broadcast.id,
        when=broadcast.scheduled_at,
    )
    await signups.audit(
        session, actor, "broadcast", detail=f"broadcast {broadcast.id}: {len(chats)} recipients"
    )
    await session.commit()
    log.info("broadcast %s queued for %s recipients", broadcast.id, len(chats))
    return broadcast


async def _enqueue_many(
    session: AsyncSession,
    chats: list[int],
    kind: str,
    payload: dict[str, Any],
    key: str,
    broadcast_id: int | None,
    when: dt.datetime | None = None,
) -> None:
    """One outbox row per chat in a single multi-row INSERT (10,000 rows in one statement batch)."""
    if not chats:
        return
    now = utcnow()
    rows = [
        dict(
            chat_id=chat,
            kind=kind,
            payload=payload,
            dedupe_key=dedupe(f"{key}:{chat}"),
            status="pending",
            attempts=0,
            next_attempt_at=when or now,
            created_at=now,
            broadcast_id=broadcast_id,
        )
        for chat in chats
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(OutboxMessage), rows[start : start + 1000])
    owe(session)


@dataclass(slots=True)
class Report:
    recipients: int
    delivered: int
    pending: int
    blocked: int
    failed: dict[str, int]


async def report(session: AsyncSession, broadcast_id: int) -> Report:
    rows = (
        await session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status, OutboxMessage.last_error)
        )
    ).all()
    delivered = pending = blocked = 0
    failed: dict[str, int] = {}
    for status, error, count in rows:
        if status == "sent":
            delivered += count
        elif status in ("pending", "sending"):
            pending += count
        elif error and "blocked" in error:
            blocked += count
        else:
            failed[error or "unknown"] = failed.get(error or "unknown", 0) + count
    broadcast = await session.get(Broadcast, broadcast_id)
    return Report(broadcast.recipients if broadcast else 0, delivered, pending, blocked, failed)


async def due_reports(session: AsyncSession) -> list[tuple[int, int]]:
    """(broadcast, author's chat) for finished broadcasts whose author has no report yet."""
    candidates = list(
        await session.scalars(
            select(Broadcast).where(Broadcast.reported_at.is_(None), Broadcast.scheduled_at <= utcnow())
        )
    )
    due = []
    for b in candidates:
        open_rows = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.broadcast_id == b.id, OutboxMessage.status.in_(("pending", "sending")))
        )
        if open_rows:
            continue
        b.reported_at = utcnow()
        author = await session.get(Person, b.created_by) if b.created_by else None
        if author is not None:
            await enqueue(
                session, author.telegram_id, "broadcast_report", {"broadcast": b.id}, f"report:{b.id}"
            )
            due.append((b.id, author.telegram_id))
    await session.commit()
    return due


async def my_network_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """The network side of /mydata."""
    partner = await session.scalar(select(Partner).where(Partner.person_id == person.id))
    return {
        "networks": sorted(await subscribed_districts(session, person)),
        "topics": sorted(await topics_of(session, person)),
        "partner": None
        if partner is None
        else {
            "organisation": partner.organisation,
            "district": partner.district_number,
            "status": partner.status,
        },
    }
