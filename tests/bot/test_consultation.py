"""众人商量 end to end through the fake Bot API: a coordinator opens a consultation from chat, residents
are notified with option buttons, vote and change their vote, a forged button changes nothing, the
clock closes it, results reach residents and staff, and a late press is refused politely."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.handlers.consultation import render_notification
from bot.testing.fake_telegram import FakeTelegram, SentMessage
from bot.testing.harness import BotProcess
from intake.services import Services as IntakeServices
from tests.bot.conftest import RESIDENT, register

NEIGHBOUR = 1002
COORDINATOR = 3001  # coordinator of 青山村 in the sample data: the form skips choosing a place


async def _until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def _alert_after(telegram: FakeTelegram, before: int) -> str:
    await _until(lambda: len(telegram.callback_answers) > before, "callback answer")
    return str(telegram.callback_answers[before].get("text", ""))


async def _press(telegram: FakeTelegram, user: int, message: SentMessage, label: str) -> str:
    """Press the button labelled ``label`` on ``message``; return the toast or alert text."""
    before = len(telegram.callback_answers)
    telegram.press(user, message, message.button(label)["callback_data"])
    return await _alert_after(telegram, before)


async def _open_consultation(telegram: FakeTelegram) -> None:
    telegram.send_text(COORDINATOR, "/consult")
    await telegram.wait_text(COORDINATOR, "现在没有正在商量的事")
    telegram.press_label(COORDINATOR, "发起商量")
    await telegram.wait_text(COORDINATOR, "第 1 步")
    telegram.send_text(COORDINATOR, "村里新建的健身广场放在哪里？")
    await telegram.wait_text(COORDINATOR, "第 2 步")
    telegram.send_text(COORDINATOR, "只有一个选项")
    await telegram.wait_text(COORDINATOR, "选项要 2 到 6 个")  # re-asked, nothing lost
    telegram.send_text(COORDINATOR, "村口\n学校旁\n暂不建")
    await telegram.wait_text(COORDINATOR, "第 3 步")
    telegram.send_text(COORDINATOR, "下个月吧")
    await telegram.wait_text(COORDINATOR, "没看懂截止时间")
    telegram.send_text(COORDINATOR, "3天")
    await telegram.wait_text(COORDINATOR, "第 4 步")
    telegram.press_label(COORDINATOR, "每人一票")
    summary = await telegram.wait_text(COORDINATOR, "请核对")
    assert "村口 / 学校旁 / 暂不建" in summary.text and "20:00" in summary.text
    telegram.press_label(COORDINATOR, "确认发布")
    await telegram.wait_text(COORDINATOR, "已发布")


async def test_a_consultation_from_proposal_to_announced_result(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    await register(telegram)
    await register(telegram, NEIGHBOUR)
    await _open_consultation(telegram)

    ballot = await telegram.wait_text(RESIDENT, "众人商量（青山村）")
    assert "健身广场" in ballot.text and "每人一票" in ballot.text
    assert [b["text"] for b in ballot.flat_buttons] == ["村口", "学校旁", "暂不建"]
    assert await _press(telegram, RESIDENT, ballot, "村口") == "已记下：村口"
    await _until(lambda: "您选了：村口" in ballot.text, "ballot shows the choice")
    assert ballot.button("✅ 村口")
    assert await _press(telegram, RESIDENT, ballot, "学校旁") == "已改为：学校旁"
    await _until(lambda: "您选了：学校旁" in ballot.text, "ballot shows the change")

    # A forged button (an option that is not this consultation's) is refused and changes nothing.
    data = ballot.button("暂不建")["callback_data"]
    before = len(telegram.callback_answers)
    telegram.press(RESIDENT, ballot, data.rsplit(":", 2)[0] + ":999999:")
    assert "没有生效" in await _alert_after(telegram, before)
    before = len(telegram.callback_answers)
    telegram.press(4242, ballot, data)  # somebody who never registered
    assert "请先发送 /start" in await _alert_after(telegram, before)

    # The neighbour votes from /consult instead of the notification.
    await telegram.wait_text(NEIGHBOUR, "众人商量（青山村）")
    telegram.send_text(NEIGHBOUR, "/consult")
    listed = await telegram.wait_text(NEIGHBOUR, "请点下面的按钮投票")
    assert await _press(telegram, NEIGHBOUR, listed, "村口") == "已记下：村口"

    # Staff see how many voted while it is open, never who nor what; the clock closes it later.
    telegram.send_text(COORDINATOR, "/consult")
    overview = await telegram.wait_text(COORDINATOR, "正在商量")
    assert "村里新建的健身广场放在哪里？：已投 2，应投 2" in overview.text and "村口" not in overview.text
    later = datetime.now(UTC) + timedelta(days=4)  # the scheduler's pass four days from now
    await running.backend.tick(later)
    await running.backend.deliver_notifications(running.notifier, later)
    result = await telegram.wait_text(RESIDENT, "商量结果（青山村）", timeout=15)
    assert (
        "· 村口：1 票" in result.text and "· 学校旁：1 票" in result.text and "· 暂不建：0 票" in result.text
    )
    assert "共 2 票，应投 2，参与 100%" in result.text
    staff = await telegram.wait_text(COORDINATOR, "商量结果（青山村）", timeout=15)
    assert "看不到谁投了什么" in staff.text and str(RESIDENT) not in staff.text

    # A press on the old ballot after the close is refused politely.
    assert "已经结束" in await _press(telegram, RESIDENT, ballot, "暂不建")
    telegram.send_text(RESIDENT, "/consult")
    await telegram.wait_text(RESIDENT, "现在没有正在商量的事")


async def test_a_household_vote_asks_for_the_house_once(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    await register(telegram, NEIGHBOUR)
    async with running.backend.unit_of_work() as services:
        await services.consultations.create(
            COORDINATOR, "QSC", "修哪条路？", ["东路", "西路"], "5天", "household"
        )
    ballot = await telegram.wait_text(RESIDENT, "每户一票")
    assert await _press(telegram, RESIDENT, ballot, "东路") == ""
    await telegram.wait_text(RESIDENT, "请告诉我您家的门牌号")
    telegram.send_text(RESIDENT, "3组12号")
    saved = await telegram.wait_text(RESIDENT, "您家是：3组12号")
    confirmation = await telegram.wait_text(RESIDENT, "已记下：东路")
    assert "您选了：东路" in confirmation.text
    assert saved

    # The neighbour says they live in the same house: the household has voted already.
    other = await telegram.wait_text(NEIGHBOUR, "每户一票")
    await _press(telegram, NEIGHBOUR, other, "西路")
    await telegram.wait_text(NEIGHBOUR, "请告诉我您家的门牌号")
    telegram.send_text(NEIGHBOUR, "３组 １２号")
    await telegram.wait_text(NEIGHBOUR, "您家里已经有人投过票了")

    # A resident who would rather not say leaves the question with 取消: no vote, no household.
    third = 1003
    await register(telegram, third)  # moved in after it opened: /consult shows it
    telegram.send_text(third, "/consult")
    late = await telegram.wait_text(third, "每户一票")
    await _press(telegram, third, late, "西路")
    await telegram.wait_text(third, "请告诉我您家的门牌号")
    telegram.press_label(third, "取消")
    await telegram.wait_text(third, "这次没有投票")


async def test_staff_cancel_from_chat_after_confirming(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    async with running.backend.unit_of_work() as services:
        await services.consultations.create(
            COORDINATOR, "QSC", "周末放电影吗？", ["放", "不放"], "5天", "resident"
        )
    ballot = await telegram.wait_text(RESIDENT, "周末放电影吗")
    telegram.fail("editMessageText", "500", times=3, chat_id=RESIDENT)  # the ballot cannot be updated…
    assert await _press(telegram, RESIDENT, ballot, "不放") == "已记下：不放"
    assert "您选了" not in ballot.text  # …yet the vote stands (counted below)
    telegram.send_text(COORDINATOR, "/consult")
    overview = await telegram.wait_text(COORDINATOR, "已投 1，应投 1")
    telegram.press(COORDINATOR, overview, overview.button("取消：周末放电影吗")["callback_data"])
    await telegram.wait_text(COORDINATOR, "确定取消这次商量吗")
    telegram.press_label(COORDINATOR, "确定取消")
    await telegram.wait_text(COORDINATOR, "已取消：周末放电影吗？")
    await telegram.wait_text(RESIDENT, "的商量已取消：周末放电影吗？")
    assert "已经结束" in await _press(telegram, RESIDENT, ballot, "放")
    # The resident cannot cancel anything, even with a forged button.
    before = len(telegram.callback_answers)
    telegram.press(
        RESIDENT,
        ballot,
        overview.button("取消：周末放电影吗")["callback_data"].replace("withdraw", "withdraw_yes"),
    )
    assert "没有" in await _alert_after(telegram, before)


def test_reminder_and_cancellation_notices_render_with_their_buttons() -> None:
    payload = {
        "consultation_id": 7,
        "title": "修哪条路？",
        "community": "青山村",
        "per": "household",
        "closes_local": "2026-11-30 20:00",
        "options": [{"id": 1, "label": "东路"}, {"id": 2, "label": "西路"}],
    }
    reminder = render_notification("consultation_reminder", payload, "zh")
    assert reminder is not None and reminder[1] is not None
    assert reminder[0].startswith("⏰") and "每户一票" in reminder[0] and "2026-11-30 20:00" in reminder[0]
    assert [b.text for row in reminder[1].inline_keyboard for b in row] == ["东路", "西路"]
    cancelled = render_notification("consultation_cancelled", payload, "en")
    assert cancelled is not None and cancelled[1] is None and "cancelled" in cancelled[0]
    assert render_notification("case_received", {}, "zh") is None


async def test_entry_under_suggest_and_a_town_coordinator_choosing_the_village(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "提建议")
    prompt = await telegram.wait_text(RESIDENT, "请写下您的建议")
    assert [b["text"] for b in prompt.flat_buttons] == ["🗳 众人商量（投票）", "取消"]
    telegram.press_label(RESIDENT, "众人商量")
    await telegram.wait_text(RESIDENT, "现在没有正在商量的事")
    telegram.send_text(RESIDENT, "我的建议：村口装路灯")  # the suggestion form was left: this is free text
    await telegram.wait_text(RESIDENT, "这像是一条建议")

    town = 3005
    async with running.backend.sessions() as session:  # type: ignore[attr-defined]
        await IntakeServices(session).communities.add_staff(town, "镇干部", community_code="TYZ")
        await session.commit()
    telegram.send_text(town, "/consult")
    await telegram.wait_text(town, "现在没有正在商量的事")
    telegram.press_label(town, "发起商量")
    choices = await telegram.wait_text(town, "在哪个村或社区")
    assert [b["text"] for b in choices.flat_buttons] == ["绿水社区", "青山村", "桃源镇", "取消"]
    telegram.press_label(town, "绿水社区")
    await telegram.wait_text(town, "第 1 步")
    telegram.send_media(town, "sticker")
    await telegram.wait_text(town, "第 1 步")  # not text: the step is asked again
    telegram.press_label(town, "取消")
    await telegram.wait_text(town, "已取消，没有发布")
