"""A resident exports and deletes their data; suggestions and hazard reports are recorded."""

from __future__ import annotations

import json

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


async def test_the_export_holds_what_an_unfinished_form_keeps(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    """Personal data in a form not yet confirmed (kept in the chat state, not in the case database) is
    part of the export too, and the deletion clears it."""
    await register(telegram)
    telegram.send_text(RESIDENT, "隔壁老张把我家门口的路堵了，说了好几次都不听")
    await telegram.wait_text(RESIDENT, "请和事佬来帮您调解")
    telegram.send_text(RESIDENT, "/privacy")
    await telegram.wait_text(RESIDENT, "您的信息由您做主")
    telegram.press_label(RESIDENT, "导出我的数据")
    await telegram.wait_text(RESIDENT, "全部信息")
    sent = [params for method, params in telegram.calls if method.lower() == "senddocument"]
    attached = str(sent[-1]["document"]).removeprefix("attach://")  # the file travels as a form field
    exported = json.loads(sent[-1][attached])
    assert "隔壁老张把我家门口的路堵了" in json.dumps(exported["unfinished_form"], ensure_ascii=False)

    telegram.press_label(RESIDENT, "删除我的数据")
    await telegram.wait_text(RESIDENT, "确定要删除吗")
    telegram.press_label(RESIDENT, "确定删除")
    await telegram.wait_text(RESIDENT, "已删除您的信息")
    state = running.dp.fsm.get_context(running.bot, RESIDENT, RESIDENT)
    assert await state.get_data() == {} and await state.get_state() is None


async def test_suggestion_and_hazard_report(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    await suggest_and_report(telegram)
