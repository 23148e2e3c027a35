"""/help, the 问法律 button, /cancel outside a form."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.handlers.switch_language import language_keyboard
from bot.keyboards import main_menu, menu_labels
from prompts import t

router = Router(name="menu")


@router.message(Command("help"))
@router.message(F.text.in_(menu_labels("help")))
async def help_text(message: Message, lang: str) -> None:
    await message.answer(t("bot.help.text", lang), reply_markup=main_menu(lang))
    # The language switch lives under 帮助 (the main keyboard stays at five buttons).
    await message.answer(t("language.in_help", lang), reply_markup=language_keyboard())


@router.message(F.text.in_(menu_labels("ask")))
async def ask_prompt(message: Message, state: FSMContext, lang: str) -> None:
    await state.clear()  # leaving any form: the next text is a question
    await message.answer(t("bot.ask.prompt", lang))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, lang: str) -> None:
    await state.clear()
    await message.answer(t("bot.form.cancelled", lang), reply_markup=main_menu(lang))
