"""Delivering outbox notifications over Telegram: the text is rendered here from the catalogs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import FeedbackCb
from bot.handlers.consultation import render_notification as consultation_notification
from bot.handlers.mediator import offer_keyboard
from bot.keyboards import inline
from bot.render import notification_text
from bot.settings import BotSettings

log = logging.getLogger(__name__)
CaseDetails = Callable[[str, int], Awaitable[dict[str, Any]]]


class TelegramNotifier:
    """``NotificationSender`` for the outbox: raises when Telegram does not take the message."""

    def __init__(self, bot: Bot, settings: BotSettings, details: CaseDetails | None = None) -> None:
        self.bot = bot
        self.settings = settings
        self.details = details  # fills a handoff card (summary, place, age) when the payload is short

    def _markup(self, kind: str, payload: dict[str, Any], lang: str) -> InlineKeyboardMarkup | None:
        case_no = str(payload.get("case_no", ""))
        if kind == "case_offered" and case_no:
            return offer_keyboard(case_no, lang)
        if kind == "feedback_request" and case_no:
            return inline([[(str(score), FeedbackCb(case_no=case_no, score=score)) for score in range(1, 6)]])
        return None

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        lang = str(payload.get("lang") or self.settings.default_language)
        if kind == "case_offered" and "summary" not in payload and self.details and payload.get("case_no"):
            try:
                payload = {**payload, **await self.details(str(payload["case_no"]), recipient_chat_id)}
            except Exception:  # the card goes out with what the payload has; the mediator can open it
                log.warning("could not load details of %s for its handoff card", payload.get("case_no"))
        rendered = consultation_notification(kind, payload, lang)
        text, markup = rendered or (notification_text(kind, payload, lang), self._markup(kind, payload, lang))
        await self.bot.send_message(recipient_chat_id, text, reply_markup=markup)
        log.info("delivered %s to chat %s", kind, recipient_chat_id)
