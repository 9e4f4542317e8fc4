"""Wiring: the Dispatcher with its routers, middlewares and shared services."""

from __future__ import annotations

import gc

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, LinkPreviewOptions
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.health import Metrics, RetryAfterCounter, UpdateMetrics
from bot.i18n import LANGUAGES, PersonI18nMiddleware, make_i18n
from bot.logs import quiet_libraries
from bot.middlewares import DbSessionMiddleware, PersonMiddleware, ThrottlingMiddleware
from bot.middlewares.throttling import MemoryBuckets, RedisBuckets
from bot.notifications import setup_background
from bot.outage import OutageMonitor
from bot.retry import RetryAfterMiddleware
from bot.services.assistant import Assistant
from bot.services.demand import DemandLog
from bot.services.people import PersonCache
from bot.session import JsonAiohttpSession
from bot.settings import Settings
from handlers import setup_routers
from knowledge.db import make_sessionmaker
from knowledge.monitoring.scrub import Wording
from knowledge.search import SearchEngine


def make_storage(settings: Settings) -> BaseStorage:
    """FSM state in Redis when configured (survives restarts), else in memory."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def build_dispatcher(
    settings: Settings,
    engine: AsyncEngine,
    search: SearchEngine,
    *,
    storage: BaseStorage | None = None,
    i18n: I18n | None = None,
) -> Dispatcher:
    quiet_libraries()  # they would log what people typed (see bot.logs)
    storage = storage or make_storage(settings)
    outage = OutageMonitor()  # one per dispatcher: the log says an outage once, not per update
    metrics = Metrics()
    demand_log = DemandLog(
        make_sessionmaker(engine), outage=outage, wording=Wording.of(search), on_answer=metrics.answered
    )
    search = search.confirmed_within(settings.dates_confirmed_months)
    assistant = Assistant(search, demand_log, settings.page_size)
    dp = Dispatcher(storage=storage, assistant=assistant, settings=settings, outage=outage)
    dp["metrics"] = metrics
    dp.update.outer_middleware(UpdateMetrics(metrics))  # outermost: the time includes every middleware
    dp.update.outer_middleware(DbSessionMiddleware(make_sessionmaker(engine), outage))
    dp.update.outer_middleware(PersonMiddleware(PersonCache(settings.person_cache_seconds)))
    i18n = i18n or make_i18n(settings.default_language)
    dp["i18n_instance"] = i18n
    PersonI18nMiddleware(i18n).setup(dp)
    redis = getattr(storage, "redis", None)
    buckets = (
        RedisBuckets(redis, settings.throttle_rate, settings.throttle_burst)
        if redis is not None
        else MemoryBuckets(settings.throttle_rate, settings.throttle_burst)
    )
    throttle = ThrottlingMiddleware(buckets)
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.include_routers(*setup_routers(settings.group_mode))
    setup_background(dp, make_sessionmaker(engine), settings)
    dp.startup.register(freeze_heap)
    return dp


async def freeze_heap() -> None:
    """Exempt everything loaded at start-up from garbage collection.

    The search index, aiogram's pydantic models and the catalogues are some 370,000
    objects that live as long as the process. Python's full collections walked all of
    them, about 150 ms each, several times a minute under load: pauses every person
    waiting at that moment would feel. Frozen, collections see only new objects.

    The first generation is also collected after 50,000 new objects instead of 700: an
    update leaves few objects behind, but with 100 people at once a young collection
    every few updates met all the requests in flight; 11% of the CPU under load went to
    collecting, 1% with the higher threshold (benchmarks/chat.py, 100 people).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # cards carry web addresses; previews would drown them


def _pin_response_models() -> list[type]:
    """Keep aiogram's parametrised Response[T] models alive for the methods the bot uses.

    aiogram builds `Response[method.__returning__]` for every API call; pydantic keeps
    parametrised generics only in a WeakValueDictionary, so after a garbage collection
    the next call builds the model class again (several ms each, seen under load in
    benchmarks/chat.py). Holding them here makes that a one-time cost.
    """
    from aiogram import methods
    from aiogram.methods.base import Response

    used = (
        methods.GetUpdates,
        methods.SendMessage,
        methods.AnswerCallbackQuery,
        methods.SendVenue,
        methods.SendDocument,
        methods.SendPhoto,
        methods.EditMessageText,
        methods.EditMessageReplyMarkup,
        methods.GetMe,
        methods.SetMyCommands,
    )
    return [Response[m.__returning__] for m in used]


_PINNED_RESPONSES: list[type] = []


def make_bot(
    token: str, api_base: str | None = None, retry_seconds: float = 30.0, metrics: Metrics | None = None
) -> Bot:
    """The bot; a reply Telegram refuses with a 429 is sent again after the wait it names."""
    if not _PINNED_RESPONSES:
        _PINNED_RESPONSES.extend(_pin_response_models())
    api = TelegramAPIServer.from_base(api_base) if api_base else None
    session = JsonAiohttpSession(api=api) if api else JsonAiohttpSession()
    session.middleware(RetryAfterMiddleware(max_wait=retry_seconds))
    if metrics is not None:  # inside the retry: every refusal counts, also those retried
        session.middleware(RetryAfterCounter(metrics))
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview=NO_PREVIEW),
    )


async def set_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu in every language (Telegram shows the one matching the app)."""
    names = ("start", "help", "language", "subscriptions", "mydata", "withdraw", "delete", "about", "privacy")
    for lang in LANGUAGES:
        with i18n.context(), i18n.use_locale(lang):
            from aiogram.utils.i18n import gettext as _

            descriptions = {
                "start": _("Start and main menu"),
                "help": _("What I can do"),
                "language": _("Change language"),
                "about": _("Data sources and licences"),
                "privacy": _("Privacy"),
                "mydata": _("What is stored about me"),
                "subscriptions": _("District networks and their news"),
                "withdraw": _("Withdraw a sign-up"),
                "delete": _("Delete all my data"),
            }
            commands = [BotCommand(command=n, description=descriptions[n]) for n in names]
            await bot.set_my_commands(commands, language_code=None if lang == "de" else lang)
