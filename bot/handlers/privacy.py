"""/privacy: a resident exports or deletes their own data."""

from __future__ import annotations

import json

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message, ReplyKeyboardRemove

from bot.callbacks import PrivacyCb
from bot.keyboards import inline
from bot.services import Services
from prompts import t

router = Router(name="privacy")


@router.message(Command("privacy"))
async def privacy(message: Message, lang: str) -> None:
    await message.answer(
        t("bot.privacy.menu", lang),
        reply_markup=inline(
            [
                [
                    (t("bot.privacy.export", lang), PrivacyCb(action="export")),
                    (t("bot.privacy.delete", lang), PrivacyCb(action="delete")),
                ]
            ]
        ),
    )


@router.callback_query(PrivacyCb.filter())
async def privacy_action(
    query: CallbackQuery, callback_data: PrivacyCb, services: Services, state: FSMContext, lang: str
) -> None:
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    if callback_data.action == "export":
        data = await services.residents.export(query.from_user.id)
        unfinished = {"state": await state.get_state(), "data": await state.get_data()}
        if unfinished["state"] or unfinished["data"]:  # a form or an offer not finished yet
            data["unfinished_form"] = unfinished
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        await message.answer_document(
            BufferedInputFile(body, filename="heshi-my-data.json"),
            caption=t("bot.privacy.export_caption", lang),
        )
    elif callback_data.action == "delete":
        await message.answer(
            t("bot.privacy.confirm_delete", lang),
            reply_markup=inline(
                [
                    [
                        (t("bot.privacy.confirm", lang), PrivacyCb(action="confirm")),
                        (t("bot.form.cancel", lang), PrivacyCb(action="keep")),
                    ]
                ]
            ),
        )
    elif callback_data.action == "confirm":
        await services.residents.delete(query.from_user.id)

        async def deleted() -> None:  # told only once the deletion is committed
            await state.clear()
            await message.edit_reply_markup(reply_markup=None)
            await message.answer(t("bot.privacy.deleted", lang), reply_markup=ReplyKeyboardRemove())

        services.on_commit.append(deleted)
    else:
        await message.edit_reply_markup(reply_markup=None)
