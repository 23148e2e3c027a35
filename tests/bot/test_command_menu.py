"""The command menu is set from the catalogs, in Chinese by default and in English for English clients."""

from __future__ import annotations

import pytest

from bot.app import create_bot
from bot.runtime import MENU_COMMANDS, _set_commands
from bot.settings import BotSettings
from bot.testing.fake_telegram import FakeTelegram
from prompts import t


@pytest.mark.asyncio
async def test_menu_in_both_languages_over_http() -> None:
    async with FakeTelegram() as server:
        bot = create_bot(BotSettings(telegram_api_base=server.base_url))
        try:
            await _set_commands(bot)
        finally:
            await bot.session.close()
    assert list(server.menus[""]) == list(MENU_COMMANDS)
    assert list(server.menus["en"]) == list(MENU_COMMANDS)
    assert server.menus[""]["language"] == t("commands.language", "zh")
    assert server.menus["en"]["mycases"] == "My cases"
    # every command in the menu is one the bot answers
    assert {"consult", "language", "reports", "suggestions", "cases"} <= set(MENU_COMMANDS)
