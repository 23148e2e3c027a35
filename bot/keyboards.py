"""Keyboards: the resident's large reply keyboard and small inline keyboards."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from prompts import SUPPORTED_LANGUAGES, t

MENU_KEYS = ("ask", "mediate", "mycases", "suggest", "help")


def menu_labels(key: str) -> set[str]:
    """The label of a main-menu button in every language (a resident may switch language)."""
    return {t(f"bot.menu.{key}", lang) for lang in SUPPORTED_LANGUAGES}


def main_menu(lang: str) -> ReplyKeyboardMarkup:
    label = {key: t(f"bot.menu.{key}", lang) for key in MENU_KEYS}
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=label["ask"]), KeyboardButton(text=label["mediate"])],
            [KeyboardButton(text=label["mycases"]), KeyboardButton(text=label["suggest"])],
            [KeyboardButton(text=label["help"])],
        ],
        resize_keyboard=True,
        input_field_placeholder=t("bot.menu.placeholder", lang),
    )


Button = tuple[str, CallbackData | str]


def inline(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data) pairs as an inline keyboard."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=label, callback_data=data if isinstance(data, str) else data.pack())
                for label, data in row
            ]
            for row in rows
        ]
    )


def in_rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
