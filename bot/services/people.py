"""Person records: created on first contact, holding only what the conversation needs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES
from bot.models import Person
from knowledge.models import District


def _insert(session: AsyncSession):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Person)


async def get_or_create(session: AsyncSession, telegram_id: int, language_code: str | None) -> Person:
    """The person record; two first messages arriving at once must not both insert it."""
    person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    if person is None:
        stmt = _insert(session).values(telegram_id=telegram_id, telegram_language=language_code)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=[Person.telegram_id]))
        await session.commit()  # short write transactions: see demand.record
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    elif language_code and person.telegram_language != language_code:
        person.telegram_language = language_code
    return person


async def set_language(session: AsyncSession, person: Person, language: str) -> bool:
    if language not in LANGUAGES:
        return False
    person.language = language
    await session.flush()
    return True


async def set_home_district(session: AsyncSession, person: Person, number: int | None) -> bool:
    if number is not None and await session.get(District, number) is None:
        return False
    person.home_district_number = number
    await session.flush()
    return True


async def languages_of_chat(session: AsyncSession, telegram_id: int) -> tuple[str | None, str | None]:
    """(chosen, reported by Telegram) for a private chat; (None, None) for somebody unknown."""
    row = (
        await session.execute(
            select(Person.language, Person.telegram_language).where(Person.telegram_id == telegram_id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


async def by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def set_counted(session: AsyncSession, person: Person, counted: bool) -> None:
    person.counted = counted
    await session.commit()
