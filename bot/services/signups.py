"""Volunteer sign-ups: stored after consent, routed to the district's coordinators.

Every read of personal data by a coordinator and every status change is audited; a
coordinator reaches only sign-ups of their own planning areas, admins reach all.
Messages the people involved are owed go through the durable outbox in the same
transaction as the change that causes them.

Coordinators' cards stay true: every card the bot sent (and every relayed answer) is
remembered by its place in the chat (`StaffCard`), and each change of the sign-up owes
every card an edit through the outbox, in the change's transaction: a new status line
and only the buttons that still apply; after a withdrawal or an erasure no contact
data and no words of the person, only the reference number and a short notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    SIGNUP_OPEN,
    AuditEntry,
    CoordinatorArea,
    Invite,
    Person,
    Signup,
    StaffCard,
)
from bot.services.outbox import aware, drop_about, enqueue, utcnow
from knowledge.models import District, PlanningArea

log = logging.getLogger(__name__)

INTERESTS = (
    "visiting",  # visiting older people
    "accompanying",  # accompanying to appointments
    "neighbourhood",  # neighbourhood help
    "children",  # children and homework
    "language",  # language partnership
    "events",  # events
    "digital",  # digital help
    "other",
)
AVAILABILITY = ("weekdays", "evenings", "weekends")
HOURS = ("1-4", "5-10", "10+")
CONTACT_VIA = ("bot", "phone", "email")
CONSENT_VERSION = "2026-11"


@dataclass(slots=True)
class Draft:
    """What the form has collected; lives only in the FSM until consent."""

    district: int | None = None
    interests: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    hours: str | None = None
    contact_via: str = "bot"
    phone: str | None = None
    email: str | None = None
    note: str | None = None
    token: str | None = None  # the consent token (see `submit`), made when the form starts

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        raw = data.get("draft") or {}
        return cls(**{k: raw[k] for k in cls.__slots__ if k in raw})

    def to_data(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class Refused(Exception):
    """The actor may not do this; nothing was changed (the refusal is audited)."""


class AlreadySent(Exception):
    """This form's consent was already stored: `ref` is the reference number it got."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


def new_token() -> str:
    return secrets.token_urlsafe(16)


def new_ref() -> str:
    # unambiguous letters and digits for reading out on the phone
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "Q-" + "".join(secrets.choice(alphabet) for _ in range(6))


async def audit(
    session: AsyncSession,
    actor: Person | None,
    action: str,
    ref: str | None = None,
    *,
    allowed: bool = True,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_person_id=actor.id if actor else None,
            action=action,
            signup_ref=ref,
            allowed=allowed,
            detail=detail,
        )
    )


# -- roles ------------------------------------------------------------------------------
async def areas_of(session: AsyncSession, person: Person) -> set[int]:
    rows = await session.scalars(
        select(CoordinatorArea.planning_area_id).where(CoordinatorArea.person_id == person.id)
    )
    return set(rows)


def is_admin(person: Person, admin_ids: list[int]) -> bool:
    return person.telegram_id in admin_ids


async def is_staff(session: AsyncSession, person: Person, admin_ids: list[int]) -> bool:
    return is_admin(person, admin_ids) or bool(await areas_of(session, person))


async def may_handle(session: AsyncSession, person: Person, signup: Signup, admin_ids: list[int]) -> bool:
    if is_admin(person, admin_ids):
        return True
    return signup.planning_area_id is not None and signup.planning_area_id in await areas_of(session, person)


async def add_coordinator(session: AsyncSession, person: Person, area_id: int) -> bool:
    if await session.get(PlanningArea, area_id) is None:
        return False
    if await session.get(CoordinatorArea, (person.id, area_id)) is None:
        session.add(CoordinatorArea(person_id=person.id, planning_area_id=area_id))
    if person.role in ("resident", "partner"):
        person.role = "coordinator"
    await audit(session, person, "coordinator_added", detail=f"area {area_id}")
    return True


async def coordinator_chats(session: AsyncSession, area_id: int | None) -> list[int]:
    if area_id is None:
        return []
    rows = await session.scalars(
        select(Person.telegram_id)
        .join(CoordinatorArea, CoordinatorArea.person_id == Person.id)
        .where(CoordinatorArea.planning_area_id == area_id)
    )
    return sorted(set(rows))


