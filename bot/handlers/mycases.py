"""/mycases (我的事项): each case with its state and plain-words timeline; feedback after closing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import FeedbackCb
from bot.keyboards import main_menu, menu_labels
from bot.render import split_message, timeline
from bot.services import ServiceError, Services
from prompts import t

router = Router(name="mycases")


@router.message(Command("mycases"))
@router.message(F.text.in_(menu_labels("mycases")))
async def my_cases(message: Message, services: Services, lang: str) -> None:
    assert message.from_user is not None
    cases = await services.cases.for_resident(message.from_user.id)
    if not cases:
        await message.answer(t("bot.mycases.none", lang), reply_markup=main_menu(lang))
        return
    text = "\n\n".join([t("bot.mycases.header", lang), *(timeline(case, lang) for case in cases)])
    for chunk in split_message(text):
        await message.answer(chunk)


@router.callback_query(FeedbackCb.filter())
async def feedback(query: CallbackQuery, callback_data: FeedbackCb, services: Services, lang: str) -> None:
    try:
        await services.cases.feedback(callback_data.case_no, query.from_user.id, callback_data.score, None)
    except ServiceError as error:
        await query.answer(t(error.key, lang, **error.params), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(t("bot.feedback.thanks", lang))
