"""The scheduler inside the bot process: case clocks and outbox delivery, every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from bot.services import Backend, NotificationSender

log = logging.getLogger(__name__)


async def run_once(backend: Backend, sender: NotificationSender, now: datetime | None = None) -> int:
    """One pass: clocks first (they may write notifications), then delivery. Returns messages delivered."""
    now = now or datetime.now(UTC)
    try:
        await backend.tick(now)
    except Exception:  # a failing clock must not stop notifications from going out
        log.exception("case clock tick failed")
    return await backend.deliver_notifications(sender, now)


async def run_forever(
    backend: Backend, sender: NotificationSender, interval: float, wake: asyncio.Event | None = None
) -> None:
    """Loop until cancelled; ``wake`` lets a handler ask for an early pass (a fresh handoff)."""
    wake = wake or asyncio.Event()
    while True:
        try:
            await run_once(backend, sender)
        except Exception:
            log.exception("scheduler pass failed; retrying next interval")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await wake.wait()
