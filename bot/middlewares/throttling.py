"""Per-user flood control: a token bucket; a flood gets one polite warning, then silence for a while."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from prompts import t


@dataclass
class _Bucket:
    tokens: float
    updated: float
    ignored_until: float = 0.0


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(
        self, rate: float, burst: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.cooldown = rate, burst, cooldown
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def _allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn_now)."""
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        if now < bucket.ignored_until:
            return False, False
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True, False
        bucket.ignored_until = now + self.cooldown
        bucket.tokens = float(self.burst)
        return False, True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        allowed, warn = self._allow(user.id)
        if allowed:
            return await handler(event, data)
        if warn:
            lang = "en" if (user.language_code or "").startswith("en") else "zh"
            text = t("bot.errors.throttled", lang)
            if isinstance(event, Message):
                await event.answer(text)
            elif isinstance(event, CallbackQuery):
                await event.answer(text, show_alert=True)
        return None
