"""Coordinators in chat: /reports and /suggestions of their communities, a report marked in progress
or fixed, a suggestion answered.

Who may see and act is decided by the case service (staff records of a community, and everything
below it); a forged button or someone else's item gets a polite refusal and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import StaffCb
from bot.keyboards import inline
from bot.render import ago
from bot.services import ReportItem, ServiceError, Services, SuggestionItem
from bot.states import StaffForm
from prompts import t

router = Router(name="staff")
log = logging.getLogger(__name__)

PAGE = 20  # cards per /reports or /suggestions message batch; 下一批 shows the next


def report_keyboard(report_id: int, state: str, lang: str) -> InlineKeyboardMarkup:
    moves = ("in_progress", "fixed") if state == "open" else ("fixed",)
    return inline([[(t(f"staff.button.{m}", lang), StaffCb(action=m, item=report_id)) for m in moves]])


def suggestion_keyboard(suggestion_id: int, lang: str) -> InlineKeyboardMarkup:
    return inline([[(t("staff.button.reply", lang), StaffCb(action="reply", item=suggestion_id))]])


def _report_text(item: ReportItem, lang: str) -> str:
    return t(
        "staff.report",
        lang,
        label=item.label,
        community=item.community + (f" · {item.grid}" if item.grid else ""),
        state=t(f"staff.state.{item.state}", lang),
        text=item.text,
        place=item.place or t("bot.form.none", lang),
        photos=item.photos,
        ago=ago(item.created_at.astimezone().replace(tzinfo=None), lang),
    )


def _suggestion_text(item: SuggestionItem, lang: str) -> str:
    when = ago(item.created_at.astimezone().replace(tzinfo=None), lang)
    return t("staff.suggestion", lang, label=item.label, community=item.community, text=item.text, ago=when)


async def _staff_only(message: Message, services: Services, lang: str) -> int | None:
    assert message.from_user is not None
    if await services.participation.is_staff(message.from_user.id):
        return message.from_user.id
    await message.answer(t("staff.not_staff", lang))
    return None


@router.message(Command("reports"))
async def reports(message: Message, services: Services, lang: str) -> None:
    chat_id = await _staff_only(message, services, lang)
    if chat_id is not None:
        await _reports_page(message, services, chat_id, 0, lang)


@router.message(Command("suggestions"))
async def suggestions(message: Message, services: Services, lang: str) -> None:
    chat_id = await _staff_only(message, services, lang)
    if chat_id is not None:
        await _suggestions_page(message, services, chat_id, 0, lang)


@router.callback_query(StaffCb.filter(F.action.in_({"more_reports", "more_suggestions"})))
async def next_page(query: CallbackQuery, callback_data: StaffCb, services: Services, lang: str) -> None:
    """下一批: the cards after the last one shown (a forged button shows only what the presser may see)."""
    await query.answer()
    if not isinstance(query.message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):  # the button goes; the cards already sent stay
        await query.message.edit_reply_markup(reply_markup=None)
    try:
        if callback_data.action == "more_reports":
            await _reports_page(query.message, services, query.from_user.id, callback_data.item, lang)
        else:
            await _suggestions_page(query.message, services, query.from_user.id, callback_data.item, lang)
    except ServiceError as error:
        await _refuse(query, error, lang)


async def _reports_page(message: Message, services: Services, chat_id: int, after: int, lang: str) -> None:
    items = await services.participation.open_reports(chat_id, PAGE + 1, after)
    cards = [(_report_text(i, lang), report_keyboard(i.id, i.state, lang)) for i in items[:PAGE]]
    await _list(message, cards, "more_reports", items, lang)
    if not items and not after:
        await message.answer(t("staff.no_reports", lang))


async def _suggestions_page(
    message: Message, services: Services, chat_id: int, after: int, lang: str
) -> None:
    items = await services.participation.open_suggestions(chat_id, PAGE + 1, after)
    cards = [(_suggestion_text(i, lang), suggestion_keyboard(i.id, lang)) for i in items[:PAGE]]
    await _list(message, cards, "more_suggestions", items, lang)
    if not items and not after:
        await message.answer(t("staff.no_suggestions", lang))


async def _list(
    message: Message,
    cards: list[tuple[str, InlineKeyboardMarkup]],
    more: str,
    items: Sequence[ReportItem] | Sequence[SuggestionItem],
    lang: str,
) -> None:
    for text, keyboard in cards:
        await message.answer(text, reply_markup=keyboard)
    if len(items) > PAGE:  # one more than a page was read: there is a next page
        last = items[PAGE - 1].id
        button = inline([[(t("staff.next_page", lang), StaffCb(action=more, item=last))]])
        await message.answer(t("staff.more", lang, shown=PAGE), reply_markup=button)


async def _refuse(query: CallbackQuery, error: ServiceError, lang: str) -> None:
    log.info("refused %s from %s: %s", query.data, query.from_user.id, error.key)
    await query.answer(t(error.key, lang, **error.params), show_alert=True)


@router.callback_query(StaffCb.filter(F.action.in_({"in_progress", "fixed"})))
async def mark_report(query: CallbackQuery, callback_data: StaffCb, services: Services, lang: str) -> None:
    action = callback_data.action
    try:
        await services.participation.mark_report(
            query.from_user.id, callback_data.item, action, t(f"staff.public_reply.{action}", lang)
        )
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    await query.answer()
    if isinstance(query.message, Message):
        markup = report_keyboard(callback_data.item, action, lang) if action != "fixed" else None
        await query.message.edit_reply_markup(reply_markup=markup)
        label = f"R{callback_data.item:05d}"
        await query.message.answer(
            t("staff.marked", lang, label=label, state=t(f"staff.state.{action}", lang))
        )


@router.callback_query(StaffCb.filter(F.action == "reply"))
async def reply_button(
    query: CallbackQuery, callback_data: StaffCb, services: Services, state: FSMContext, lang: str
) -> None:
    # Checked now, so that a forged or stale button does not even open the prompt.
    try:
        # The first open suggestion from this id on, among those this person may answer: on any page.
        first = await services.participation.open_suggestions(query.from_user.id, 1, callback_data.item - 1)
    except ServiceError as error:
        await _refuse(query, error, lang)
        return
    if not first or first[0].id != callback_data.item:
        await _refuse(query, ServiceError("staff.not_waiting"), lang)
        return
    await query.answer()
    await state.set_state(StaffForm.suggestion_reply)
    await state.update_data(suggestion_id=callback_data.item)
    if isinstance(query.message, Message):
        await query.message.answer(t("staff.ask_reply", lang, label=f"S{callback_data.item:05d}"))


@router.message(StaffForm.suggestion_reply, F.text)
async def reply_text(message: Message, services: Services, state: FSMContext, lang: str) -> None:
    assert message.from_user is not None and message.text is not None
    suggestion_id = int((await state.get_data()).get("suggestion_id") or 0)
    await state.clear()
    try:
        await services.participation.reply_suggestion(message.from_user.id, suggestion_id, message.text)
    except ServiceError as error:
        await message.answer(t(error.key, lang, **error.params))
        return
    await message.answer(t("staff.replied", lang, label=f"S{suggestion_id:05d}"))


@router.message(StaffForm.suggestion_reply)
async def reply_not_text(message: Message, lang: str) -> None:
    await message.answer(t("staff.reply_needs_text", lang))
