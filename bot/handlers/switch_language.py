"""/language (and the two buttons under 帮助): choose 简体中文 or English.

The choice is stored with the resident; the language middleware uses it for every later message and
the notifier for every notification. Someone who has not registered yet gets a bare record holding only
the language, so that /start then speaks it.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import LanguageCb
from bot.keyboards import inline, main_menu
from bot.services import Services
from prompts import SUPPORTED_LANGUAGES, t

router = Router(name="switch_language")
log = logging.getLogger(__name__)

# Each language named in itself: a reader who cannot read the current one still finds theirs.
LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}


def language_keyboard() -> InlineKeyboardMarkup:
    return inline([[(LANGUAGE_NAMES[code], LanguageCb(code=code)) for code in SUPPORTED_LANGUAGES]])


@router.message(Command("language"))
async def choose(message: Message, lang: str) -> None:
    await message.answer(t("language.choose", lang), reply_markup=language_keyboard())


@router.callback_query(LanguageCb.filter())
async def chosen(query: CallbackQuery, callback_data: LanguageCb, services: Services, lang: str) -> None:
    code = callback_data.code
    if code not in SUPPORTED_LANGUAGES:  # a forged button
        log.info("refused language %r from %s", code, query.from_user.id)
        await query.answer(t("bot.errors.bad_button", lang), show_alert=True)
        return
    await services.residents.set_language(query.from_user.id, code)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(t("language.switched", code), reply_markup=main_menu(code))
