"""The one place where the bot is composed: session, Bot, Dispatcher, middlewares, routers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter, TelegramServerError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.handlers import (
    admin,
    consultation,
    errors,
    intake_form,
    mediator,
    menu,
    mycases,
    participation,
    privacy,
    staff,
    start,
    switch_language,
    triage,
)
from bot.middlewares import (
    LanguageMiddleware,
    SerialPerUserMiddleware,
    ServicesMiddleware,
    ThrottlingMiddleware,
)
from bot.replies import DeferredReplies
from bot.services import Backend
from bot.settings import BotSettings
from bot.shutdown import IN_FLIGHT_KEY, InFlightUpdates
from bot.storage import redis_storage

log = logging.getLogger(__name__)


class RetryTransient(BaseRequestMiddleware):
    """Retry a Bot API call Telegram refused for a moment (429 with retry_after, 5xx).

    Timeouts are not retried here: the call may have reached Telegram, and a blind retry could send the
    message twice. The outbox retries undelivered notifications on its own schedule.
    """

    def __init__(self, attempts: int = 3, max_wait: float = 10.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_wait:
                    raise
                await asyncio.sleep(error.retry_after)
            except TelegramServerError:
                if attempt == self.attempts:
                    raise
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")


class KeepResponseModels(BaseRequestMiddleware):
    """aiogram validates every Bot API answer with pydantic's generic ``Response[<result type>]``, and
    pydantic caches a parametrized model class only weakly: once the last answer of a kind is garbage,
    the next call builds the class again (~1 ms; under load ~8 % of the bot's CPU in py-spy). One
    reference per result type keeps each built once."""

    _models: ClassVar[dict[Any, Any]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._models:
            self._models[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def create_bot(settings: BotSettings, retry: bool = True) -> Bot:
    session = AiohttpSession(timeout=settings.telegram_timeout)
    if settings.telegram_api_base:
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_base), timeout=settings.telegram_timeout
        )
    session.middleware(DeferredReplies())  # outermost: a reply sent after the commit is retried too
    if retry:
        session.middleware(RetryTransient())
    session.middleware(KeepResponseModels())
    return Bot(settings.telegram_token.get_secret_value(), session=session, default=DefaultBotProperties())


def fsm_storage(settings: BotSettings, backend: Backend) -> BaseStorage:
    if settings.redis_url is not None:
        return redis_storage(settings.redis_url.get_secret_value())
    return backend.fsm_storage()


def build_dispatcher(
    settings: BotSettings,
    backend: Backend,
    committed: asyncio.Event | None = None,
    storage: BaseStorage | None = None,
    **workflow: Any,
) -> Dispatcher:
    dp = Dispatcher(
        storage=storage or fsm_storage(settings, backend), settings=settings, backend=backend, **workflow
    )
    tracker = InFlightUpdates()  # a shutdown waits for these, bounded (bot.shutdown)
    dp[IN_FLIGHT_KEY] = tracker
    dp.update.outer_middleware(tracker)
    throttling = ThrottlingMiddleware(
        settings.throttle_rate, settings.throttle_burst, settings.throttle_cooldown
    )
    serial = SerialPerUserMiddleware()
    services = ServicesMiddleware(backend, committed)  # one instance: its slots are shared by all updates
    language = LanguageMiddleware(settings.default_language)
    # Conversations are private. In the mediators' group the bot only posts cards and takes their
    # buttons; whatever members write there is not for the bot.
    dp.message.filter(F.chat.type == "private")
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(throttling)
        observer.outer_middleware(serial)
        observer.outer_middleware(language)  # around the unit of work: it sees what the update changed
        observer.outer_middleware(services)
    # Order matters: forms and specific buttons first, the catch-alls (mediator's unknown button,
    # triage's free message) last.
    routers = (
        errors.router,
        start.router,
        admin.router,
        menu.router,
        switch_language.router,
        privacy.router,
        mycases.router,
        intake_form.router,
        participation.router,
        staff.router,
        consultation.router,
        mediator.router,
        triage.router,
    )
    for router in routers:
        _detach(router)
    dp.include_routers(*routers)
    filters_inline(dp)
    return dp


def filters_inline(dp: Dispatcher) -> int:
    """Evaluate plain (synchronous) filters on the event loop instead of in a worker thread.

    aiogram runs every filter that is not a coroutine function, the magic filters (``F.text.in_(...)``)
    included, through ``asyncio.to_thread``: a free message checked against every handler before the
    catch-all took dozens of hand-overs to the default executor, whose six threads it shared with the
    assistant's answers. Under a burst the filters queued there behind each other for over a second
    (``benchmarks/bot_load.py``). Ours are tiny predicates; they run inline. Returns how many."""
    changed = 0
    for router in dp.chain_tail:
        for observer in router.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for item in handler.filters or ():
                    if not item.awaitable:
                        item.callback = _awaitable(item.callback)
                        item.awaitable = True
                        changed += 1
    return changed


def _awaitable(predicate: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return predicate(*args, **kwargs)

    return inline


def _detach(router: Router) -> None:
    """Feature routers are module-level singletons; a process that builds a second Dispatcher (a
    restart in tests, the terminal chat after the demo) takes them over from the first one."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None
