"""Sign-up rules below the chat: contact details, retention, who may touch what."""

import asyncio
import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from bot.models import AuditEntry, CoordinatorArea, OutboxMessage, Person, Signup
from bot.services import people, signups
from bot.services.contact import normalise_email, normalise_phone
from knowledge.db import make_sessionmaker
from knowledge.models import District

_ids = itertools.count(8_800_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0721 133-5101", "+497211335101"),
        ("+49 (0)721 1335101", "+497211335101"),
        ("0176 12345678", "+4917612345678"),
        ("12", None),
        ("0721", None),
        ("call me", None),
    ],
)
def test_phone_numbers_are_validated_and_normalised(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Helfer@Example.org ", "Helfer@example.org"), ("no-at-sign.org", None), ("a@b", None), ("", None)],
)
def test_email_addresses_are_checked_for_syntax(text, expected):
    assert normalise_email(text) == expected


async def _signup(s, district=19, **kw):
    person = await people.get_or_create(s, next(_ids), "de")
    draft = signups.Draft(
        district=district, interests=["events"], availability=["weekends"], hours="1-4", **kw
    )
    return person, await signups.submit(s, person, draft, "de", admin_ids=[])


async def test_closed_sign_ups_are_erased_after_the_retention_period_only(signup_engine):
    async with make_sessionmaker(signup_engine)() as s:
        _p1, old = await _signup(s)
        _p2, recent = await _signup(s)
        _p3, still_open = await _signup(s)
        now = signups.utcnow()
        old.status, old.closed_at = "placed", now - dt.timedelta(days=400)
        recent.status, recent.closed_at = "withdrawn", now - dt.timedelta(days=30)
        await s.commit()
        assert await signups.erase_expired(s, retention_days=365) == 1
        refs = set(await s.scalars(select(Signup.ref)))
        assert refs == {recent.ref, still_open.ref}
        erased = await s.scalar(select(AuditEntry).where(AuditEntry.action == "signup_erased"))
        assert erased.detail == "retention" and erased.signup_ref.startswith("E-")
        # the trail of the erased sign-up is kept under the pseudonym; its number is gone
        assert await s.scalar(select(AuditEntry).where(AuditEntry.signup_ref == old.ref)) is None
        same = AuditEntry.signup_ref == erased.signup_ref
        trail = set(await s.scalars(select(AuditEntry.action).where(same)))
        assert trail == {"signup_created", "signup_erased"}


async def test_nobody_withdraws_or_answers_another_persons_sign_up(signup_engine):
    async with make_sessionmaker(signup_engine)() as s:
        _owner, signup = await _signup(s)
        stranger = await people.get_or_create(s, next(_ids), "de")
        with pytest.raises(signups.Refused):
            await signups.withdraw(s, stranger, signup.id, admin_ids=[])
        with pytest.raises(signups.Refused):
            await signups.relay_to_staff(s, stranger, signup.id, "hallo", [], "k")
        with pytest.raises(signups.Refused):
            await signups.set_status(s, stranger, signup.id, "placed", admin_ids=[])
        assert (await s.get(Signup, signup.id)).status == "new"


async def test_admins_reach_every_area_and_closed_sign_ups_stay_closed(signup_engine):
    async with make_sessionmaker(signup_engine)() as s:
        _owner, signup = await _signup(s)
        admin = await people.get_or_create(s, next(_ids), "de")
        await signups.set_status(s, admin, signup.id, "not_fit", admin_ids=[admin.telegram_id])
        with pytest.raises(signups.Refused, match="closed"):
            await signups.set_status(s, admin, signup.id, "placed", admin_ids=[admin.telegram_id])
        stored = await s.get(Signup, signup.id)
        assert stored.status == "not_fit" and stored.closed_at is not None
        assert [r.ref for r in await signups.inbox(s, admin, [admin.telegram_id])] == []


async def test_contact_details_are_kept_only_for_the_chosen_way(signup_engine):
    async with make_sessionmaker(signup_engine)() as s:
        _p, signup = await _signup(s, contact_via="bot", phone="+497211335101", email="a@example.org")
        assert (signup.phone, signup.email) == (None, None)


async def test_an_invite_opened_by_several_people_at_once_makes_one_coordinator(signup_engine):
    """Each opener's session reads the invite before any of them writes: only one may win."""
    sm = make_sessionmaker(signup_engine)
    async with sm() as s:
        area = (await s.get(District, 19)).planning_area_id
        token = await signups.create_invite(s, area, hours=1)
        await s.commit()
        openers = [(await people.get_or_create(s, next(_ids), "de")).telegram_id for _ in range(8)]

    async def open_link(telegram_id: int) -> bool:
        async with sm() as s:
            person = await people.by_telegram_id(s, telegram_id)
            try:
                await signups.redeem_invite(s, person, token)
            except signups.Refused:
                return False
            finally:
                await s.commit()
            return True

    won = await asyncio.gather(*(open_link(t) for t in openers))
    assert sum(won) == 1
    async with sm() as s:
        coordinators = await s.scalar(
            select(func.count())
            .select_from(CoordinatorArea)
            .join(Person, Person.id == CoordinatorArea.person_id)
            .where(Person.telegram_id.in_(openers))
        )
        refused = list(
            await s.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.action == "invite_redeem", AuditEntry.allowed.is_(False)
                )
            )
        )
    assert coordinators == 1 and refused == ["used"] * 7


async def test_one_consent_pressed_many_times_at_once_stores_one_sign_up(signup_engine):
    """The same draft sent 50 times concurrently: one row, and every press learns its number."""
    sm = make_sessionmaker(signup_engine)
    async with sm() as s:
        telegram_id = (await people.get_or_create(s, next(_ids), "de")).telegram_id
    draft = signups.Draft(
        district=19, interests=["events"], availability=["weekends"], hours="1-4", token=signups.new_token()
    )

    async def consent() -> str:
        async with sm() as s:
            person = await people.by_telegram_id(s, telegram_id)
            try:
                return (await signups.submit(s, person, draft, "de", admin_ids=[1])).ref
            except signups.AlreadySent as exc:
                return exc.ref

    refs = await asyncio.gather(*(consent() for _ in range(50)))
    async with sm() as s:
        stored = list(await s.scalars(select(Signup.ref)))
        notices = await s.scalar(select(func.count()).select_from(OutboxMessage))
    assert len(stored) == 1 and set(refs) == set(stored) and notices == 1
