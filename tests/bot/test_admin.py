"""Administrators: statistics chart, a mediator invitation opened by a new mediator, access control."""

from __future__ import annotations

from bot.adapters.intake_backend import IntakeBackend
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


def test_statistics_chart_is_a_png_with_every_label_drawn() -> None:
    import warnings

    from fontTools.ttLib import TTFont

    from bot.handlers.admin import CHART_FONT, stats_chart
    from bot.render import state_name
    from intake.lifecycle import CATEGORIES, STATES
    from prompts import t

    figures = {"category": dict.fromkeys(CATEGORIES, 1), "state": dict.fromkeys(STATES, 1)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = stats_chart(figures, "zh")
        english = stats_chart(figures, "en")
    assert image.startswith(b"\x89PNG") and english.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from font" in str(w.message)]  # no label drawn as boxes
    drawn = set(t("bot.admin.chart_category", "zh") + t("bot.admin.chart_state", "zh") + "".join(CATEGORIES))
    drawn |= set("".join(state_name(state, "zh") for state in STATES))
    cmap = TTFont(CHART_FONT).getBestCmap()
    assert all(ord(char) in cmap for char in drawn)


async def test_a_county_of_villages_is_chosen_page_by_page(
    telegram: FakeTelegram, backend: IntakeBackend, running: BotProcess
) -> None:
    """40 villages: 16 buttons a page with 上一页 / 下一页, for residents (/start) and for invitations;
    a forged page number shows a real page."""
    villages = [{"code": f"V{n:02d}", "name": f"第{n:02d}村", "level": "village"} for n in range(40)]
    await backend.seed(villages, [])

    telegram.send_text(NEWCOMER, "/start")
    chooser = await telegram.wait_text(NEWCOMER, "请先选择您所在的村")
    labels = [button["text"] for button in chooser.flat_buttons]
    assert len(labels) == 17 and labels[-1].startswith("下一页") and "（2/3）" in labels[-1]
    telegram.press_label(NEWCOMER, "下一页")
    await telegram.wait_edited(chooser)
    assert "上一页" in chooser.flat_buttons[-2]["text"] and "（3/3）" in chooser.flat_buttons[-1]["text"]
    telegram.press_label(NEWCOMER, "下一页")
    await telegram.wait_edited(chooser, times=2)
    last_page = [button["text"] for button in chooser.flat_buttons]
    assert not any(label.startswith("下一页") for label in last_page) and "第39村" in last_page
    telegram.press(NEWCOMER, chooser, "s:page:999")  # forged: the last page again, nothing breaks
    await telegram.wait_edited(chooser, times=3)
    telegram.press_label(NEWCOMER, "第39村")
    await telegram.wait_text(NEWCOMER, "您同意吗")

    telegram.send_text(ADMIN, "/admin")
    await telegram.wait_text(ADMIN, "管理员菜单")
    telegram.press_label(ADMIN, "邀请调解员")
    invite_chooser = await telegram.wait_text(ADMIN, "为哪个社区")
    assert len(invite_chooser.flat_buttons) == 17
    telegram.press(ADMIN, invite_chooser, "a:invite_page:abc")  # forged: the first page
    await telegram.wait_edited(invite_chooser)
    telegram.press_label(ADMIN, "下一页")
    await telegram.wait_edited(invite_chooser, times=2)
    telegram.press_label(ADMIN, "第20村")
    await telegram.wait_text(ADMIN, "start=med_")
