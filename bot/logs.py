"""Logging without personal data.

The bot's own log lines carry ids and reference numbers only. Two libraries would log
what people typed: aiosqlite logs every statement with its parameters at DEBUG, and
SQLAlchemy's engine echo does the same at INFO; they are held at WARNING whatever the
level asked for. As a second line of defence a filter masks e-mail addresses and
phone-like digit runs in every record that reaches the handlers.
"""

from __future__ import annotations

import logging
import re

QUIET = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\+?\d[\d ()/-]{6,}\d")


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = PHONE.sub("[number]", EMAIL.sub("[e-mail]", message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


def quiet_libraries() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(level: str | int = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
