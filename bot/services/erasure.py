"""Erasure on request (/delete): nothing that leads back to the person stays behind.

What goes, in one transaction:
- the person's record, their sign-ups, coordinator areas, network subscriptions, topics
  and partner registration;
- every outbox row owed to them, sent or not (a broadcast they were among the recipients
  of counts one recipient fewer), and every row to others not yet sent that points at
  their sign-ups or partner registration or carries their words.

What stays has no link back:
- audit entries lose the actor (the foreign key sets it to NULL) and carry a pseudonym
  instead of the reference number of each erased sign-up (`signups.erase_signups`);
- the coordinators of open sign-ups are told "withdrawn" with the reference number, once,
  and every card and relayed answer of the person in coordinators' chats is edited to
  show only the reference number and a notice (`signups.strip_cards`);
  the row that tells them keeps no text after sending, like every outbox row, and its
  key is a keyed hash (see bot.services.outbox), as are the keys of all kept rows;
- invites the person used, meetings and broadcasts they announced, partners they
  confirmed keep no pointer to them (ON DELETE SET NULL).

Sent outbox rows of other people are deleted after `QUARTIER_OUTBOX_KEEP_DAYS` anyway.
Outside the database: the person's conversation state (the FSM storage) is cleared by
the handler, Redis flood counters expire after two seconds, and logs never held personal
data (bot/logs.py).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    SIGNUP_OPEN,
    Broadcast,
    CoordinatorArea,
    Partner,
    Person,
    Signup,
    Subscription,
    TopicSubscription,
)
from bot.services import outbox, signups


async def erase_person(session: AsyncSession, person: Person, admin_ids: list[int]) -> int:
    """Erase the person everywhere; returns how many sign-ups went with them."""
    rows = list(await session.scalars(select(Signup).where(Signup.person_id == person.id)))
    for signup in rows:
        if signup.status in SIGNUP_OPEN:
            await signups.tell_withdrawn(session, signup, admin_ids)
    await signups.erase_signups(session, rows, "on request")
    partners = list(await session.scalars(select(Partner.id).where(Partner.person_id == person.id)))
    await outbox.drop_about(session, "partner", partners)
    for broadcast, count in (await outbox.forget_chat(session, person.telegram_id)).items():
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast)
            .values(recipients=Broadcast.recipients - count)
        )
    for table in (Partner, Subscription, TopicSubscription, CoordinatorArea):
        await session.execute(delete(table).where(table.person_id == person.id))
    await session.delete(person)
    await session.commit()
    return len(rows)