async def recipients(session: AsyncSession, signup: Signup, admin_ids: list[int]) -> list[int]:
    """The area's coordinators; the central coordination (admins) when there are none."""
    chats = await coordinator_chats(session, signup.planning_area_id)
    return chats or sorted(set(admin_ids))


async def uncovered_areas(session: AsyncSession) -> list[str]:
    """Names of the planning areas nobody coordinates (their sign-ups go to the admins)."""
    covered = select(CoordinatorArea.planning_area_id)
    return list(
        await session.scalars(
            select(PlanningArea.name).where(PlanningArea.id.not_in(covered)).order_by(PlanningArea.id)
        )
    )


async def area_name(session: AsyncSession, area_id: int | None) -> str | None:
    area = await session.get(PlanningArea, area_id) if area_id is not None else None
    return area.name if area else None


# -- invites ----------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(session: AsyncSession, area_id: int, hours: float = 72) -> str:
    if await session.get(PlanningArea, area_id) is None:
        raise ValueError(f"no planning area {area_id}")
    token = secrets.token_urlsafe(18)  # 24 characters; deep-link payloads allow 64
    session.add(
        Invite(
            token_hash=_hash(token),
            role="coordinator",
            planning_area_id=area_id,
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    await session.flush()
    return token


async def redeem_invite(session: AsyncSession, person: Person, token: str) -> int:
    """The planning area the person now coordinates; Refused for unknown, used or expired links.

    The link is consumed by one conditional UPDATE: of several people opening it at the
    same moment exactly one changes the row (the others find it used), on SQLite, where
    writers take turns, as on PostgreSQL, where the row lock makes the others re-check.
    """
    now = utcnow()
    taken = (
        await session.execute(
            update(Invite)
            .where(Invite.token_hash == _hash(token), Invite.used_at.is_(None), Invite.expires_at >= now)
            .values(used_at=now, used_by=person.id)
            .returning(Invite.planning_area_id)
        )
    ).first()
    if taken is None:
        invite = await session.scalar(select(Invite).where(Invite.token_hash == _hash(token)))
        reason = "unknown" if invite is None else ("used" if invite.used_at else "expired")
        await audit(session, person, "invite_redeem", allowed=False, detail=reason)
        raise Refused(reason)
    await add_coordinator(session, person, taken.planning_area_id)
    return taken.planning_area_id


# -- sign-ups ---------------------------------------------------------------------------
async def area_of_district(session: AsyncSession, district: int | None) -> int | None:
    if district is None:
        return None
    row = await session.get(District, district)
    return row.planning_area_id if row else None


async def submit(
    session: AsyncSession, person: Person, draft: Draft, language: str, admin_ids: list[int]
) -> Signup:
    """Store the sign-up (consent given) and owe its coordinators a notification, atomically.

    The draft's token is stored with a unique index, so the same consent stores one
    sign-up however often and however simultaneously it is sent, whatever the update
    handling: the database lets one insert through, the others raise AlreadySent with
    the reference number of the one stored (and nothing else is written for them).
    """
    now = utcnow()
    area = await area_of_district(session, draft.district)
    chats = await coordinator_chats(session, area)
    token = draft.token or new_token()
    values = dict(
        ref=new_ref(),
        person_id=person.id,
        district_number=draft.district,
        planning_area_id=area,
        unassigned=not chats,
        interests=list(draft.interests),
        availability=list(draft.availability),
        hours_per_month=draft.hours,
        contact_via=draft.contact_via,
        phone=draft.phone if draft.contact_via == "phone" else None,
        email=draft.email if draft.contact_via == "email" else None,
        note=(draft.note or None),
        language=language,
        consent_version=CONSENT_VERSION,
        consent_at=now,
        consent_token=token,
        status="new",
        created_at=now,
        updated_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    signup_id = await session.scalar(
        insert(Signup)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Signup.consent_token])
        .returning(Signup.id)
    )
    if signup_id is None:
        stored = await session.scalar(select(Signup).where(Signup.consent_token == token))
        await session.commit()  # ends the write transaction at once (SQLite has one writer)
        if stored is None or stored.person_id != person.id:
            raise Refused("consent")  # erased meanwhile
        raise AlreadySent(stored.ref)
    signup = await session.get(Signup, signup_id)
    for chat in chats or sorted(set(admin_ids)):
        await enqueue(
            session, chat, "signup_new", {"signup": signup.id}, f"signup_new:{signup.id}:{chat}", now
        )
    await audit(
        session, person, "signup_created", signup.ref, detail="unassigned" if signup.unassigned else None
    )
    await session.commit()
    log.info("sign-up %s stored for area %s (unassigned=%s)", signup.ref, area, signup.unassigned)
    if not chats and not admin_ids:  # only where `quartier run` allows it: the sandbox
        log.warning(
            "sign-up %s reaches nobody: area %s has no coordinator and no admin is set", signup.ref, area
        )
    return signup


async def get_for_staff(session: AsyncSession, actor: Person, signup_id: int, admin_ids: list[int]) -> Signup:
    """A sign-up a coordinator may see; Refused (and audited) otherwise."""
    signup = await session.get(Signup, signup_id)
    if signup is None:
        await audit(session, actor, "signup_open", allowed=False, detail="unknown")
        await session.commit()
        raise Refused("unknown")
    if not await may_handle(session, actor, signup, admin_ids):
        await audit(session, actor, "signup_open", signup.ref, allowed=False, detail="other area")
        await session.commit()
        log.warning("person %s refused access to sign-up %s", actor.id, signup.ref)
        raise Refused("other area")
    await audit(session, actor, "signup_open", signup.ref)
    return signup


STATUS_ACTIONS = {"contacted": "contacted", "placed": "placed", "not_fit": "not_fit"}


async def set_status(
    session: AsyncSession,
    actor: Person,
    signup_id: int,
    status: str,
    admin_ids: list[int],
    note: str | None = None,
    card: tuple[int, int] | None = None,
) -> Signup:
    """Change the status; `card` is the (chat, message) of the card the button was on."""
    if status not in STATUS_ACTIONS:
        raise Refused("status")
    signup = await get_for_staff(session, actor, signup_id, admin_ids)
    if card is not None:  # a card sent before cards were remembered is edited too
        await track_card(session, signup.id, *card)
    if signup.status not in SIGNUP_OPEN:
        await audit(session, actor, "status_change", signup.ref, allowed=False, detail="closed")
        await session.commit()
        raise Refused("closed")
    now = utcnow()
    signup.status, signup.updated_at = status, now
    if note is not None:
        signup.status_note = note[:1000]
    if status in ("placed", "not_fit"):
        signup.closed_at = now
    person = await session.get(Person, signup.person_id)
    await enqueue(
        session,
        person.telegram_id,
        "signup_status",
        {"signup": signup.id, "status": status},
        f"signup_status:{signup.id}:{status}",
        now,
    )
    await refresh_cards(session, signup)
    await audit(session, actor, "status_change", signup.ref, detail=status)
    await session.commit()
    return signup


async def inbox(session: AsyncSession, actor: Person, admin_ids: list[int]) -> list[Signup]:
    """Open sign-ups of the actor's areas (all for admins), oldest first."""
    query = select(Signup).where(Signup.status.in_(SIGNUP_OPEN)).order_by(Signup.created_at, Signup.id)
    if not is_admin(actor, admin_ids):
        areas = await areas_of(session, actor)
        if not areas:
            return []
        query = query.where(Signup.planning_area_id.in_(areas))
    rows = list(await session.scalars(query))
    await audit(session, actor, "inbox", detail=f"{len(rows)} open")
    await session.commit()
    return rows


async def open_signups_of(session: AsyncSession, person: Person) -> list[Signup]:
    return list(
        await session.scalars(
            select(Signup)
            .where(Signup.person_id == person.id, Signup.status.in_(SIGNUP_OPEN))
            .order_by(Signup.id)
        )
    )


async def signups_of(session: AsyncSession, person: Person) -> list[Signup]:
    return list(
        await session.scalars(select(Signup).where(Signup.person_id == person.id).order_by(Signup.id))
    )


async def own_signup(session: AsyncSession, person: Person, signup_id: int) -> Signup:
    signup = await session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id:
        raise Refused("not yours")
    return signup


# -- cards in coordinators' chats ----------------------------------------------------------
async def track_card(
    session: AsyncSession, signup_id: int, chat_id: int, message_id: int, kind: str = "card"
) -> None:
    """Remember where a card stands (the caller commits); the same message twice is kept once."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(StaffCard)
        .values(signup_id=signup_id, chat_id=chat_id, message_id=message_id, kind=kind)
        .on_conflict_do_nothing(index_elements=[StaffCard.chat_id, StaffCard.message_id])
    )


async def cards_of(session: AsyncSession, signup_ids: list[int]) -> list[StaffCard]:
    if not signup_ids:
        return []
    return list(
        await session.scalars(
            select(StaffCard).where(StaffCard.signup_id.in_(signup_ids)).order_by(StaffCard.id)
        )
    )


async def refresh_cards(session: AsyncSession, signup: Signup) -> None:
    """Owe every card of the sign-up an edit showing it as it is now (the caller commits).

    The edit is rendered at sending time from the sign-up, so a later change wins; when
    the sign-up is withdrawn the relayed answers lose the person's words as well.
    """
    await session.flush()
    for card in await cards_of(session, [signup.id]):
        if card.kind != "card" and signup.status != "withdrawn":
            continue
        await enqueue(
            session,
            card.chat_id,
            "card_edit",
            {"signup": signup.id, "message": card.message_id, "card": card.kind},
            f"card:{card.chat_id}:{card.message_id}:{signup.status}",
        )


async def strip_cards(session: AsyncSession, rows: list[Signup]) -> None:
    """Owe every card of these sign-ups (about to be erased) an edit without any of their data."""
    refs = {s.id: s.ref for s in rows}
    for card in await cards_of(session, list(refs)):
        await enqueue(
            session,
            card.chat_id,
            "card_erased",
            {"ref": refs[card.signup_id], "message": card.message_id},
            f"card_erased:{card.chat_id}:{card.message_id}",
        )
    if refs:
        await session.execute(delete(StaffCard).where(StaffCard.signup_id.in_(list(refs))))


async def tell_withdrawn(session: AsyncSession, signup: Signup, admin_ids: list[int]) -> None:
    # only the reference number: the coordinators learn nothing more about the person
    for chat in await recipients(session, signup, admin_ids):
        await enqueue(
            session, chat, "signup_withdrawn", {"ref": signup.ref}, f"signup_withdrawn:{signup.ref}:{chat}"
        )


async def withdraw(session: AsyncSession, person: Person, signup_id: int, admin_ids: list[int]) -> Signup:
    signup = await session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id or signup.status not in SIGNUP_OPEN:
        raise Refused("not yours")
    now = utcnow()
    signup.status, signup.updated_at, signup.closed_at = "withdrawn", now, now
    await tell_withdrawn(session, signup, admin_ids)
    await refresh_cards(session, signup)
    await audit(session, person, "signup_withdrawn", signup.ref)
    await session.commit()
    return signup


async def my_data(session: AsyncSession, person: Person) -> dict[str, Any]:
    """Everything stored about the person, as plain data (for /mydata)."""
    signups = list(
        await session.scalars(select(Signup).where(Signup.person_id == person.id).order_by(Signup.id))
    )

    def when(v: dt.datetime | None) -> str | None:
        return aware(v).isoformat() if v else None

    return {
        "person": {
            "telegram_id": person.telegram_id,
            "language": person.language,
            "telegram_language": person.telegram_language,
            "home_district": person.home_district_number,
            "role": person.role,
            "created_at": when(person.created_at),
        },
        "coordinates_areas": sorted(await areas_of(session, person)),
        "signups": [
            {
                "ref": s.ref,
                "status": s.status,
                "district": s.district_number,
                "planning_area": s.planning_area_id,
                "interests": s.interests,
                "availability": s.availability,
                "hours_per_month": s.hours_per_month,
                "contact_via": s.contact_via,
                "phone": s.phone,
                "email": s.email,
                "note": s.note,
                "consent_version": s.consent_version,
                "consent_at": when(s.consent_at),
                "created_at": when(s.created_at),
                "closed_at": when(s.closed_at),
            }
            for s in signups
        ],
    }


# -- relay ------------------------------------------------------------------------------
async def relay_to_person(
    session: AsyncSession, actor: Person, signup_id: int, text: str, admin_ids: list[int], message_key: str
) -> Signup:
    signup = await get_for_staff(session, actor, signup_id, admin_ids)
    if signup.status == "withdrawn":
        await audit(session, actor, "relay_to_person", signup.ref, allowed=False, detail="withdrawn")
        await session.commit()
        raise Refused("gone")
    person = await session.get(Person, signup.person_id)
    await enqueue(
        session,
        person.telegram_id,
        "relay_to_person",
        {"signup": signup.id, "text": text[:3500]},
        f"relay:{message_key}",
    )
    await audit(session, actor, "relay_to_person", signup.ref)
    if signup.status == "new":
        signup.status, signup.updated_at = "contacted", utcnow()
        await refresh_cards(session, signup)
    await session.commit()
    return signup


async def relay_to_staff(
    session: AsyncSession, person: Person, signup_id: int, text: str, admin_ids: list[int], message_key: str
) -> Signup:
    signup = await session.get(Signup, signup_id)
    if signup is None or signup.person_id != person.id:
        raise Refused("not yours")
    for chat in await recipients(session, signup, admin_ids):
        await enqueue(
            session,
            chat,
            "relay_to_staff",
            {"signup": signup.id, "text": text[:3500]},
            f"relay:{message_key}:{chat}",
        )
    await audit(session, person, "relay_to_staff", signup.ref)
    await session.commit()
    return signup


# -- housekeeping -------------------------------------------------------------------------
async def remind_stale(
    session: AsyncSession, days: float, admin_ids: list[int], now: dt.datetime | None = None
) -> int:
    """Remind coordinators of sign-ups nobody handled for `days` (once per period)."""
    now = now or utcnow()
    limit = now - dt.timedelta(days=days)
    rows = list(await session.scalars(select(Signup).where(Signup.status == "new")))
    count = 0
    for s in rows:
        last = aware(s.reminded_at or s.updated_at)
        if last > limit:
            continue
        for chat in await recipients(session, s, admin_ids):
            await enqueue(
                session,
                chat,
                "signup_reminder",
                {"signup": s.id},
                f"reminder:{s.id}:{chat}:{now.date()}",
                now,
            )
        s.reminded_at = now
        count += 1
    await session.commit()
    return count


async def erase_signups(session: AsyncSession, rows: list[Signup], why: str) -> None:
    """Delete sign-ups so that nothing leads back to them (the caller commits).

    The audit trail stays, but every entry of a sign-up carries a random pseudonym
    (`E-…`) instead of its reference number from now on, so the trail still shows what
    happened to one sign-up, and nobody holding the number can find it. Outbox rows not
    yet sent that point at the sign-ups go too.
    """
    for signup in rows:
        pseudonym = "E-" + new_ref()[2:]
        await session.execute(
            update(AuditEntry).where(AuditEntry.signup_ref == signup.ref).values(signup_ref=pseudonym)
        )
        await audit(session, None, "signup_erased", pseudonym, detail=why)
    await strip_cards(session, rows)
    await drop_about(session, "signup", [s.id for s in rows])
    if rows:
        await session.execute(delete(Signup).where(Signup.id.in_([s.id for s in rows])))


async def erase_expired(session: AsyncSession, retention_days: int, now: dt.datetime | None = None) -> int:
    """Erase sign-ups closed longer ago than the retention period."""
    now = now or utcnow()
    limit = now - dt.timedelta(days=retention_days)
    rows = list(await session.scalars(select(Signup).where(Signup.closed_at.is_not(None))))
    expired = [s for s in rows if aware(s.closed_at) < limit]
    await erase_signups(session, expired, "retention")
    await session.commit()
    return len(expired)


async def signups_for_export(session: AsyncSession, area_id: int) -> list[Signup]:
    return list(
        await session.scalars(
            select(Signup).where(Signup.planning_area_id == area_id).order_by(Signup.created_at, Signup.id)
        )
    )
