"""A whole bot process against the fake Bot API: long polling over real HTTP plus the scheduler.

Used by the end-to-end tests and the load benchmark. ``BotProcess.start()`` builds everything the way
``heshi bot run`` does, only pointed at the fake server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher

from bot import shutdown
from bot.app import build_dispatcher, create_bot
from bot.notify import TelegramNotifier
from bot.scheduler import run_forever
from bot.services import Backend
from bot.settings import BotSettings
from bot.testing.fake_telegram import FakeTelegram

SAMPLE_COMMUNITIES: list[dict[str, Any]] = [
    {"code": "YXX", "name": "云溪县", "level": "county"},
    {"code": "TYZ", "name": "桃源镇", "level": "town", "parent": "YXX"},
    {"code": "QSC", "name": "青山村", "level": "village", "parent": "TYZ", "coordinator_chat_id": 3001},
    {"code": "QSC-01", "name": "QSC-01", "level": "grid", "parent": "QSC"},
    {"code": "QSC-02", "name": "QSC-02", "level": "grid", "parent": "QSC"},
    {"code": "LSS", "name": "绿水社区", "level": "village", "parent": "TYZ", "coordinator_chat_id": 3001},
    {"code": "LSS-01", "name": "LSS-01", "level": "grid", "parent": "LSS"},
]
SAMPLE_MEDIATORS: list[dict[str, Any]] = [
    {"chat_id": 2001, "name": "王和事", "community": "QSC", "specialties": ["邻里纠纷", "土地宅基地"]},
    {"chat_id": 2002, "name": "李调解", "community": "QSC", "specialties": ["婚姻家庭", "继承赡养"]},
]


STOP_TIMEOUT = 15.0  # seconds a test bot may take to finish its handlers when stopped


@dataclass
class BotProcess:
    settings: BotSettings
    backend: Backend
    bot: Bot
    dp: Dispatcher
    notifier: TelegramNotifier
    committed: asyncio.Event
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: BotSettings, backend: Backend) -> BotProcess:
        committed = asyncio.Event()
        bot = create_bot(settings)
        dp = build_dispatcher(settings, backend, committed)
        return cls(
            settings,
            backend,
            bot,
            dp,
            TelegramNotifier(bot, settings, backend),
            committed,
        )

    async def start(self, scheduler: bool = True) -> BotProcess:
        self.tasks.append(
            asyncio.create_task(
                self.dp.start_polling(
                    self.bot, handle_signals=False, polling_timeout=1, close_bot_session=False
                )
            )
        )
        if scheduler:
            self.tasks.append(
                asyncio.create_task(
                    run_forever(self.backend, self.notifier, self.settings.scheduler_interval, self.committed)
                )
            )
        return self

    async def stop(self, grace: float = STOP_TIMEOUT) -> list[str]:
        """Stop as ``heshi bot run`` does (``bot.shutdown``), every step bounded: no new updates, the
        updates in flight get ``grace`` seconds, then the scheduler is cancelled. Returns the updates
        that had to be cancelled (also logged)."""
        tasks, self.tasks = self.tasks, []
        if tasks:
            await shutdown.stop_polling(self.dp, tasks[0])
        cancelled = await shutdown.in_flight(self.dp).drain(grace)
        for task in tasks[1:]:
            await shutdown.stop_task(task, "scheduler")
        await self.bot.session.close()
        return cancelled


def offline_settings(server: FakeTelegram, data_dir: Path, **overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "telegram_api_base": server.base_url,
        "telegram_timeout": 3.0,
        "scheduler_interval": 0.5,
        "throttle_burst": 50,
        "duty_chat_ids": [9001],
        "admin_chat_ids": [8001],
    }
    values.update(overrides)
    return BotSettings(**values)
