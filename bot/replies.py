"""Replies wait for the commit: what a handler says goes out only once its transaction is committed.

A handler answers with the ordinary aiogram calls (``message.answer``, ``query.answer``,
``edit_reply_markup``). While its update is handled, the calls that show something in the update's own
chat are queued by ``DeferredReplies`` (a request middleware on the Bot session) and sent in order once the
unit of work has committed (``ReplyQueue.send``); when the handler or the commit fails they are dropped
and the user gets the apology instead. So nothing claims success for work that was not saved, and no
database transaction is held open while Telegram answers (~0.1–0.3 s a call on the real network).

Calls that read (``getMe``, ``getFile``) and anything else not listed in ``DEFERRED`` go out at
once; the typing indicator goes out in the background. A queued call returns ``PENDING``, which has
no fields: a handler that needs the message it sends (to edit it as a long job goes on) sends it
inside ``sent_at_once()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendLocation,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

# What a user sees and a handler does not read back.
DEFERRED: tuple[type[TelegramMethod[Any]], ...] = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendLocation,
    SendVoice,
    EditMessageText,
    EditMessageReplyMarkup,
    EditMessageCaption,
    AnswerCallbackQuery,
    DeleteMessage,
)


class _Pending:
    """What a queued call returns: it is not sent yet, so there is no message to read or edit."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"a reply is sent after the commit, so its {name!r} is not known yet; "
            "send a message you need inside bot.replies.sent_at_once()"
        )

    def __repr__(self) -> str:
        return "PENDING"


PENDING: Any = _Pending()


@dataclass
class _Call:
    make_request: NextRequestMiddlewareType[Any]
    bot: Bot
    method: TelegramMethod[Any]


@dataclass
class ReplyQueue:
    """The replies of one update to its own chat, in the order the handler made them."""

    chat_id: int | None = None  # the chat the update came from
    calls: list[_Call] = field(default_factory=list)

    def holds(self, method: TelegramMethod[Any]) -> bool:
        """A reply in the update's own chat (or a button answer) waits; a message to someone else goes
        at once, because the handler may need to know whether it arrived (a mediator who never opened
        a private chat with the bot). Notices that must follow a commit go through the outbox."""
        if not isinstance(method, DEFERRED):
            return False
        target = getattr(method, "chat_id", None)
        return target is None or target == self.chat_id

    @contextmanager
    def collecting(self) -> Iterator[ReplyQueue]:
        """Queue the deferred calls made inside (the handler, within its unit of work)."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    async def send(self) -> list[Exception]:
        """Send everything queued, in order, once the transaction is committed. A call that fails is
        logged and the rest still go out (the confirmation must not be lost to an earlier hiccup);
        the failures are returned."""
        calls, self.calls = self.calls, []
        failures: list[Exception] = []
        for call in calls:
            try:
                await call.make_request(call.bot, call.method)
            except Exception as error:
                log.warning("reply %s failed after the commit: %r", type(call.method).__name__, error)
                failures.append(error)
        return failures


_current: ContextVar[ReplyQueue | None] = ContextVar("heshi_reply_queue", default=None)


@contextmanager
def sent_at_once() -> Iterator[None]:
    """Calls inside go out at once and return their real result (a progress message to edit later).
    Use it only where no database work of the update is pending: such a message may claim nothing
    that a failed commit could take back."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


class DeferredReplies(BaseRequestMiddleware):
    """Queue the calls in ``DEFERRED`` while an update is being handled (see the module docstring).

    The typing indicator (``sendChatAction``) is cosmetic: it goes out in the background, so the answer
    it announces does not wait for its round trip, and its failure is of no consequence.
    """

    def __init__(self) -> None:
        self._background: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        typing_indicator = isinstance(method, SendChatAction)  # (a flag: no narrowing of ``method``)
        if typing_indicator:
            task = asyncio.create_task(self._quietly(make_request(bot, method)))
            self._background.add(task)  # keep a reference until it is done
            task.add_done_callback(self._background.discard)
            return True
        queue = _current.get()
        if queue is None or not queue.holds(method):
            return await make_request(bot, method)
        queue.calls.append(_Call(make_request, bot, method))
        return PENDING

    @staticmethod
    async def _quietly(request: Awaitable[Any]) -> None:
        try:
            await request
        except Exception as error:
            log.debug("chat action not shown: %r", error)
