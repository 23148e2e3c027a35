"""The last line: an error is logged with the form or case it concerns, the user gets an apology and
a way on, and what they entered stays in the persistent form state."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent

from bot.keyboards import main_menu
from prompts import t

router = Router(name="errors")
log = logging.getLogger("bot.errors")


@router.errors()
async def on_error(event: ErrorEvent, state: FSMContext | None = None, lang: str = "zh") -> bool:
    update = event.update
    data = await state.get_data() if state is not None else {}
    log.error(
        "update %s failed (form %s, case %s, state %s): %r",
        update.update_id,
        data.get("form_id"),
        data.get("case_no"),
        await state.get_state() if state else None,
        event.exception,
        exc_info=event.exception,
    )
    chat_id = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None:
        chat_id = update.callback_query.from_user.id
        try:
            await update.callback_query.answer()
        except Exception:  # the query may be too old to answer; the message below still goes out
            log.debug("could not answer callback after error")
    if chat_id is not None and update.bot is not None:
        try:
            await update.bot.send_message(chat_id, t("bot.errors.sorry", lang), reply_markup=main_menu(lang))
        except Exception:  # Telegram itself failing: the log line above is what remains
            log.warning("could not send the apology to chat %s", chat_id)
    return True
