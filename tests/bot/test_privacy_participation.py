"""A resident exports and deletes their data; suggestions and hazard reports are recorded."""

from __future__ import annotations

from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from tests.bot.conftest import RESIDENT, register, suggest_and_report


async def test_export_then_delete(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "/privacy")
    await telegram.wait_text(RESIDENT, "您的信息由您做主")
    telegram.press_label(RESIDENT, "导出我的数据")
    exported = await telegram.wait_text(RESIDENT, "全部信息")
    assert exported.kind == "document"
    telegram.press_label(RESIDENT, "删除我的数据")
    await telegram.wait_text(RESIDENT, "确定要删除吗")
    telegram.press_label(RESIDENT, "确定删除")
    await telegram.wait_text(RESIDENT, "已删除您的信息")
    async with running.backend.unit_of_work() as services:
        assert await services.residents.get(RESIDENT) is None


async def test_suggestion_and_hazard_report(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    await suggest_and_report(telegram)
