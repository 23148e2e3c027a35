"""The resident's language: their saved choice, else their Telegram client's, else the default.

The resident is read in a short read of its own (on SQLite beside the one writer), so the update's
unit of work takes the database only when the handler needs it (a question answered from the knowledge
base never does). The reading is remembered for a short while. An update that wrote residents through
the resident service (registration, grid, consent, language, deletion) hands back what it wrote, read
inside its own transaction, and that value is remembered: a resident's first question after the
registration needs no read (in a burst of registrations that read was most of the question's wait).
Any other update of that user that used the database forgets the reading, and changes made outside
this process (the CLI) are seen within ``ttl`` seconds.

This middleware wraps the unit of work (``ServicesMiddleware``), so it sees whether the update used it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services import Backend, Resident, Services


class LanguageMiddleware(BaseMiddleware):
    def __init__(
        self,
        default: str = "zh",
        ttl: float = 30.0,
        remembered: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self.ttl, self.remembered, self.clock = ttl, remembered, clock
        self._residents: OrderedDict[int, tuple[float, Resident | None]] = OrderedDict()

    async def _resident(self, user: User, backend: Backend) -> Resident | None:
        seen = self._residents.get(user.id)
        if seen is not None and self.clock() - seen[0] < self.ttl:
            return seen[1]
        async with backend.reading() as services:
            resident = await services.residents.get(user.id)
        self._remember(user.id, resident)
        return resident

    def _remember(self, chat_id: int, resident: Resident | None) -> None:
        self._residents[chat_id] = (self.clock(), resident)
        self._residents.move_to_end(chat_id)
        while len(self._residents) > self.remembered:
            self._residents.popitem(last=False)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        backend: Backend | None = data.get("backend")
        resident = await self._resident(user, backend) if user is not None and backend is not None else None
        data["resident"] = resident
        if resident is not None:
            data["lang"] = resident.language
        elif user is not None and (user.language_code or "").startswith("en"):
            data["lang"] = "en"
        else:
            data["lang"] = self.default
        changed = True  # unless the update is known to have left the database alone
        try:
            result = await handler(event, data)
            services: Services | None = data.get("services")
            changed = services is None or services.used_database
            if services is not None:
                for chat_id, written in services.written_residents.items():
                    self._remember(chat_id, written)
                changed = changed and (user is None or user.id not in services.written_residents)
            return result
        finally:
            if user is not None and changed:
                self._residents.pop(user.id, None)
