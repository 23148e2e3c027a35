"""Stopping the bot in bounded time, saying what was still running.

aiogram's ``stop_polling`` ends the polling loop but neither waits for the updates being handled
(each runs in a task of its own) nor stops them: left alone, a handler goes on after the database and
the Bot API session are closed under it, and a task that does not end when cancelled blocks whoever
awaits it for ever. So a shutdown here is a sequence of bounded steps:

1. stop taking updates (``stop_polling``, or the webhook server stops);
2. ``InFlightUpdates.drain``: wait up to a grace period for the updates in flight to finish (their
   replies are sent after their commit), then cancel the rest, logging each with its update and the
   line it was waiting on;
3. ``stop_task`` for the scheduler and any other background task: cancel, wait a bounded time, log a
   task that did not end;
4. close the Bot API session and the database.

A task that ignores its cancellation is logged and left behind rather than waited for.
"""

from __future__ import annotations

import asyncio
import logging
import sysconfig
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

log = logging.getLogger(__name__)

CANCEL_GRACE = 5.0  # seconds a cancelled task gets to unwind (roll back, return its connection)
IN_FLIGHT_KEY = "in_flight"  # where build_dispatcher puts the InFlightUpdates of a Dispatcher


def describe_update(update: Update) -> str:
    """"update 12 (message from 1001)": enough to find it in the logs, no personal data."""
    kind = update.event_type
    user = getattr(update.event, "from_user", None)
    sender = f" from {user.id}" if user is not None else ""
    return f"update {update.update_id} ({kind}{sender})"


def waiting_at(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended: the innermost line of our own code in its chain of awaited
    coroutines, and the library call it waits in ("bot/handlers/triage.py:47 free_text → asyncio/
    threads.py:25 to_thread")."""
    frames = []
    coroutine: Any = task.get_coro()
    for _ in range(100):  # a bound: awaiting chains are short
        frame = getattr(coroutine, "cr_frame", None) or getattr(coroutine, "ag_frame", None)
        if frame is not None:
            frames.append(frame)
        coroutine = getattr(coroutine, "cr_await", None) or getattr(coroutine, "ag_await", None)
        if coroutine is None:
            break
    if not frames:
        return "?"
    own = [frame for frame in frames if _ours(frame.f_code.co_filename)]
    shown = [own[-1], frames[-1]] if own and own[-1] is not frames[-1] else [frames[-1]]
    return " → ".join(f"{_short(f.f_code.co_filename)}:{f.f_lineno} {f.f_code.co_name}" for f in shown)


_LIBRARIES = tuple(
    str(Path(path).resolve()) for path in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]}
)
_ROOT = Path(__file__).resolve().parents[1]


def _ours(filename: str) -> bool:
    return not str(Path(filename).resolve()).startswith(_LIBRARIES)


def _short(filename: str) -> str:
    path = Path(filename).resolve()
    for base in (_ROOT, *map(Path, _LIBRARIES)):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.name


class InFlightUpdates(BaseMiddleware):
    """Outer middleware on ``dp.update``: remembers the task handling each update until it is done."""

    def __init__(self) -> None:
        self._running: dict[asyncio.Task[Any], str] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is None or not isinstance(event, Update):
            return await handler(event, data)
        self._running[task] = describe_update(event)
        try:
            return await handler(event, data)
        finally:
            self._running.pop(task, None)

    async def drain(self, grace: float) -> list[str]:
        """Wait up to ``grace`` seconds for the updates in flight, then cancel what is left. Returns a
        description of each update that had to be cancelled (each is also logged)."""
        running = {task: what for task, what in self._running.items() if task is not asyncio.current_task()}
        if not running:
            return []
        log.info("shutdown: waiting up to %g s for %d update(s) in flight", grace, len(running))
        _, pending = await asyncio.wait(running, timeout=grace)
        left = [f"{running[task]} at {waiting_at(task)}" for task in pending]
        for what in left:
            log.warning("shutdown: %s still running after %g s; cancelled", what, grace)
        for task in pending:
            task.cancel()
        if pending:
            _, stuck = await asyncio.wait(pending, timeout=CANCEL_GRACE)
            for task in stuck:
                log.error(
                    "shutdown: %s did not end %g s after being cancelled (at %s); left behind",
                    running[task],
                    CANCEL_GRACE,
                    waiting_at(task),
                )
        return left


def in_flight(dp: Dispatcher) -> InFlightUpdates:
    tracker = dp.workflow_data.get(IN_FLIGHT_KEY)
    if not isinstance(tracker, InFlightUpdates):
        raise LookupError("this Dispatcher was not built by bot.app.build_dispatcher")
    return tracker


async def stop_task(task: asyncio.Task[Any], name: str, timeout: float = CANCEL_GRACE) -> bool:
    """Cancel ``task`` and wait at most ``timeout`` seconds for it to end. True when it ended; a task
    that did not is logged with the line it is at and left behind."""
    if task is asyncio.current_task():
        return False
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        where = waiting_at(task)
        log.error("shutdown: %s did not end %g s after being cancelled (at %s)", name, timeout, where)
        return False
    if not task.cancelled() and task.exception() is not None:
        log.warning("shutdown: %s ended with %r", name, task.exception())
    return True


async def stop_polling(dp: Dispatcher, polling: asyncio.Task[Any], timeout: float = CANCEL_GRACE) -> None:
    """Stop taking updates: ask the Dispatcher to stop polling; if it has not within ``timeout``
    seconds, cancel the polling task (bounded as well)."""
    if polling.done():
        return
    try:
        async with asyncio.timeout(timeout):  # not wait_for: on Python 3.11 it can swallow a cancellation
            await dp.stop_polling()
    except RuntimeError:  # polling had not started yet: the task is cancelled below
        pass
    except TimeoutError:
        log.warning("shutdown: polling did not stop within %g s (at %s)", timeout, waiting_at(polling))
    await stop_task(polling, "polling", timeout)
