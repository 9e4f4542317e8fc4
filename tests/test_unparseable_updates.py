"""Updates the library cannot parse, and what reaches the log from update payloads.

Issue 17, finding 9: one update with a field aiogram's models reject failed the whole
getUpdates batch; polling retried the same offset for ever, nobody got answers, and every
retry logged the batch (names, message texts, addresses) at ERROR.
"""

import asyncio
import itertools
import logging

import pytest
from aiogram.exceptions import ClientDecodeError
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy import select

from bot.factory import build_dispatcher, make_bot
from bot.logs import PersonalDataFilter
from bot.models import Person
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from knowledge.db import make_engine, make_sessionmaker
from tests.conftest import live_settings

TOKEN = "123456:UNPARSEABLE"
SECRET_TEXT = "Wo kann meine Frau Fatma Öztürk (HIV-positiv) anonym hin?"
_users = itertools.count(975_000)


@pytest.fixture
async def live(signup_engine, seeded_url, knowledge):
    # signup_engine: no notifications left owed by earlier tests (their chats are not in this sandbox)
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    dp = build_dispatcher(live_settings(sandbox, seeded_url), signup_engine, knowledge)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []


def _malformed(sandbox, user) -> dict:
    message = sandbox.user_message(user.id, text=SECRET_TEXT)
    return {"message": {**message, "date": "gestern"}}  # aiogram rejects the date


@pytest.mark.parametrize("position", ["alone", "first", "middle", "last"])
async def test_an_unparseable_update_does_not_stop_polling(live, caplog, position):
    sandbox = live
    caplog.set_level(logging.DEBUG)
    a, b, c = (sandbox.user(next(_users), first_name="Fatma") for _ in range(3))
    # the bot is waiting in a long poll: hold its answer until all are queued, so they come as one batch
    async with sandbox.new_update:
        if position == "alone":
            sandbox.updates.append({"update_id": next(sandbox.update_ids), **_malformed(sandbox, a)})
        else:
            order = {"first": [None, a, b], "middle": [a, None, b], "last": [a, b, None]}[position]
            for u in order:
                content = (
                    _malformed(sandbox, c)
                    if u is None
                    else {"message": sandbox.user_message(u.id, text="/help", entities=_command(5))}
                )
                sandbox.updates.append({"update_id": next(sandbox.update_ids), **content})
        bad_id = max(u["update_id"] for u in sandbox.updates)
        sandbox.new_update.notify_all()
    if position != "alone":
        await asyncio.gather(a.wait_for_bot(1, timeout=10), b.wait_for_bot(1, timeout=10))
    # polling goes on for everybody, and the bad update is confirmed, not fetched again and again
    late = sandbox.user(next(_users))
    update_id = await late.send_text("/help")
    await late.wait_for_bot(1, timeout=10)
    await late.wait_for_answer(update_id, timeout=10)
    assert sandbox.confirmed >= bad_id
    skipped = [r for r in caplog.records if r.name == "bot.updates"]
    assert len(skipped) == 1 and "ValidationError" in skipped[0].getMessage()
    assert not [r for r in caplog.records if r.name.startswith("aiogram") and r.levelno >= logging.ERROR]
    for secret in ("Fatma", "Öztürk", "HIV", "gestern"):
        assert secret not in caplog.text


def _command(length: int) -> list[dict]:
    return [{"type": "bot_command", "offset": 0, "length": length}]


def _record(name: str, msg: str, args: tuple, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


def _validation_error() -> ValidationError:
    try:
        Update.model_validate(
            {"update_id": 9, "message": {"message_id": 1, "date": "gestern", "text": SECRET_TEXT}}
        )
    except ValidationError as exc:
        return exc
    raise AssertionError("the update parsed")


def _formatted(record: logging.LogRecord) -> str:
    PersonalDataFilter().filter(record)
    return logging.Formatter("%(name)s: %(message)s").format(record)


def test_aiogram_failed_fetch_line_is_masked():
    decode = ClientDecodeError("Failed to deserialize object", _validation_error(), {"result": [SECRET_TEXT]})
    line = _formatted(
        _record("aiogram.dispatcher", "Failed to fetch updates - %s: %s", ("ClientDecodeError", decode))
    )
    assert line == "aiogram.dispatcher: Failed to fetch updates - ClientDecodeError: ClientDecodeError"


def test_aiogram_exception_in_update_is_one_line_without_traceback():
    try:
        int(SECRET_TEXT)  # an exception whose message quotes what a person typed
    except ValueError as exc:
        error = exc
    record = _record(
        "aiogram.event",
        "Cause exception while process update id=%d by bot id=%d\n%s: %s",
        (17, 42, "ValueError", error),
        error,
    )
    line = _formatted(record)
    assert line == "aiogram.event: Cause exception while process update id=17 by bot id=42 (ValueError)"


def test_validation_errors_lose_their_traceback_in_any_logger():
    error = _validation_error()
    line = _formatted(_record("bot.something", "could not read %s", ("it",), error))
    assert line == "bot.something: could not read it (ValidationError)"
    assert SECRET_TEXT not in line


def test_other_tracebacks_of_our_own_loggers_stay():
    try:
        raise RuntimeError("outbox broke")
    except RuntimeError as exc:
        line = _formatted(_record("bot.services.outbox", "outbox pass failed", (), exc))
    assert "Traceback" in line and "outbox broke" in line


async def test_database_errors_do_not_quote_parameters(tmp_path):
    """An error of a statement would carry its parameters (a note, a message) into a traceback."""
    from sqlalchemy.exc import DBAPIError

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (x TEXT NOT NULL UNIQUE)")
            await conn.exec_driver_sql("INSERT INTO t VALUES (?)", (SECRET_TEXT,))
            with pytest.raises(DBAPIError) as caught:
                await conn.exec_driver_sql("INSERT INTO t VALUES (?)", (SECRET_TEXT,))
    finally:
        await engine.dispose()
    assert SECRET_TEXT not in str(caught.value)


async def test_person_rows_of_skipped_updates_are_not_created(live, seeded_engine):
    sandbox = live
    u = sandbox.user(next(_users))
    update_id = await sandbox.push_update(_malformed(sandbox, u))
    late = sandbox.user(next(_users))
    await late.send_text("/help")
    await late.wait_for_bot(1, timeout=10)
    assert sandbox.confirmed >= update_id
    async with make_sessionmaker(seeded_engine)() as s:
        assert await s.scalar(select(Person.id).where(Person.telegram_id == u.id)) is None
