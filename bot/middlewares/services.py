"""One unit of work (database session) per update: committed when the handler succeeds, and only then
are the handler's replies sent.

The session takes a database connection at its first statement and gives it back at the commit, so an
update holds the database only while it works on it: not while the assistant computes an answer, and
not while Telegram receives the replies (they wait in a ``ReplyQueue`` until the commit). On SQLite the
engine's single pooled connection is the one write slot; updates queue for it in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject

from bot.replies import ReplyQueue
from bot.services import Backend


class ServicesMiddleware(BaseMiddleware):
    def __init__(self, backend: Backend, committed: asyncio.Event | None = None) -> None:
        self.backend = backend
        self.committed = committed  # set after each commit: wakes the outbox delivery early

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        replies = ReplyQueue(chat.id if chat is not None else None)
        # An error in the handler or the commit leaves this block: the queued replies are dropped and
        # the errors router apologises instead.
        with replies.collecting():
            async with self.backend.unit_of_work() as services:
                data["services"] = services
                result = await handler(event, data)
        failures = await replies.send()
        for callback in services.on_commit:  # e.g. the case number, once the case is safely stored
            await callback()
        if self.committed is not None and services.used_database:
            # It may have queued notifications: deliver them now, after the user's own replies.
            self.committed.set()
        if failures:  # saved, but the user did not hear it: the errors router apologises
            raise failures[0]
        return result
