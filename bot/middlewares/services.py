"""One database session (unit of work) per update: committed when the handler succeeds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.services import Backend


class ServicesMiddleware(BaseMiddleware):
    def __init__(self, backend: Backend, committed: asyncio.Event | None = None) -> None:
        self.backend = backend
        self.committed = committed  # set after each commit: wakes the outbox delivery early
        self.slots = asyncio.Semaphore(max(1, backend.concurrency))

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.slots, self.backend.unit_of_work() as services:
            data["services"] = services
            result = await handler(event, data)
        if self.committed is not None:
            self.committed.set()
        for callback in services.on_commit:
            await callback()
        return result
