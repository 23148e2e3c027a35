"""Administrators: statistics chart, a mediator invitation opened by a new mediator, access control."""

from __future__ import annotations

from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess

ADMIN = 8001
NEWCOMER = 2500
SECOND = 2501


async def test_admin_invites_a_mediator_and_sees_statistics(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    telegram.send_text(1001, "/admin")
    await telegram.wait_text(1001, "只给管理员使用")

    telegram.send_text(ADMIN, "/admin")
    await telegram.wait_text(ADMIN, "管理员菜单")
    telegram.press_label(ADMIN, "邀请调解员")
    await telegram.wait_text(ADMIN, "为哪个社区")
    telegram.press_label(ADMIN, "青山村")
    invite = await telegram.wait_text(ADMIN, "start=med_")
    assert "只能用一次，72 小时内有效" in invite.text
    payload = invite.text.split("start=")[1].split()[0]

    telegram.send_text(NEWCOMER, f"/start {payload}")
    await telegram.wait_text(NEWCOMER, "欢迎您加入和事佬调解员队伍")
    telegram.send_text(NEWCOMER, "/cases")
    await telegram.wait_text(NEWCOMER, "没有待办")

    telegram.send_text(NEWCOMER, f"/start {payload[:-3]}xyz")  # a tampered invitation
    await telegram.wait_text(NEWCOMER, "链接无效")

    telegram.send_text(SECOND, f"/start {payload}")  # the same link used a second time
    await telegram.wait_text(SECOND, "已经有人用过了")
    telegram.send_text(SECOND, "/cases")
    await telegram.wait_text(SECOND, "只给调解员使用")

    telegram.send_text(ADMIN, "/admin")
    await telegram.wait_text(ADMIN, "管理员菜单")
    telegram.press_label(ADMIN, "统计")
    await telegram.wait_text(ADMIN, "还没有任何事项")


def test_statistics_chart_is_a_png() -> None:
    from bot.handlers.admin import stats_chart

    image = stats_chart({"category": {"邻里纠纷": 3, "婚姻家庭": 1}, "state": {"assigned": 2, "closed": 2}})
    assert image.startswith(b"\x89PNG")
