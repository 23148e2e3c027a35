"""Running the bot: opening the services, long polling, the webhook server, the sample data."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import yaml
from aiogram import Bot, Dispatcher
from aiogram.types import BotCommand

from bot import shutdown
from bot.app import build_dispatcher, create_bot
from bot.notify import TelegramNotifier
from bot.scheduler import run_forever
from bot.services import Assistant, Backend
from bot.settings import BotSettings
from bot.testing.harness import SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS
from intake.privacy import PiiMaskingFilter
from prompts import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, t

log = logging.getLogger(__name__)
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "knowledge" / "sample"


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(PiiMaskingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def load_sample_knowledge() -> int:
    """Ingest the bundled sample knowledge base (unchanged files are skipped); the units it holds."""
    from bot.adapters.answers import ingest_sources

    sources = [p for p in sorted(SAMPLE_DIR.iterdir()) if p.is_dir()]
    return ingest_sources(sources)


def load_assistant() -> Assistant:
    """The answers and triage service (``knowledge.answers``) on the local knowledge base."""
    from bot.adapters.answers import KnowledgeAssistant

    return KnowledgeAssistant.open()


async def load_backend(
    settings: BotSettings, assistant: Assistant | None = None, own_process: bool = False
) -> Backend:
    """The case service (``intake``) behind the bot's ports, with the assistant: with ``own_process``
    in a worker process (the bot's runtime), else in this one (terminal, demo)."""
    from bot.adapters.assistant_process import AssistantProcess
    from bot.adapters.intake_backend import IntakeBackend

    if assistant is None:
        assistant = await AssistantProcess.open() if own_process else await asyncio.to_thread(load_assistant)
    return await IntakeBackend.open(assistant, settings.data_dir)


def sample_people() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Communities and mediators of ``knowledge/sample/communities.yaml``, else the built-in sample."""
    path = SAMPLE_DIR / "communities.yaml"
    if not path.is_file():
        return SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    communities, mediators = [], []
    coordinators = data.get("coordinators") or []
    coordinator = int(coordinators[0]["chat_id"]) if coordinators else None
    for item in data.get("communities") or []:
        entry = {
            "code": item["code"],
            "name": item["name"],
            "level": item.get("level", "village"),
            "parent": item.get("parent"),
            "coordinator_chat_id": item.get("coordinator_chat_id", coordinator),
        }
        communities.append(entry)
        for grid in item.get("grids") or []:
            code = grid["code"] if isinstance(grid, dict) else str(grid)
            communities.append({"code": code, "name": code, "level": "grid", "parent": item["code"]})
    for item in data.get("mediators") or []:
        serves = item.get("community") or (item.get("communities") or ["QSC"])[0]
        mediators.append(
            {
                "chat_id": int(item["chat_id"]),
                "name": item["name"],
                "community": serves,
                "specialties": item.get("specialties") or [],
            }
        )
    return communities or SAMPLE_COMMUNITIES, mediators or SAMPLE_MEDIATORS


async def seed_sample(backend: Backend) -> None:
    communities, mediators = sample_people()
    seed = getattr(backend, "seed", None)
    if seed is not None:
        await seed(communities, mediators)


MENU_COMMANDS = (
    "start", "help", "mycases", "mediate", "suggest", "report", "consult", "privacy", "language",
    "cases", "reports", "suggestions", "cancel",
)


async def _set_commands(bot: Bot) -> None:
    """The command menu from the catalogs: Chinese for everyone, English for English-language clients."""
    for lang in SUPPORTED_LANGUAGES:
        commands = [BotCommand(command=c, description=t(f"commands.{c}", lang)) for c in MENU_COMMANDS]
        language_code = None if lang == DEFAULT_LANGUAGE else lang
        with contextlib.suppress(Exception):  # cosmetic: the bot works without its command menu
            await bot.set_my_commands(commands, language_code=language_code)


async def run_polling(settings: BotSettings, seed: bool = False) -> None:
    backend = await load_backend(settings, own_process=settings.assistant_process)
    if seed:
        await seed_sample(backend)
    committed = asyncio.Event()
    bot = create_bot(settings)
    dp = build_dispatcher(settings, backend, committed)
    scheduler = asyncio.create_task(
        run_forever(
            backend,
            TelegramNotifier(bot, settings, backend),
            settings.scheduler_interval,
            committed,
        )
    )
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await _set_commands(bot)
        # Until SIGINT/SIGTERM. The session stays open for the updates in flight, drained below.
        await dp.start_polling(bot, close_bot_session=False)
    finally:
        await shutdown.in_flight(dp).drain(settings.shutdown_grace)
        await shutdown.stop_task(scheduler, "scheduler")
        await bot.session.close()
        await backend.close()


async def build_webhook_app(settings: BotSettings) -> tuple[Any, Bot, Dispatcher, Backend]:
    """The aiohttp application serving Telegram's webhook POSTs, secret token checked."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    backend = await load_backend(settings, own_process=settings.assistant_process)
    committed = asyncio.Event()
    bot = create_bot(settings)
    dp = build_dispatcher(settings, backend, committed)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()

    async def on_shutdown(_: web.Application) -> None:
        # Before the request handler's own shutdown closes the Bot API session: the updates in flight
        # still send their replies.
        await shutdown.in_flight(dp).drain(settings.shutdown_grace)

    app.on_shutdown.append(on_shutdown)
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(
        app, path=settings.webhook_path
    )
    setup_application(app, dp, bot=bot)
    notifier = TelegramNotifier(bot, settings, backend)

    async def on_startup(_: web.Application) -> None:
        if settings.webhook_url:
            await bot.set_webhook(settings.webhook_url, secret_token=secret, drop_pending_updates=False)
        await _set_commands(bot)
        app["scheduler"] = asyncio.create_task(
            run_forever(backend, notifier, settings.scheduler_interval, committed)
        )

    async def on_cleanup(_: web.Application) -> None:
        await shutdown.stop_task(app["scheduler"], "scheduler")
        await backend.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app, bot, dp, backend


def run_webhook(settings: BotSettings) -> None:
    from aiohttp import web

    async def make() -> Any:
        app, *_ = await build_webhook_app(settings)
        return app

    web.run_app(make(), host=settings.webhook_host, port=settings.webhook_port)
