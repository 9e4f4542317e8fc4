"""Telegram's sending limits and injected faults, for tests and benchmarks.

Limits (off unless set): messages per second in total, per private chat and per minute
to a group. A call above a limit gets Telegram's 429 with `retry_after`. Faults are
drawn per call from a seeded generator: a share of 429s, of 403s (that chat has then
blocked the bot for good, as on Telegram), of 5xx and of dropped connections. A
dropped connection or a 5xx happens before the message is recorded, so the message was
not delivered and a retry is correct.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

SENDING = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVenue", "sendLocation", "copyMessage"})


@dataclass
class Limits:
    per_second: float | None = None  # all chats together (Telegram: about 30)
    per_chat_per_second: float | None = None  # one private chat (Telegram: about 1)
    per_group_per_minute: int | None = None  # one group (Telegram: 20)
    retry_after: int = 1


@dataclass
class Faults:
    too_many: float = 0.0  # share of sending calls answered 429
    blocked: float = 0.0  # share of chats that block the bot at their next message (403)
    server_error: float = 0.0  # share answered 502
    dropped: float = 0.0  # share whose connection is closed without an answer
    retry_after: int = 1
    seed: int = 7


@dataclass
class Verdict:
    status: int
    description: str
    retry_after: int | None = None
    drop: bool = False


@dataclass
class Gate:
    """Decides, per sending call, whether Telegram would accept it."""

    limits: Limits = field(default_factory=Limits)
    faults: Faults = field(default_factory=Faults)
    blocked_chats: set[int] = field(default_factory=set)
    rejected: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # status -> count
    _all: deque = field(default_factory=deque)
    _chats: dict[int, deque] = field(default_factory=lambda: defaultdict(deque))
    _rng: random.Random | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.faults.seed)

    def check(self, method: str, chat_id: int | None, now: float | None = None) -> Verdict | None:
        if method not in SENDING or chat_id is None:
            return None
        now = time.monotonic() if now is None else now
        verdict = self._fault(chat_id) or self._limit(chat_id, now)
        if verdict is None:
            self._all.append(now)
            self._chats[chat_id].append(now)
        else:
            self.rejected[verdict.status] += 1
        return verdict

    def _fault(self, chat_id: int) -> Verdict | None:
        f, rng = self.faults, self._rng
        if chat_id in self.blocked_chats:
            return Verdict(403, "Forbidden: bot was blocked by the user")
        draw = rng.random()
        if draw < f.blocked:
            self.blocked_chats.add(chat_id)
            return Verdict(403, "Forbidden: bot was blocked by the user")
        draw -= f.blocked
        if draw < f.too_many:
            return Verdict(429, f"Too Many Requests: retry after {f.retry_after}", f.retry_after)
        draw -= f.too_many
        if draw < f.server_error:
            return Verdict(502, "Bad Gateway")
        draw -= f.server_error
        if draw < f.dropped:
            return Verdict(0, "connection dropped", drop=True)
        return None

    def _limit(self, chat_id: int, now: float) -> Verdict | None:
        lim = self.limits
        too_many = Verdict(429, f"Too Many Requests: retry after {lim.retry_after}", lim.retry_after)
        if lim.per_second is not None and _count(self._all, now, 1.0) >= lim.per_second:
            return too_many
        if chat_id < 0:
            if (
                lim.per_group_per_minute is not None
                and _count(self._chats[chat_id], now, 60.0) >= lim.per_group_per_minute
            ):
                return too_many
        elif (
            lim.per_chat_per_second is not None
            and _count(self._chats[chat_id], now, 1.0) >= lim.per_chat_per_second
        ):
            return too_many
        return None


def _count(stamps: deque, now: float, window: float) -> int:
    while stamps and stamps[0] <= now - window:
        stamps.popleft()
    return len(stamps)
