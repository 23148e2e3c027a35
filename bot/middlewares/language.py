"""The resident's language: their saved choice, else their Telegram client's, else the default.

The resident is read in a short transaction of its own, so the update's unit of work takes the
database only when the handler needs it (a question answered from the knowledge base never does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services import Backend


class LanguageMiddleware(BaseMiddleware):
    def __init__(self, default: str = "zh") -> None:
        self.default = default

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        backend: Backend | None = data.get("backend")
        resident = None
        if user is not None and backend is not None:
            async with backend.unit_of_work() as services:
                resident = await services.residents.get(user.id)
        data["resident"] = resident
        if resident is not None:
            data["lang"] = resident.language
        elif user is not None and (user.language_code or "").startswith("en"):
            data["lang"] = "en"
        else:
            data["lang"] = self.default
        return await handler(event, data)
