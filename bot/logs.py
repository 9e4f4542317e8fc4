"""Logging without personal data.

The bot's own log lines carry ids and reference numbers only. Two libraries would log
what people typed: aiosqlite logs every statement with its parameters at DEBUG, and
SQLAlchemy's engine echo does the same at INFO; they are held at WARNING whatever the
level asked for. As a second line of defence a filter masks e-mail addresses and
phone-like digit runs in every record that reaches the handlers.

Update payloads never reach the log: aiogram's own lines (aiogram.*) are cut to their
first line, exceptions among their arguments to their type, and their tracebacks to the
exception's type, because an exception's message can quote what a person typed (a
pydantic error quotes the rejected input, ClientDecodeError a whole getUpdates batch).
The same holds for any record whose exception is such a validation error. Updates the
library cannot parse are skipped earlier with a masked line (bot/updates.py).
"""

from __future__ import annotations

import logging
import re
import warnings

from aiogram.exceptions import ClientDecodeError
from pydantic import ValidationError

QUIET = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ()/-]{6,}\d")


QUOTING = (ValidationError, ClientDecodeError)  # their messages quote the input they rejected


def _quotes_input(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, QUOTING):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _one_line(record: logging.LogRecord) -> None:
    """The record's first line, exceptions named by type only, no traceback."""
    if isinstance(record.args, tuple):
        record.args = tuple(type(a).__name__ if isinstance(a, BaseException) else a for a in record.args)
    try:
        message = record.getMessage().split("\n", 1)[0]
    except (TypeError, ValueError):
        message = str(record.msg).split("\n", 1)[0]
    if record.exc_info and record.exc_info[1] is not None:
        message = f"{message} ({type(record.exc_info[1]).__name__})"
    record.msg, record.args = message, None
    record.exc_info, record.exc_text, record.stack_info = None, None, None


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if record.name.startswith("aiogram") or _quotes_input(exc):
            _one_line(record)
        message = record.getMessage()
        masked = PHONE.sub("[number]", EMAIL.sub("[e-mail]", message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


def quiet_libraries() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # aiogram warns about an update of a kind it does not know with the whole update in the text;
    # such an update is not handled anyway
    warnings.filterwarnings("ignore", message="Detected unknown update type", category=RuntimeWarning)


def configure_logging(level: str | int = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
