"""A resident exports and deletes their data; suggestions and hazard reports are recorded."""

from __future__ import annotations

from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from tests.bot.conftest import RESIDENT, register


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
    telegram.send_text(RESIDENT, "提建议")
    await telegram.wait_text(RESIDENT, "请写下您的建议")
    telegram.send_text(RESIDENT, "村口的篮球场晚上能不能开灯到九点")
    await telegram.wait_text(RESIDENT, "谢谢您的建议")

    telegram.send_text(RESIDENT, "/report")
    await telegram.wait_text(RESIDENT, "发现了什么隐患")
    telegram.send_text(RESIDENT, "溪边的路灯坏了三天了")
    await telegram.wait_text(RESIDENT, "有照片吗")
    telegram.send_media(RESIDENT, "photo")
    await telegram.wait_text(RESIDENT, "请发送位置")
    telegram.send_media(RESIDENT, "location")
    await telegram.wait_text(RESIDENT, "已登记隐患")
