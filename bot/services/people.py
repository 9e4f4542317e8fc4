"""Person records: created on first contact, holding only what the conversation needs."""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import event, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached

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
        await session.commit()  # short write transactions: SQLite has one writer
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    elif language_code and person.telegram_language != language_code:
        person.telegram_language = language_code
    return person


class PersonCache:
    """Person records seen lately, so most updates need no database round trip.

    A question cost two transactions before it was answered, the person's record and
    the anonymous demand row; under load those round trips were most of the CPU an
    update took (benchmarks/chat.py). The cache holds a detached copy per person for
    `ttl` seconds; each update gets a detached copy of its own, added to its session
    without loading, so a handler changes its own instance and never the cached one.

    A change made through the ORM in this process drops the entry when it is flushed
    (`_forget_flushed`), and `forget` is called where persons are changed by plain
    statements. A change made by another process (the CLI giving someone a role,
    a second bot process) shows after at most `ttl` seconds.
    """

    def __init__(self, ttl: float = 30.0, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[int, tuple[float, Person]] = OrderedDict()
        self._epochs: dict[int, int] = {}  # bumped on every forget: a slower load must not win
        _CACHES.add(self)

    def get(self, telegram_id: int) -> Person | None:
        entry = self._entries.get(telegram_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[telegram_id]
            return None
        self._entries.move_to_end(telegram_id)
        return entry[1]

    def copy(self, telegram_id: int) -> Person | None:
        """A detached copy of the cached record for one update to change as it likes."""
        cached = self.get(telegram_id)
        return None if cached is None else _detached_copy(cached)

    def epoch(self, telegram_id: int) -> int:
        return self._epochs.get(telegram_id, 0)

    def put(self, person: Person, epoch: int) -> None:
        if self.ttl <= 0 or self._epochs.get(person.telegram_id, 0) != epoch:
            return
        loaded = inspect(person).dict
        if any(k not in loaded for k in _columns()):
            return  # a column expired by the last flush (last_seen_at): loading it costs a round trip
        self._entries[person.telegram_id] = (time.monotonic() + self.ttl, _detached_copy(person))
        self._entries.move_to_end(person.telegram_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, telegram_id: int) -> None:
        self._entries.pop(telegram_id, None)
        self._epochs[telegram_id] = self._epochs.get(telegram_id, 0) + 1
        if len(self._epochs) > 4 * self.size:
            self._epochs.clear()  # old epochs only guard loads in flight


_CACHES: weakref.WeakSet[PersonCache] = weakref.WeakSet()


@lru_cache(maxsize=1)
def _columns() -> tuple[str, ...]:
    return tuple(c.key for c in inspect(Person).column_attrs)


def _detached_copy(person: Person) -> Person:
    """A new instance holding the same row, as a query would have loaded it.

    The values go into the instance's dict as a load puts them there; through the
    constructor each would be an attribute event, and the copy costs three times as much.
    """
    loaded = inspect(person).dict
    copy = Person._sa_class_manager.new_instance()
    copy.__dict__.update({k: loaded[k] for k in _columns()})
    make_transient_to_detached(copy)
    return copy


def forget(telegram_id: int) -> None:
    """Drop a person from every cache of this process (after a change by statement)."""
    for cache in list(_CACHES):
        cache.forget(telegram_id)


CHANGED = "persons_changed"  # session.info key: telegram ids flushed in this transaction


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Person) and obj.telegram_id is not None:
            forget(obj.telegram_id)
            session.info.setdefault(CHANGED, set()).add(obj.telegram_id)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    # again after the commit: a load between flush and commit may have read the old row
    for telegram_id in session.info.pop(CHANGED, ()):
        forget(telegram_id)


@event.listens_for(Session, "after_rollback")
def _drop_changed(session: Session) -> None:
    session.info.pop(CHANGED, None)


async def current(
    session: AsyncSession, telegram_id: int, language_code: str | None, cache: PersonCache
) -> Person:
    """The person of this update, from the cache when it is fresh, else from the database."""
    person = cache.copy(telegram_id)
    if person is not None and (not language_code or person.telegram_language == language_code):
        # adding a detached record issues no SQL; the update's session may not even open
        session.add(person)
        return person
    epoch = cache.epoch(telegram_id)
    person = await get_or_create(session, telegram_id, language_code)
    # hand the connection back while the handler works and talks to Telegram:
    # a pooled connection held for a whole update caps how many people are served at once
    await session.commit()
    cache.put(person, epoch)
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
