"""Mediators: accept or decline a handoff, see the parties' contacts, record progress, /cases.

Every button is checked against the database by the case service: only the mediator a case is offered
to (or assigned to) can act on it; a forged or stale button gets a polite refusal and changes nothing.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import CaseCb, ReasonCb
from bot.keyboards import in_rows, inline
from bot.render import state_name
from bot.services import CaseView, ServiceError, Services
from bot.states import MediatorForm
from prompts import t

router = Router(name="mediator")
log = logging.getLogger(__name__)

WORK_ACTIONS = ("contacted", "meeting", "agreement", "failed", "refer", "note", "close")
NEEDS_NOTE = ("meeting", "agreement", "failed", "refer", "note")


def offer_keyboard(case_no: str, lang: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (t("bot.mediator.accept", lang), CaseCb(action="accept", case_no=case_no)),
                (t("bot.mediator.decline", lang), CaseCb(action="decline", case_no=case_no)),
            ]
        ]
    )


def work_keyboard(case_no: str, lang: str) -> InlineKeyboardMarkup:
    buttons = [
        (t(f"bot.mediator.actions.{a}", lang), CaseCb(action=a, case_no=case_no)) for a in WORK_ACTIONS
    ]
    return inline(in_rows(buttons, 3))


def case_card(case: CaseView, lang: str) -> str:
    none = t("bot.form.none", lang)
    return t(
        "bot.mediator.card",
        lang,
        case_no=case.case_no,
        category=case.category,
        state=state_name(case.state, lang),
        description=case.description,
        place=case.place or none,
        respondent=case.respondent or none,
        relation=case.relation or none,
        outcome=case.outcome or none,
        complainant=case.complainant_name or none,
        phone=case.complainant_phone or none,
        attachments=len(case.attachments),
    )


async def _refuse(query: CallbackQuery, error: ServiceError, lang: str) -> None:
    log.info("refused %s from %s: %s", query.data, query.from_user.id, error.key)
    await query.answer(t(error.key, lang, **error.params), show_alert=True)


def _in_group(query: CallbackQuery) -> bool:
    """A press on a card in the mediators' group (its forum topic), not in a private chat."""
    return isinstance(query.message, Message) and query.message.chat.type != "private"


async def _offer_refusal(query: CallbackQuery, services: Services, case_no: str) -> ServiceError | None:
    """Why this person may not answer the offer, per the database; None when it waits for them."""
    chat_id = query.from_user.id
    if await services.cases.is_offered_to(case_no, chat_id):
        return None
    if any(c.case_no == case_no for c in await services.cases.for_mediator(chat_id)):
        return ServiceError("bot.errors.already_yours")
    # In the group anyone can press; in a private chat only a forged or stale button gets here.
    return ServiceError("team.not_offered" if _in_group(query) else "bot.errors.intake.already_taken")


async def _send_private(bot: Bot, chat_id: int, *messages: tuple[str, InlineKeyboardMarkup | None]) -> bool:
    """Send to someone's private chat; False when Telegram refuses (they never opened one with the bot)."""
    try:
        for text, markup in messages:
            await bot.send_message(chat_id, text, reply_markup=markup)
    except (TelegramForbiddenError, TelegramBadRequest) as error:
        log.info("could not reach chat %s privately: %s", chat_id, error.message)
        return False
    return True


@router.callback_query(CaseCb.filter(F.action == "accept"))
async def accept(
    query: CallbackQuery, callback_data: CaseCb, services: Services, lang: str, bot: Bot
) -> None:
    if _in_group(query):  # anyone in the group can press: check before the case service says why not
        refusal = await _offer_refusal(query, services, callback_data.case_no)
        if refusal is not None:
            await _refuse(query, refusal, lang)
            return
    try:
        case = await services.cases.accept(callback_data.case_no, query.from_user.id)
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    if not isinstance(query.message, Message):
        await query.answer()
        return
    await query.message.edit_reply_markup(reply_markup=None)
    accepted = t("bot.mediator.accepted", lang, case_no=case.case_no)
    card = case_card(case, lang), work_keyboard(case.case_no, lang)
    if not _in_group(query):
        await query.answer()
        await query.message.answer(accepted)
        await query.message.answer(card[0], reply_markup=card[1])
        return
    # The contacts and the work buttons go to the mediator's private chat, never to the group;
    # the topic learns of the acceptance from the outbox (team_assigned).
    reached = await _send_private(bot, query.from_user.id, (accepted, None), card)
    await query.answer(t("team.accepted" if reached else "team.open_private", lang), show_alert=not reached)


