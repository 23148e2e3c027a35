"""Forms under stress, odd input, restarts, floods, forged buttons, Telegram failing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from bot.render import TELEGRAM_LIMIT
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess, offline_settings
from tests.bot.conftest import DUTY, MEDIATOR, OTHER_MEDIATOR, RESIDENT, open_backend, register


async def _open_form(telegram: FakeTelegram) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "找和事佬调解")
    await telegram.wait_text(RESIDENT, "第 1 步")


async def _fill_to_confirm(telegram: FakeTelegram) -> None:
    telegram.press_label(RESIDENT, "邻里纠纷")
    await telegram.wait_text(RESIDENT, "第 2 步")
    telegram.send_text(RESIDENT, "邻居天天半夜放音乐，吵得老人睡不着")
    await telegram.wait_text(RESIDENT, "第 3 步")
    telegram.send_text(RESIDENT, "楼上小刘")
    await telegram.wait_text(RESIDENT, "第 4 步")
    telegram.send_text(RESIDENT, "楼上邻居")
    await telegram.wait_text(RESIDENT, "第 5 步")
    telegram.press_label(RESIDENT, "跳过")
    await telegram.wait_text(RESIDENT, "第 6 步")
    telegram.send_text(RESIDENT, "晚上十点后安静")
    await telegram.wait_text(RESIDENT, "第 7 步")
    telegram.press_label(RESIDENT, "完成")
    await telegram.wait_text(RESIDENT, "第 8 步")
    telegram.press_label(RESIDENT, "对对方匿名")
    await telegram.wait_text(RESIDENT, "请核对")


async def _submit(telegram: FakeTelegram) -> str:
    telegram.press_label(RESIDENT, "确认提交")
    submitted = await telegram.wait_text(RESIDENT, "案件编号")
    return submitted.text.split("案件编号：")[1].split("\n")[0]


async def test_back_cancel_and_edit(telegram: FakeTelegram, running: BotProcess) -> None:
    await _open_form(telegram)
    telegram.send_text(RESIDENT, "打架")  # not a category: re-asked with a hint
    await telegram.wait_text(RESIDENT, "请从按钮里选一个类别")
    telegram.press_label(RESIDENT, "邻里纠纷")
    await telegram.wait_text(RESIDENT, "第 2 步")
    telegram.send_text(RESIDENT, "吵")  # too short: hint
    await telegram.wait_text(RESIDENT, "至少 5 个字")
    telegram.press_label(RESIDENT, "上一步")
    count = len(telegram.messages[RESIDENT])
    await telegram.wait_for(RESIDENT, count + 1)
    assert "第 1 步" in telegram.messages[RESIDENT][-1].text
    telegram.press_label(RESIDENT, "取消")
    await telegram.wait_text(RESIDENT, "已取消登记")

    telegram.send_text(RESIDENT, "找和事佬调解")
    await telegram.wait_for(RESIDENT, len(telegram.messages[RESIDENT]) + 2)
    await _fill_to_confirm(telegram)
    telegram.press_label(RESIDENT, "修改")
    await telegram.wait_text(RESIDENT, "要修改哪一项")
    telegram.press_label(RESIDENT, "对方")
    marker = len(telegram.messages[RESIDENT])
    await telegram.wait_for(RESIDENT, marker + 1)
    telegram.send_text(RESIDENT, "楼上刘大姐")
    await telegram.wait_for(RESIDENT, marker + 2)
    summary = telegram.messages[RESIDENT][-1]
    assert "请核对" in summary.text and "楼上刘大姐" in summary.text and "对对方匿名：是" in summary.text
    case_no = await _submit(telegram)
    async with running.backend.unit_of_work() as services:
        assert [c.case_no for c in await services.cases.for_resident(RESIDENT)] == [case_no]


async def test_a_restart_in_the_middle_of_the_form_resumes_it(telegram: FakeTelegram, backend: Any) -> None:
    data_dir = Path(os.environ["HESHI_DATA_DIR"])
    first = await BotProcess.build(offline_settings(telegram, data_dir), backend).start()
    await _open_form(telegram)
    telegram.press_label(RESIDENT, "邻里纠纷")
    await telegram.wait_text(RESIDENT, "第 2 步")
    telegram.send_text(RESIDENT, "邻居的狗天天跑到我家院子里咬鸡")
    await telegram.wait_text(RESIDENT, "第 3 步")
    await first.stop()
    await backend.close()

    reopened = await open_backend(backend.assistant)
    second = await BotProcess.build(offline_settings(telegram, data_dir), reopened).start()
    try:
        telegram.send_text(RESIDENT, "东边邻居老赵")
        await telegram.wait_text(RESIDENT, "第 4 步")
        telegram.send_text(RESIDENT, "邻居")
        await telegram.wait_text(RESIDENT, "第 5 步")
        for label, step in (("跳过", "第 6 步"),):
            telegram.press_label(RESIDENT, label)
            await telegram.wait_text(RESIDENT, step)
        telegram.send_text(RESIDENT, "把狗拴好")
        await telegram.wait_text(RESIDENT, "第 7 步")
        telegram.press_label(RESIDENT, "完成")
        await telegram.wait_text(RESIDENT, "第 8 步")
        telegram.press_label(RESIDENT, "可以告诉对方")
        summary = await telegram.wait_text(RESIDENT, "请核对")
        assert "咬鸡" in summary.text and "东边邻居老赵" in summary.text
    finally:
        await second.stop()
        await reopened.close()


async def test_voice_and_media_in_the_form(telegram: FakeTelegram, running: BotProcess) -> None:
    await _open_form(telegram)
    telegram.press_label(RESIDENT, "婚姻家庭")
    await telegram.wait_text(RESIDENT, "第 2 步")
    telegram.send_media(RESIDENT, "voice")  # a voice note where text is expected
    await telegram.wait_text(RESIDENT, "第 3 步")
    telegram.send_media(RESIDENT, "sticker")  # not an answer: a hint, nothing lost
    await telegram.wait_text(RESIDENT, "请写对方的称呼")
    telegram.send_text(RESIDENT, "我丈夫")
    await telegram.wait_text(RESIDENT, "第 4 步")
    telegram.press_label(RESIDENT, "家人")
    await telegram.wait_text(RESIDENT, "第 5 步")
    telegram.send_media(RESIDENT, "location")
    await telegram.wait_text(RESIDENT, "第 6 步")
    telegram.send_text(RESIDENT, "好好过日子")
    await telegram.wait_text(RESIDENT, "第 7 步")
    telegram.send_media(RESIDENT, "photo")  # the voice note of step 2 is material number 1
    await telegram.wait_text(RESIDENT, "收到第 2 个")
    telegram.send_media(RESIDENT, "document")
    await telegram.wait_text(RESIDENT, "收到第 3 个")
    telegram.send_text(RESIDENT, "就这些")
    await telegram.wait_text(RESIDENT, "这一步请发照片")
    telegram.press_label(RESIDENT, "完成")
    await telegram.wait_text(RESIDENT, "第 8 步")
    telegram.press_label(RESIDENT, "对对方匿名")
    summary = await telegram.wait_text(RESIDENT, "请核对")
    assert "材料：3 个" in summary.text  # the voice note, the photo, the document
    assert "30.00000,120.00000" in summary.text


async def test_odd_messages_get_polite_replies(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    before = len(telegram.messages[RESIDENT])
    for kind in ("sticker", "photo", "voice", "location", "document", "video", "contact"):
        telegram.send_media(RESIDENT, kind)
    telegram.send_text(RESIDENT, "   ")
    await telegram.wait_for(RESIDENT, before + 8)
    texts = telegram.texts(RESIDENT)[before:]
    assert all("看不懂" in text or "没有写内容" in text for text in texts), texts

    telegram.send_text(RESIDENT, "邻居" + "很吵" * 5000)  # 10,002 characters
    await telegram.wait_text(RESIDENT, "我先看了前面的部分")
    await telegram.wait_text(RESIDENT, "请和事佬来帮您调解")


async def test_long_answers_are_split(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    before = len(telegram.messages[RESIDENT])
    telegram.send_text(RESIDENT, "请给我一个长答案")
    await telegram.wait_for(RESIDENT, before + 3)
    parts = telegram.messages[RESIDENT][before:]
    assert all(len(part.text) <= TELEGRAM_LIMIT for part in parts)
    assert parts[0].text.startswith("根据《中华人民共和国民法典》")
    assert "第19段" in "".join(part.text for part in parts)


async def test_urgent_message_gets_safety_reply_and_alerts_duty(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "救命！他拿刀说要杀了我，电话13812345678")
    await telegram.wait_text(RESIDENT, "110")
    alert = await telegram.wait_text(DUTY, "紧急求助")
    assert "13812345678" in alert.text  # the duty officer needs the full message


async def test_a_flood_is_throttled_with_one_warning(telegram: FakeTelegram, backend: Any) -> None:
    settings = offline_settings(
        telegram,
        Path(os.environ["HESHI_DATA_DIR"]),
        throttle_burst=3,
        throttle_rate=0.1,
        throttle_cooldown=60,
    )
    process = await BotProcess.build(settings, backend).start()
    try:
        for _ in range(20):
            telegram.send_text(RESIDENT, "/help")
        await telegram.wait_text(RESIDENT, "您发得太快了")
        await asyncio.sleep(1.0)
        texts = telegram.texts(RESIDENT)
        assert sum("您发得太快了" in text for text in texts) == 1
        assert sum("我能帮您做这些事" in text for text in texts) == 3
    finally:
        await process.stop()


async def _answers(telegram: FakeTelegram, count: int) -> None:
    for _ in range(300):
        if len(telegram.callback_answers) >= count:
            return
        await asyncio.sleep(0.05)


async def test_forged_and_stale_buttons_change_nothing(telegram: FakeTelegram, running: BotProcess) -> None:
    await _open_form(telegram)
    await _fill_to_confirm(telegram)
    case_no = await _submit(telegram)
    card = await telegram.wait_text(MEDIATOR, case_no)

    answered = len(telegram.callback_answers)
    # The other mediator forges the accept button of a case never offered to them.
    telegram.press(OTHER_MEDIATOR, card, f"c:accept:{case_no}")
    # A resident forges a mediator's progress button, and garbage callback data.
    telegram.press(RESIDENT, card, f"c:close:{case_no}")
    telegram.press(RESIDENT, card, "c:accept:QSC-000000-9999")
    telegram.press(RESIDENT, card, "totally-made-up")
    await _answers(telegram, answered + 4)
    refusals = [answer.get("text", "") for answer in telegram.callback_answers[answered:]]
    assert len(refusals) == 4 and all("没有生效" in text for text in refusals), refusals
    async with running.backend.unit_of_work() as services:
        (case,) = await services.cases.for_resident(RESIDENT)
    assert case.state in ("submitted", "accepted") and case.mediator_chat_id is None

    telegram.press_label(MEDIATOR, "接受", chat_id=MEDIATOR)
    await telegram.wait_text(MEDIATOR, "申请人")
    answered = len(telegram.callback_answers)
    telegram.press(MEDIATOR, card, f"c:accept:{case_no}")  # the same button again: stale
    await _answers(telegram, answered + 1)
    assert "已经接手" in telegram.callback_answers[-1].get("text", "")


async def test_handoff_survives_telegram_failures_and_arrives_once(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    await _open_form(telegram)
    await _fill_to_confirm(telegram)
    # Telegram misbehaves towards the mediator: three 500s exhaust the request middleware's retries,
    # then a 500, a 429 with retry_after and a timeout; the handoff waits in the outbox meanwhile.
    telegram.fail("sendMessage", "500", times=4, chat_id=MEDIATOR)
    telegram.fail("sendMessage", "429", times=1, retry_after=1, chat_id=MEDIATOR)
    telegram.fail("sendMessage", "timeout", times=1, delay=4, chat_id=MEDIATOR)
    case_no = await _submit(telegram)
    assert not telegram.messages[MEDIATOR]
    await telegram.wait_text(MEDIATOR, case_no, timeout=30)
    await asyncio.sleep(2.0)  # any duplicate would have arrived by now
    cards = [m for m in telegram.messages[MEDIATOR] if case_no in m.text]
    assert len(cards) == 1
    await asyncio.sleep(1.0)
    assert await running.backend.outbox_pending() == 0  # type: ignore[attr-defined]
