"""Health and metrics for operators: `/healthz`, `/readyz` and `/metrics` on an aiohttp app.

Guarantees:
- `/healthz` answers 200 while the process's event loop runs; it touches nothing else, so a
  slow database never makes an orchestrator restart a healthy process.
- `/readyz` answers 200 only when the database answers `SELECT 1`, Redis (when configured)
  answers PING, each within `PROBE_TIMEOUT` seconds, and the oldest message still owed to
  somebody is younger than `outbox_max_age` seconds; otherwise 503. Its JSON body names each
  check and its state in one word (`ok`, `down`, `late`), never an error text, an address or a
  credential.
- `/metrics` is Prometheus's text format (prometheus-client) from a registry of this
  process only: updates by kind and their handling time, answers without results, Bot API
  calls refused with 429, and, read from the database when scraped, outbox rows by status
  with the age of the oldest pending one and sign-ups by status. Counts are per process;
  Prometheus sums them over processes. No label carries a person's id, words or district
  choice: labels are update kinds, statuses and API method names only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import OutboxMessage, Signup

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2.0  # seconds a dependency may take before /readyz calls it down
OUTBOX_MAX_AGE = 600.0  # seconds the oldest owed message may wait before /readyz says late
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters of one process, kept in a registry of their own (tests build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "quartier_updates", "Updates handled, by kind", ["kind"], registry=self.registry
        )
        self.latency = Histogram(
            "quartier_update_seconds",
            "Time to handle one update, by kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.failed = Counter(
            "quartier_update_errors", "Updates whose handling raised", ["kind"], registry=self.registry
        )
        self.without_results = Counter(
            "quartier_answers_without_results",
            "Answers to a search that found no place",
            registry=self.registry,
        )
        self.answers = Counter("quartier_answers", "Answers to a search", registry=self.registry)
        self.retry_after = Counter(
            "quartier_telegram_429",
            "Bot API calls refused with 429 (retry after), by method",
            ["method"],
            registry=self.registry,
        )

    def answered(self, results: int) -> None:
        self.answers.inc()
        if results == 0:
            self.without_results.inc()


class UpdateMetrics(BaseMiddleware):
    """Outer middleware on `dp.update`: counts each update by kind and times its handling."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else "other"
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            self.metrics.failed.labels(kind).inc()
            raise
        finally:
            self.metrics.updates.labels(kind).inc()
            self.metrics.latency.labels(kind).observe(time.perf_counter() - started)


class RetryAfterCounter(BaseRequestMiddleware):
    """Session middleware: counts every call Telegram refused with 429, whoever made it."""

    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Any,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.metrics.retry_after.labels(type(method).__name__).inc()
            raise


class StoredCounts(Collector):
    """Gauges read from the database: filled by `refresh` just before each scrape."""

    def __init__(self) -> None:
        self.outbox: dict[str, int] = {}
        self.oldest_pending_s: float | None = None
        self.signups: dict[str, int] = {}
        self.database_ok = False

    async def refresh(self, engine: AsyncEngine) -> None:
        outbox, signups, oldest = await stored_counts(engine)
        self.outbox, self.signups = outbox, signups
        self.oldest_pending_s = oldest
        self.database_ok = True

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("quartier_database_up", "Whether the last scrape could read the database")
        up.add_metric([], 1.0 if self.database_ok else 0.0)
        yield up
        rows = GaugeMetricFamily("quartier_outbox_messages", "Outbox rows by status", labels=["status"])
        for status in sorted({"pending", "sending", "sent", "failed", *self.outbox}):
            rows.add_metric([status], float(self.outbox.get(status, 0)))
        yield rows
        age = GaugeMetricFamily(
            "quartier_outbox_oldest_pending_seconds", "Age of the oldest message still owed (0 when none)"
        )
        age.add_metric([], self.oldest_pending_s or 0.0)
        yield age
        signups = GaugeMetricFamily("quartier_signups", "Sign-ups by status", labels=["status"])
        for status, n in sorted(self.signups.items()):
            signups.add_metric([status], float(n))
        yield signups


async def stored_counts(engine: AsyncEngine) -> tuple[dict[str, int], dict[str, int], float | None]:
    """Outbox rows and sign-ups by status, and the age in seconds of the oldest owed row."""
    async with engine.connect() as conn:
        by_status = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        outbox = Tally(dict((await conn.execute(by_status)).all()))
        owed = OutboxMessage.status.in_(("pending", "sending"))
        oldest = (await conn.execute(select(func.min(OutboxMessage.created_at)).where(owed))).scalar()
        signups_by_status = select(Signup.status, func.count()).group_by(Signup.status)
        signups = dict((await conn.execute(signups_by_status)).all())
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite gives naive UTC back
            oldest = oldest.replace(tzinfo=dt.UTC)
        age = max(0.0, (dt.datetime.now(dt.UTC) - oldest).total_seconds())
    return dict(outbox), signups, age


Probe = Callable[[], Awaitable[str]]


def database_probe(engine: AsyncEngine) -> Probe:
    async def probe() -> str:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "ok"

    return probe


def redis_probe(redis: Any) -> Probe:
    async def probe() -> str:
        await redis.ping()
        return "ok"

    return probe


def outbox_probe(engine: AsyncEngine, max_age: float = OUTBOX_MAX_AGE) -> Probe:
    async def probe() -> str:
        _, _, oldest = await stored_counts(engine)
        return "late" if oldest is not None and oldest > max_age else "ok"

    return probe


async def run_probes(probes: dict[str, Probe], limit: float = PROBE_TIMEOUT) -> dict[str, str]:
    """Each probe's one-word state; an exception or a timeout is `down`, logged in one line."""

    async def one(name: str, probe: Probe) -> str:
        try:
            return await asyncio.wait_for(probe(), limit)
        except Exception as exc:  # any failure means not ready; the kind is logged
            log.warning("readiness: %s is down (%s)", name, type(exc).__name__)
            return "down"

    states = await asyncio.gather(*(one(n, p) for n, p in probes.items()))
    return dict(zip(probes, states, strict=True))


def add_health_routes(
    app: web.Application,
    metrics: Metrics,
    engine: AsyncEngine,
    *,
    redis: Any = None,
    outbox_max_age: float = OUTBOX_MAX_AGE,
) -> None:
    """Serve /healthz, /readyz and /metrics on `app`."""
    stored = StoredCounts()
    metrics.registry.register(stored)
    probes: dict[str, Probe] = {"database": database_probe(engine)}
    if redis is not None:
        probes["redis"] = redis_probe(redis)
    probes["outbox"] = outbox_probe(engine, outbox_max_age)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        states = await run_probes(probes)
        ready = all(s == "ok" for s in states.values())
        body = {"status": "ok" if ready else "not ready", **states}
        return web.json_response(body, status=200 if ready else 503)

    async def metrics_view(request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(stored.refresh(engine), PROBE_TIMEOUT)
        except Exception as exc:  # this process's counters are still worth serving
            stored.database_ok = False
            log.warning("metrics: database not read (%s)", type(exc).__name__)
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)


async def serve_health(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start a small server for a process that has no web server of its own (polling, worker)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
