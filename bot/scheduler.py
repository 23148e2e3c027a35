"""The scheduler inside the bot process: case clocks and outbox delivery, every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from bot.services import Backend, NotificationSender

log = logging.getLogger(__name__)


async def run_once(
    backend: Backend, sender: NotificationSender, now: datetime | None = None, clocks: bool = True
) -> int:
    """One pass: clocks first (they may write notifications), then delivery. Returns messages delivered."""
    now = now or datetime.now(UTC)
    if clocks:
        try:
            await backend.tick(now)
        except Exception:  # a failing clock must not stop notifications from going out
            log.exception("case clock tick failed")
    return await backend.deliver_notifications(sender, now)


async def run_forever(
    backend: Backend, sender: NotificationSender, interval: float, wake: asyncio.Event | None = None
) -> None:
    """Loop until cancelled. The clocks run every ``interval`` seconds; ``wake`` (set after each
    committed update) asks for an early delivery pass so a fresh handoff goes out at once."""
    wake = wake or asyncio.Event()
    loop = asyncio.get_running_loop()
    last_clocks = -interval
    while True:
        clocks = loop.time() - last_clocks >= interval
        if clocks:
            last_clocks = loop.time()
        try:
            await run_once(backend, sender, clocks=clocks)
        except Exception:
            log.exception("scheduler pass failed; retrying next interval")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await wake.wait()
