"""Outages of the database or Redis: people are told, the log stays readable.

Guarantees:
- `outage_of` tells an unreachable store (connection refused or lost, a pool timeout, a
  locked SQLite file, Redis down) from any other error; the errors router then gives the
  person the translated "gerade gestört, bitte später noch einmal" note, and a button
  press gets it as the press's answer, so no button keeps spinning.
- The log says an outage once when it starts (which store, the error's type), then only
  at growing intervals while it lasts (1, 2, 4, ... minutes, at most every 15), with the
  number of updates turned away, and once when the store works again, whoever notices
  first: an update, the outbox worker, the demand log. Not one line per update: during
  an outage under load that was some 600 lines a second.
- While the database is known to be down, an update that needs it fails at once
  (StoreUnavailable) instead of waiting for the connection pool's timeout (30 s with
  nobody answered); one update every `probe_seconds` still tries, and its success ends
  the outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

log = logging.getLogger(__name__)
DATABASE, REDIS = "database", "Redis"
_DATABASE_MODULES = ("asyncpg", "aiosqlite", "sqlite3", "sqlalchemy")


def _chain(exc: BaseException | None):
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


def _raised_in(tb: TracebackType | None) -> str | None:
    """The store whose client code raised a plain OSError (asyncpg's connect does not wrap it)."""
    store = None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith("redis"):
            store = REDIS
        elif module.startswith(_DATABASE_MODULES):
            store = DATABASE
        tb = tb.tb_next
    return store


class StoreUnavailable(Exception):
    """Not tried: the store is known to be down (see OutageMonitor.may_try)."""

    def __init__(self, store: str):
        super().__init__(f"{store} known to be down")
        self.store = store


def outage_of(exc: BaseException) -> str | None:
    """DATABASE or REDIS when `exc` means that store cannot be reached now; None otherwise."""
    for e in _chain(exc):
        if isinstance(e, StoreUnavailable):
            return e.store
        if isinstance(e, redis_errors.ConnectionError | redis_errors.TimeoutError):
            return REDIS
        if isinstance(e, sa_errors.OperationalError | sa_errors.InterfaceError | sa_errors.TimeoutError):
            return DATABASE
        if isinstance(e, sa_errors.DBAPIError) and e.connection_invalidated:
            return DATABASE
        if isinstance(e, OSError) and (store := _raised_in(e.__traceback__)):
            return store
    return None


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


@dataclass(slots=True)
class _Outage:
    since: float
    error: str
    turned_away: int
    next_report: float
    interval: float
    next_probe: float


class OutageMonitor:
    def __init__(
        self,
        *,
        first_repeat: float = 60.0,
        max_repeat: float = 900.0,
        probe_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.first_repeat, self.max_repeat, self.clock = first_repeat, max_repeat, clock
        self.probe_seconds = probe_seconds
        self._down: dict[str, _Outage] = {}

    @property
    def down(self) -> bool:
        """Whether any store is known to be down (cheap: checked on every update)."""
        return bool(self._down)

    def is_down(self, store: str) -> bool:
        return store in self._down

    def may_try(self, store: str) -> bool:
        """False while `store` is known to be down, except once every `probe_seconds`."""
        outage = self._down.get(store)
        if outage is None:
            return True
        now = self.clock()
        if now < outage.next_probe:
            return False
        outage.next_probe = now + self.probe_seconds
        return True

    def report(self, exc: BaseException, *, turned_away: bool = False) -> bool:
        """Note a failure; True when it was an outage (then logged here, at most rarely)."""
        store = outage_of(exc)
        if store is None:
            return False
        now = self.clock()
        outage = self._down.get(store)
        if outage is None:
            error = type(exc).__name__
            self._down[store] = _Outage(
                now,
                error,
                int(turned_away),
                now + self.first_repeat,
                self.first_repeat,
                now + self.probe_seconds,
            )
            log.error("%s unavailable (%s): people are asked to try again later", store, error)
            return True
        outage.turned_away += int(turned_away)
        if not isinstance(exc, StoreUnavailable):
            outage.error = type(exc).__name__
        if now >= outage.next_report:
            outage.interval = min(outage.interval * 2, self.max_repeat)
            outage.next_report = now + outage.interval
            log.error(
                "%s still unavailable after %s (%s), %s updates turned away",
                store,
                _duration(now - outage.since),
                outage.error,
                outage.turned_away,
            )
        return True

    def works(self, store: str) -> None:
        """The store answered: ends its outage, if there was one (one line)."""
        outage = self._down.pop(store, None)
        if outage is not None:
            log.warning(
                "%s works again after %s, %s updates turned away meanwhile",
                store,
                _duration(self.clock() - outage.since),
                outage.turned_away,
            )
