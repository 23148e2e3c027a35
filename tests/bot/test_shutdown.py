"""Stopping the bot ends in bounded time, whatever its handlers and its scheduler are doing.

One full run of the suite once hung for ever in a bot fixture's teardown. The cause: the outbox sent
each notification inside ``asyncio.wait_for``, which on Python 3.11 swallows a cancellation that
arrives as the send completes (CPython gh-86296); the scheduler then looped on and stopping the bot
waited for it for ever. Besides the fix, every step of a shutdown is bounded (``bot.shutdown``): the
updates in flight get a grace period and are then cancelled, named in the log.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.adapters.intake_backend import IntakeBackend
from bot.scheduler import run_forever
from bot.shutdown import stop_task
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from intake.outbox import enqueue
from tests.bot.conftest import MEDIATOR, RESIDENT, register, start_bot
from tests.bot.test_replies_after_commit import GatedAssistant

PATIENCE = 60.0  # seconds; generous for a shared machine, and far below "for ever"


class CancelledAsItDelivers:
    """A notification channel during which the bot is stopped: the scheduler is cancelled in the same
    turn of the event loop as the send completes."""

    def __init__(self) -> None:
        self.scheduler: asyncio.Task[Any] | None = None
        self.sent: list[int] = []

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.sent.append(recipient_chat_id)
        assert self.scheduler is not None
        asyncio.get_running_loop().call_soon(self.scheduler.cancel)


async def test_the_scheduler_stops_when_cancelled_as_a_notification_is_delivered(
    backend: IntakeBackend,
) -> None:
    async with backend.sessions() as session:
        await enqueue(
            session,
            recipient_chat_id=MEDIATOR,
            kind="case_offered",
            payload={"case_no": "QSC-202611-0001"},
            dedup_key="shutdown-test",
            now=datetime.now(UTC),
        )
        await session.commit()
    channel = CancelledAsItDelivers()
    channel.scheduler = asyncio.create_task(run_forever(backend, channel, interval=0.1))
    try:
        await asyncio.wait({channel.scheduler}, timeout=PATIENCE)
        assert channel.sent == [MEDIATOR]
        assert channel.scheduler.cancelled(), "the scheduler went on after it was cancelled"
    finally:
        channel.scheduler.cancel()
        await asyncio.wait({channel.scheduler}, timeout=PATIENCE)


async def _bot_with_a_held_answer(telegram: FakeTelegram) -> tuple[BotProcess, IntakeBackend, GatedAssistant]:
    assistant = GatedAssistant()
    process, backend = await start_bot(telegram, assistant)
    await register(telegram, RESIDENT)
    telegram.send_text(RESIDENT, "慢慢问：排水能经过我家院子吗？")
    assert await asyncio.to_thread(assistant.entered.wait, PATIENCE)
    return process, backend, assistant


async def test_an_update_in_flight_when_the_bot_stops_still_gets_its_reply(telegram: FakeTelegram) -> None:
    process, backend, assistant = await _bot_with_a_held_answer(telegram)
    try:
        stopping = asyncio.create_task(process.stop(grace=PATIENCE))
        await asyncio.sleep(0.3)
        assert not stopping.done(), "stop() waits for the update in flight"
        assistant.gate.set()
        assert await asyncio.wait_for(stopping, PATIENCE) == []  # nothing had to be cancelled
        assert any("第二百九十六条" in text for text in telegram.texts(RESIDENT))
    finally:
        assistant.gate.set()
        await backend.close()


async def test_a_handler_that_does_not_finish_is_cancelled_and_named(
    telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    process, backend, assistant = await _bot_with_a_held_answer(telegram)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.shutdown"):
            cancelled = await asyncio.wait_for(process.stop(grace=0.2), PATIENCE)
        (what,) = cancelled
        assert f"message from {RESIDENT}" in what and "triage.py" in what, what
        assert what in caplog.text and "cancelled" in caplog.text
        assert not any("第二百九十六条" in text for text in telegram.texts(RESIDENT))
    finally:
        assistant.gate.set()
        await backend.close()


async def test_a_task_that_ignores_its_cancellation_is_left_behind_not_waited_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        try:
            await release.wait()
        except asyncio.CancelledError:
            await release.wait()  # what a lost cancellation looks like from outside

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="bot.shutdown"):
        assert not await asyncio.wait_for(stop_task(task, "stubborn", timeout=0.2), PATIENCE)
    assert "stubborn did not end" in caplog.text and "test_shutdown.py" in caplog.text
    release.set()
    await task
