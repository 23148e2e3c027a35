"""Delivering outbox notifications over Telegram: the text is rendered here from the catalogs.

Notifications for the mediators' group (``HESHI_MEDIATORS_CHAT_ID``, kinds ``team_*``) go into the
case's own forum topic: the first one opens the topic (named by case number and category) and its id
is stored with the case; ``team_closed`` closes it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import FeedbackCb
from bot.handlers.consultation import render_notification as consultation_notification
from bot.handlers.mediator import offer_keyboard
from bot.handlers.staff import report_keyboard, suggestion_keyboard
from bot.keyboards import inline
from bot.render import notification_text
from bot.services import Backend, TeamTopic
from bot.settings import BotSettings

log = logging.getLogger(__name__)
TOPIC_NAME_LIMIT = 128  # Telegram's limit for a forum topic's name


class TelegramNotifier:
    """``NotificationSender`` for the outbox: raises when Telegram does not take the message."""

    def __init__(self, bot: Bot, settings: BotSettings, backend: Backend | None = None) -> None:
        self.bot = bot
        self.settings = settings
        self.backend = backend  # case details for handoff cards, team topics, recipients' languages

    def _markup(self, kind: str, payload: dict[str, Any], lang: str) -> InlineKeyboardMarkup | None:
        case_no = str(payload.get("case_no", ""))
        if kind in ("case_offered", "team_offered") and case_no:
            return offer_keyboard(case_no, lang)
        if kind == "feedback_request" and case_no:
            return inline([[(str(score), FeedbackCb(case_no=case_no, score=score)) for score in range(1, 6)]])
        # Staff act on a new report or suggestion right from the notice (checked when pressed).
        if kind == "report_new" and isinstance(payload.get("report_id"), int):
            return report_keyboard(payload["report_id"], "open", lang)
        if kind == "suggestion_new" and isinstance(payload.get("suggestion_id"), int):
            return suggestion_keyboard(payload["suggestion_id"], lang)
        return None

    async def _language(self, recipient_chat_id: int, payload: dict[str, Any]) -> str:
        chosen = await self.backend.language_of(recipient_chat_id) if self.backend else None
        return str(chosen or payload.get("lang") or self.settings.default_language)

    async def _with_details(self, kind: str, payload: dict[str, Any], viewer: int) -> dict[str, Any]:
        if kind not in ("case_offered", "team_offered") or "summary" in payload or not payload.get("case_no"):
            return payload
        if self.backend is None:
            return payload
        try:
            return {**payload, **await self.backend.case_details(str(payload["case_no"]), viewer)}
        except Exception:  # the card goes out with what the payload has; the mediator can open it
            log.warning("could not load details of %s for its handoff card", payload.get("case_no"))
            return payload

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        if kind.startswith("team_"):
            await self._send_to_team(recipient_chat_id, kind, payload)
            return
        lang = await self._language(recipient_chat_id, payload)
        payload = await self._with_details(kind, payload, recipient_chat_id)
        rendered = consultation_notification(kind, payload, lang)
        text, markup = rendered or (notification_text(kind, payload, lang), self._markup(kind, payload, lang))
        await self.bot.send_message(recipient_chat_id, text, reply_markup=markup)
        log.info("delivered %s to chat %s", kind, recipient_chat_id)

    # ------------------------------------------------------------------ the mediators' group
    async def _send_to_team(self, group_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        lang = self.settings.default_language
        case_no = str(payload.get("case_no") or "")
        if self.backend is None or not case_no:
            raise RuntimeError(f"{kind} needs a case and the case service")
        # The card is read by the whole group: details as a mediator sees them before accepting
        # (no contacts); the offered mediator's view is what the case service allows.
        viewer = int(payload.get("recipient_chat_id") or group_chat_id)
        payload = await self._with_details(kind, payload, viewer)
        topic = await self._topic(group_chat_id, case_no, str(payload.get("category") or ""))
        thread = topic.thread_id
        assert thread is not None
        if topic.card_message_id is not None:  # whatever happens next, the earlier offer is over
            await self._retire_card(group_chat_id, topic.card_message_id)
            await self.backend.save_team_topic(case_no, TeamTopic(thread))
        if kind == "team_closed":
            # Close first: a retry after a failed send must not post "closed" twice (the bot, an
            # admin of the group, may still post in a closed topic).
            await self._close_topic(group_chat_id, thread)
        text = notification_text(kind, payload, lang, namespace="team.notify")
        try:
            sent = await self.bot.send_message(
                group_chat_id, text, message_thread_id=thread, reply_markup=self._markup(kind, payload, lang)
            )
        except TelegramBadRequest as error:
            if "thread not found" in error.message.lower():  # someone deleted the topic: open a new one
                await self.backend.save_team_topic(case_no, TeamTopic())
            raise
        if kind == "team_offered":
            await self.backend.save_team_topic(case_no, TeamTopic(thread, sent.message_id))
        log.info("delivered %s for %s to the mediators' group", kind, case_no)

    async def _topic(self, group_chat_id: int, case_no: str, category: str) -> TeamTopic:
        assert self.backend is not None
        known = await self.backend.team_topic(case_no)
        if known.thread_id is not None:
            return known
        name = f"{case_no} {category}".strip()[:TOPIC_NAME_LIMIT]
        created = await self.bot.create_forum_topic(group_chat_id, name)
        topic = TeamTopic(created.message_thread_id)
        await self.backend.save_team_topic(case_no, topic)
        log.info("opened topic %s for %s in the mediators' group", topic.thread_id, case_no)
        return topic

    async def _retire_card(self, group_chat_id: int, message_id: int) -> None:
        """Take the buttons off an offer card that is no longer open (best effort: gone or unchanged
        cards are fine, a press on a stale card is refused by the database check anyway)."""
        try:
            await self.bot.edit_message_reply_markup(chat_id=group_chat_id, message_id=message_id)
        except TelegramBadRequest as error:
            log.info("could not retire card %s: %s", message_id, error.message)

    async def _close_topic(self, group_chat_id: int, thread: int) -> None:
        try:
            await self.bot.close_forum_topic(group_chat_id, thread)
        except TelegramBadRequest as error:
            if "topic_not_modified" not in error.message.lower():  # already closed: nothing to do
                raise
