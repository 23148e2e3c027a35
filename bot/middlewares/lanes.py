"""Form work takes turns under a burst, so that questions are not held up behind it.

All updates share one event loop, and each update in flight takes a slice of every turn of it: under a
burst (a village meeting ends and everyone writes at once) all updates progress together and all
finish late, the question a resident is waiting on among them. Form work (a button press, or anything
written while a form is open) is therefore admitted a few updates at a time, in arrival order; free
messages (questions, menu buttons, commands) go straight in. Form steps lose little: the same work is
done in order instead of all at once, and each admitted step then runs without a crowd.
(Holding back menu buttons and commands as well was measured too: registrations then queued and the
answers gained nothing.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject

FORM_WORK_AT_ONCE = 8  # form updates handled at once; more wait their turn (first come, first served)


def is_form_work(event: TelegramObject, data: dict[str, Any]) -> bool:
    """A button press, or anything written while a form (any FSM state) is open."""
    return isinstance(event, CallbackQuery) or data.get("raw_state") is not None


class FormTurns(BaseMiddleware):
    def __init__(self, at_once: int = FORM_WORK_AT_ONCE) -> None:
        self._turns = asyncio.Semaphore(at_once)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not is_form_work(event, data):
            return await handler(event, data)
        async with self._turns:
            return await handler(event, data)
