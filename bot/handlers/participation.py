"""提建议 (suggestions) and /report (hazards with an optional photo and location)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import FormCb, OfferCb
from bot.handlers.consultation import entry_button as consultation_entry
from bot.keyboards import Button, inline, main_menu, menu_labels
from bot.services import Resident, Services
from bot.states import ParticipationForm
from prompts import t

router = Router(name="participation")


def _skip_cancel(lang: str, skip: bool = True) -> InlineKeyboardMarkup:
    row: list[Button] = [(t("bot.form.skip", lang), FormCb(action="skip"))] if skip else []
    row.append((t("bot.form.cancel", lang), FormCb(action="cancel")))
    return inline([row])


@router.message(Command("suggest"))
@router.message(F.text.in_(menu_labels("suggest")))
async def suggest(message: Message, state: FSMContext, lang: str) -> None:
    await state.set_state(ParticipationForm.suggestion)
    markup = _skip_cancel(lang, False)
    markup.inline_keyboard.insert(0, [consultation_entry(lang)])  # 众人商量 lives under 提建议
    await message.answer(t("bot.participation.suggest_prompt", lang), reply_markup=markup)


@router.message(Command("report"))
async def report(message: Message, state: FSMContext, lang: str) -> None:
    await state.set_state(ParticipationForm.report_text)
    await message.answer(t("bot.participation.report_prompt", lang), reply_markup=_skip_cancel(lang, False))


@router.callback_query(OfferCb.filter(F.action.in_({"suggestion", "report"})))
async def record_offered(
    query: CallbackQuery,
    callback_data: OfferCb,
    state: FSMContext,
    services: Services,
    resident: Resident | None,
    lang: str,
) -> None:
    await query.answer()
    text = (await state.get_data()).get("offer_text")
    if not isinstance(query.message, Message) or not text:
        return
    await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.action == "suggestion":
        await _save_suggestion(query.message, state, services, resident, query.from_user.id, text, lang)
    else:
        await state.set_state(ParticipationForm.report_photo)
        await state.update_data(report={"text": text})
        await query.message.answer(t("bot.participation.report_photo", lang), reply_markup=_skip_cancel(lang))


async def _save_suggestion(
    message: Message,
    state: FSMContext,
    services: Services,
    resident: Resident | None,
    chat_id: int,
    text: str,
    lang: str,
) -> None:
    ref = await services.participation.suggest(chat_id, resident.community if resident else None, text)
    await state.clear()
    await message.answer(t("bot.participation.suggest_saved", lang, ref=ref), reply_markup=main_menu(lang))


@router.message(ParticipationForm.suggestion, F.text | F.voice)
async def suggestion_text(
    message: Message, state: FSMContext, services: Services, resident: Resident | None, lang: str
) -> None:
    assert message.from_user is not None
    text = message.text or t("bot.form.voice_saved", lang) + (
        f" {message.voice.file_id}" if message.voice else ""
    )
    await _save_suggestion(message, state, services, resident, message.from_user.id, text, lang)


@router.message(ParticipationForm.report_text, F.text | F.voice)
async def report_text(message: Message, state: FSMContext, lang: str) -> None:
    text = message.text or t("bot.form.voice_saved", lang)
    await state.update_data(report={"text": text})
    await state.set_state(ParticipationForm.report_photo)
    await message.answer(t("bot.participation.report_photo", lang), reply_markup=_skip_cancel(lang))


@router.message(ParticipationForm.report_photo, F.photo)
async def report_photo(message: Message, state: FSMContext, lang: str) -> None:
    assert message.photo
    data = await state.get_data()
    await state.update_data(report={**data.get("report", {}), "photo": message.photo[-1].file_id})
    await state.set_state(ParticipationForm.report_location)
    await message.answer(t("bot.participation.report_location", lang), reply_markup=_skip_cancel(lang))


@router.message(ParticipationForm.report_location, F.location | F.text)
async def report_location(
    message: Message, state: FSMContext, services: Services, resident: Resident | None, lang: str
) -> None:
    data = (await state.get_data()).get("report", {})
    location = (message.location.latitude, message.location.longitude) if message.location else None
    text = data.get("text", "") + (f"\n{message.text}" if message.text else "")
    await _save_report(message, state, services, resident, text, data.get("photo"), location, lang)


async def _save_report(
    message: Message,
    state: FSMContext,
    services: Services,
    resident: Resident | None,
    text: str,
    photo: str | None,
    location: tuple[float, float] | None,
    lang: str,
) -> None:
    assert message.chat is not None
    ref = await services.participation.report(
        message.chat.id, resident.community if resident else None, text, photo, location
    )
    await state.clear()
    await message.answer(t("bot.participation.report_saved", lang, ref=ref), reply_markup=main_menu(lang))


@router.callback_query(ParticipationForm.report_photo, FormCb.filter(F.action == "skip"))
async def skip_photo(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await state.set_state(ParticipationForm.report_location)
        await query.message.answer(
            t("bot.participation.report_location", lang), reply_markup=_skip_cancel(lang)
        )


@router.callback_query(ParticipationForm.report_location, FormCb.filter(F.action == "skip"))
async def skip_location(
    query: CallbackQuery, state: FSMContext, services: Services, resident: Resident | None, lang: str
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        data = (await state.get_data()).get("report", {})
        await _save_report(
            query.message, state, services, resident, data.get("text", ""), data.get("photo"), None, lang
        )


@router.callback_query(StateFilter(ParticipationForm), FormCb.filter(F.action == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext, lang: str) -> None:
    await query.answer()
    await state.clear()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(t("bot.form.cancelled", lang), reply_markup=main_menu(lang))


@router.message(StateFilter(ParticipationForm))
async def hint(message: Message, lang: str) -> None:
    await message.answer(t("bot.participation.hint", lang))
