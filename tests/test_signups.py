"""Sign-up rules below the chat: contact details, retention, who may touch what."""

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bot.models import AuditEntry, Signup
from bot.services import people, signups
from bot.services.contact import normalise_email, normalise_phone
from knowledge.db import make_sessionmaker

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
        erased = await s.scalar(
            select(AuditEntry).where(AuditEntry.signup_ref == old.ref, AuditEntry.action == "signup_erased")
        )
        assert erased.detail == "retention"


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
