"""Coordinators in chat: /reports and /suggestions of their community, end to end over HTTP.

A report marked in progress and fixed (the resident told each time), a suggestion answered (the
resident told), the notices to the coordinator carrying the same buttons; someone who is not staff
sees nothing, and their forged buttons change nothing.
"""

from __future__ import annotations

from bot.callbacks import StaffCb
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from tests.bot.conftest import RESIDENT, register, suggest_and_report

COORDINATOR = 3001  # coordinator of 青山村 in the sample data
STRANGER = 1002


async def test_coordinator_works_through_reports_and_suggestions(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    await register(telegram)
    await suggest_and_report(telegram)
    notice = await telegram.wait_text(COORDINATOR, "新隐患报告")
    assert [b["text"] for b in notice.flat_buttons] == ["正在处理", "已修好"]
    assert (await telegram.wait_text(COORDINATOR, "新建议")).flat_buttons[0]["text"] == "回复"

    telegram.send_text(STRANGER, "/reports")
    await telegram.wait_text(STRANGER, "只给村（社区）工作人员使用")
    forged = StaffCb(action="fixed", item=1).pack()
    answered = len(telegram.callback_answers)
    telegram.press(STRANGER, notice, forged)
    await telegram.wait_answer("不归您处理", answered)

    telegram.send_text(COORDINATOR, "/reports")
    listed = await telegram.wait_text(COORDINATOR, "隐患 R00001")
    assert "溪边的路灯坏了三天了" in listed.text and "待处理" in listed.text and "照片：1 张" in listed.text
    telegram.press(COORDINATOR, listed, listed.button("正在处理")["callback_data"])
    await telegram.wait_text(COORDINATOR, "已记录：R00001 处理中")
    assert [b["text"] for b in listed.flat_buttons] == ["已修好"]
    await telegram.wait_text(RESIDENT, "我们已经在处理了")
    telegram.press(COORDINATOR, listed, listed.button("已修好")["callback_data"])
    await telegram.wait_text(COORDINATOR, "已记录：R00001 已修好")
    await telegram.wait_text(RESIDENT, "已经修好了")
    telegram.send_text(COORDINATOR, "/reports")
    await telegram.wait_text(COORDINATOR, "没有要处理的隐患报告")

    answered = len(telegram.callback_answers)
    telegram.press(STRANGER, notice, StaffCb(action="reply", item=1).pack())
    await telegram.wait_answer("不归您处理", answered)
    telegram.send_text(COORDINATOR, "/suggestions")
    suggestion = await telegram.wait_text(COORDINATOR, "建议 S00001")
    assert "篮球场" in suggestion.text
    telegram.press(COORDINATOR, suggestion, suggestion.button("回复")["callback_data"])
    await telegram.wait_text(COORDINATOR, "请写给建议人的回复（S00001）")
    telegram.send_text(COORDINATOR, "下个月起篮球场的灯开到九点")
    await telegram.wait_text(COORDINATOR, "已回复 S00001")
    await telegram.wait_text(RESIDENT, "下个月起篮球场的灯开到九点")
    telegram.send_text(COORDINATOR, "/suggestions")
    await telegram.wait_text(COORDINATOR, "没有要回复的建议")
    answered = len(telegram.callback_answers)
    telegram.press(COORDINATOR, suggestion, suggestion.button("回复")["callback_data"])  # answered already
    await telegram.wait_answer("已经回复过了", answered)


async def test_long_lists_come_in_batches_and_every_item_can_be_acted_on(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    """More than a batch of open items: 20 cards, then 下一批 for the rest; an item of the second batch
    can be answered like one of the first (the check is not limited to the first batch)."""
    await register(telegram)
    async with running.backend.unit_of_work() as services:
        for number in range(1, 24):
            await services.participation.suggest(RESIDENT, "QSC", f"第{number}条建议：村口多放几个垃圾桶")
        for number in range(1, 22):
            await services.participation.report(RESIDENT, "QSC", f"第{number}处隐患：路灯不亮", None, None)

    telegram.send_text(COORDINATOR, "/suggestions")
    more = await telegram.wait_text(COORDINATOR, "还有更多", timeout=20)
    cards = [text for text in telegram.texts(COORDINATOR) if text.startswith("💡 建议 S")]  # not the notices
    assert len(cards) == 20 and "第1条建议" in cards[0] and "第20条建议" in cards[-1]
    telegram.press(COORDINATOR, more, more.button("下一批")["callback_data"])
    last = await telegram.wait_text(COORDINATOR, "建议 S00023")  # the card, not the notice (编号 …)
    cards = [text for text in telegram.texts(COORDINATOR) if text.startswith("💡 建议 S")]
    assert len(cards) == 23 and len(set(cards)) == 23
    assert sum("还有更多" in text for text in telegram.texts(COORDINATOR)) == 1  # no third batch

    telegram.press(COORDINATOR, last, last.button("回复")["callback_data"])
    await telegram.wait_text(COORDINATOR, "请写给建议人的回复")
    telegram.send_text(COORDINATOR, "下周就放")
    await telegram.wait_text(RESIDENT, "下周就放")

    telegram.send_text(COORDINATOR, "/reports")
    more = await telegram.wait_text(COORDINATOR, "还有更多", timeout=20)
    telegram.press(COORDINATOR, more, more.button("下一批")["callback_data"])
    await telegram.wait_text(COORDINATOR, "第21处隐患")
    reports = [text for text in telegram.texts(COORDINATOR) if text.startswith("⚠️ 隐患 R")]
    assert len(reports) == 21 and len(set(reports)) == 21
