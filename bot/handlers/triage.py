"""Every free message: triaged by the assistant (off the event loop) and answered accordingly."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender

from bot.callbacks import OfferCb
from bot.keyboards import inline, main_menu
from bot.render import split_message
from bot.services import Assistant, AssistantReply, Backend, CaseDraft, Resident
from bot.settings import BotSettings
from intake.privacy import mask_pii as mask
from prompts import t

router = Router(name="triage")
log = logging.getLogger(__name__)

ASSISTANT_INPUT_LIMIT = 2000  # triage reads the start of a very long message
DRAFT_LIMIT = 5000
TYPING_AFTER = 1.0  # seconds an answer may take before "typing…" is shown


@router.message(StateFilter(None), F.text)
async def free_text(
    message: Message,
    state: FSMContext,
    resident: Resident | None,
    lang: str,
    backend: Backend,
    settings: BotSettings,
    bot: Bot,
) -> None:
    text = (message.text or "").strip()
    if not text:
        await message.answer(t("bot.triage.empty", lang))
        return
    if len(text) > ASSISTANT_INPUT_LIMIT:
        await message.answer(t("bot.triage.too_long", lang))
    community = resident.community if resident else None
    # "typing…" only when the answer is slow to come (a model, a busy moment): most answers take
    # milliseconds, and the indicator would cost a Bot API request per question.
    async with ChatActionSender(bot=bot, chat_id=message.chat.id, initial_sleep=TYPING_AFTER):
        reply = await ask(backend.assistant, text[:ASSISTANT_INPUT_LIMIT], community, lang)
    if reply.urgent or reply.intent == "urgent":
        for chunk in split_message(reply.safety or t("bot.urgent.safety", lang)):
            await message.answer(chunk, reply_markup=main_menu(lang))
        await _alert_duty(bot, settings, message, resident, text)
        return
    if (
        reply.intent in ("question", "dispute")
        and reply.answer
        and (reply.intent == "question" or reply.citations)
    ):
        for chunk in split_message(_with_sources(reply, lang)):
            await message.answer(chunk)
    if reply.intent == "dispute" or reply.offer_case is not None:
        draft = reply.offer_case or CaseDraft(category=reply.category, description=text[:DRAFT_LIMIT])
        draft.description = draft.description or text[:DRAFT_LIMIT]
        await state.update_data(offer_draft=draft.as_dict())
        key = (
            "bot.triage.dispute" if reply.intent == "dispute" and not reply.messages else "bot.ask.offer_case"
        )
        await message.answer(
            t(key, lang), reply_markup=inline([[(t("bot.ask.offer_button", lang), OfferCb(action="case"))]])
        )
    elif reply.intent in ("suggestion", "report"):
        await state.update_data(offer_text=text[:DRAFT_LIMIT])
        await message.answer(
            t(f"bot.triage.{reply.intent}", lang),
            reply_markup=inline(
                [[(t(f"bot.triage.record_{reply.intent}", lang), OfferCb(action=reply.intent))]]
            ),
        )
    elif reply.intent == "chitchat":
        await message.answer(t("bot.triage.chitchat", lang), reply_markup=main_menu(lang))


async def ask(assistant: Assistant, text: str, community: str | None, lang: str) -> AssistantReply:
    """The assistant's reply, off the event loop: from its worker process, else in a worker thread."""
    respond_async = getattr(assistant, "respond_async", None)
    if respond_async is not None:
        reply: AssistantReply = await respond_async(text, community, lang)
        return reply
    return await asyncio.to_thread(assistant.respond, text, community, lang)


def _answer_messages(reply: AssistantReply, lang: str) -> list[str]:
    if reply.intent not in ("question", "dispute"):
        return []
    if reply.messages:
        return reply.messages
    if reply.answer and (reply.intent == "question" or reply.citations):
        return split_message(_with_sources(reply, lang))
    return []


def _with_sources(reply: AssistantReply, lang: str) -> str:
    """The answer text; the citations are listed when the answer does not already name them."""
    missing = [c for c in reply.citations if c.law not in reply.answer]
    if not missing:
        return reply.answer
    lines = [f"《{c.law}》{c.article}" for c in missing]
    return reply.answer + "\n\n" + t("bot.ask.sources", lang) + "\n" + "\n".join(lines)


async def _alert_duty(
    bot: Bot, settings: BotSettings, message: Message, resident: Resident | None, text: str
) -> None:
    assert message.from_user is not None
    alert = t(
        "bot.urgent.alert",
        "zh",
        name=message.from_user.full_name,
        chat_id=message.chat.id,
        community=(resident.community if resident else None) or "?",
        text=text[:1000],
    )
    log.warning("urgent message from chat %s: %s", message.chat.id, mask(text[:200]))
    for chat_id in settings.duty_chat_ids:
        try:
            await bot.send_message(chat_id, alert)
        except Exception:  # one unreachable duty officer must not stop the others being alerted
            log.exception("could not alert duty chat %s", chat_id)


@router.message(StateFilter(None), F.caption)
async def captioned_media(message: Message, lang: str) -> None:
    await message.answer(t("bot.triage.unsupported", lang), reply_markup=main_menu(lang))


@router.message()
async def anything_else(message: Message, lang: str) -> None:
    """Stickers, voice, photos, locations outside a form: a polite pointer, nothing lost or crashed."""
    await message.answer(t("bot.triage.unsupported", lang), reply_markup=main_menu(lang))
