"""Keyboards: the resident's large reply keyboard and small inline keyboards."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


# Choices a page: 8 rows of 2 large buttons fit a phone screen; Telegram allows 100 buttons at most,
# and a county has hundreds of villages.
PAGE_SIZE = 16


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def clamp_page(value: str | int, total: int) -> int:
    """A page number from a button (forged or stale ones land on a real page)."""
    try:
        page = int(value)
    except (TypeError, ValueError):
        page = 0
    return min(max(page, 0), page_count(total) - 1)


def paged(
    buttons: Sequence[Button], page: int | str, turn_to: Callable[[int], CallbackData], lang: str,
    per_row: int = 2,
) -> list[list[Button]]:
    """One page of choices, then 上一页 / 下一页 buttons that ``turn_to`` the neighbouring page. ``page``
    may come from a button: anything that is not a page number shows the first or last page."""
    page = clamp_page(page, len(buttons))
    rows = in_rows(buttons[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], per_row)
    pages = page_count(len(buttons))
    turns: list[Button] = []
    if page > 0:
        turns.append((t("bot.page.previous", lang), turn_to(page - 1)))
    if page < pages - 1:
        turns.append((t("bot.page.next", lang, page=page + 2, pages=pages), turn_to(page + 1)))
    return rows + ([turns] if turns else [])