@router.callback_query(CaseCb.filter(F.action == "decline"))
async def decline(
    query: CallbackQuery, callback_data: CaseCb, services: Services, state: FSMContext, lang: str, bot: Bot
) -> None:
    # Validate now (a forged button must not even open the reason prompt); decline after the reason.
    refusal = await _offer_refusal(query, services, callback_data.case_no)
    if refusal is not None:
        await _refuse(query, refusal, lang)
        return
    reasons = t("bot.mediator.decline_reasons", lang).split(",")
    prompt = t("bot.mediator.decline_reason", lang)
    keyboard = inline([[(reason, ReasonCb(index=i))] for i, reason in enumerate(reasons)])
    if _in_group(query):
        # The reason is asked in private: the group need not read it, and a bot in a group does not
        # see plain replies. The form state is the private chat's.
        user = query.from_user.id
        state = FSMContext(state.storage, StorageKey(bot_id=bot.id, chat_id=user, user_id=user))
        if not await _send_private(bot, user, (prompt, keyboard)):
            await query.answer(t("team.open_private", lang), show_alert=True)
            return
        await query.answer(t("team.decline_in_private", lang))
    else:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(prompt, reply_markup=keyboard)
    await state.set_state(MediatorForm.decline_reason)
    await state.update_data(case_no=callback_data.case_no)


async def _do_decline(
    message: Message, state: FSMContext, services: Services, chat_id: int, reason: str, lang: str
) -> None:
    case_no = (await state.get_data()).get("case_no", "")
    await state.clear()
    try:
        await services.cases.decline(case_no, chat_id, reason)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    await message.answer(t("bot.mediator.declined", lang, case_no=case_no))


@router.callback_query(MediatorForm.decline_reason, ReasonCb.filter())
async def decline_reason_button(
    query: CallbackQuery, callback_data: ReasonCb, services: Services, state: FSMContext, lang: str
) -> None:
    await query.answer()
    reasons = t("bot.mediator.decline_reasons", lang).split(",")
    if isinstance(query.message, Message) and 0 <= callback_data.index < len(reasons):
        await query.message.edit_reply_markup(reply_markup=None)
        await _do_decline(
            query.message, state, services, query.from_user.id, reasons[callback_data.index], lang
        )


@router.message(MediatorForm.decline_reason, F.text)
async def decline_reason_text(message: Message, services: Services, state: FSMContext, lang: str) -> None:
    assert message.from_user is not None and message.text is not None
    await _do_decline(message, state, services, message.from_user.id, message.text[:500], lang)


@router.callback_query(CaseCb.filter(F.action.in_(set(WORK_ACTIONS))))
async def work(
    query: CallbackQuery, callback_data: CaseCb, services: Services, state: FSMContext, lang: str
) -> None:
    try:
        case = await services.cases.view_as_mediator(callback_data.case_no, query.from_user.id)
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.action in NEEDS_NOTE:
        await state.set_state(MediatorForm.note)
        await state.update_data(case_no=case.case_no, action=callback_data.action)
        await query.message.answer(t(f"bot.mediator.ask_note.{callback_data.action}", lang))
        return
    await _record(query.message, services, query.from_user.id, case.case_no, callback_data.action, None, lang)


@router.message(MediatorForm.note, F.text | F.voice)
async def note(message: Message, services: Services, state: FSMContext, lang: str) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    text = message.text or t("bot.form.voice_saved", lang)
    await state.clear()
    await _record(
        message,
        services,
        message.from_user.id,
        data.get("case_no", ""),
        data.get("action", "note"),
        text[:2000],
        lang,
    )


async def _record(
    message: Message, services: Services, chat_id: int, case_no: str, action: str, text: str | None, lang: str
) -> None:
    try:
        case = await services.cases.progress(case_no, chat_id, action, text)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    await message.answer(
        t("bot.mediator.recorded", lang, case_no=case_no, action=t(f"bot.mediator.actions.{action}", lang))
    )
    if case.state not in ("closed", "escalated"):
        await message.answer(case_card(case, lang), reply_markup=work_keyboard(case_no, lang))


@router.message(Command("cases"))
async def my_work(message: Message, services: Services, lang: str) -> None:
    assert message.from_user is not None
    if not await services.mediators.is_mediator(message.from_user.id):
        await message.answer(t("bot.mediator.not_mediator", lang))
        return
    cases = await services.cases.for_mediator(message.from_user.id)
    if not cases:
        await message.answer(t("bot.mediator.no_cases", lang))
    for case in cases:
        await message.answer(case_card(case, lang), reply_markup=work_keyboard(case.case_no, lang))


@router.callback_query()
async def unknown_button(query: CallbackQuery, lang: str) -> None:
    """Any button nobody recognises (forged, or from an old version): refuse politely."""
    log.info("unrecognised button %r from %s", query.data, query.from_user.id)
    await query.answer(t("bot.errors.bad_button", lang), show_alert=True)
