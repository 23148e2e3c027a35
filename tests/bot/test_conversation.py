"""End to end through the fake Bot API over real HTTP: residents and mediators."""

from __future__ import annotations

import time

import pytest

from bot.adapters.intake_backend import IntakeBackend
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from intake.services import Services as IntakeServices
from tests.bot.conftest import MEDIATOR, RESIDENT, register


async def test_question_gets_a_cited_answer(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "邻居家排水要经过我家院子，我必须让吗？")
    answer = await telegram.wait_text(RESIDENT, "第二百九十六条")
    assert "《中华人民共和国民法典》" in answer.text
    assert "不动产权利人" in answer.text


async def test_typing_is_shown_only_while_a_slow_answer_is_awaited(
    telegram: FakeTelegram, running: BotProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quick answer needs no "typing…" (one Bot API request saved per question); a slow one shows it."""
    await register(telegram)
    telegram.send_text(RESIDENT, "邻居家排水要经过我家院子，我必须让吗？")
    await telegram.wait_text(RESIDENT, "第二百九十六条")
    assert not [params for method, params in telegram.calls if method.lower() == "sendchataction"]

    assistant = running.backend.assistant
    quick = assistant.respond

    def slow(message: str, community: str | None, lang: str) -> object:
        time.sleep(1.6)  # in the worker thread, as a long answer would
        return quick(message, community, lang)

    monkeypatch.setattr(assistant, "respond", slow)
    telegram.send_text(RESIDENT, "邻居家的树挡住了我家的光")
    await telegram.wait_text(RESIDENT, "第二百九十六条", timeout=15)
    actions = [params for method, params in telegram.calls if method.lower() == "sendchataction"]
    assert actions and str(actions[0].get("action")) == "typing"


async def file_dispute_and_accept(telegram: FakeTelegram) -> str:
    """A resident files a neighbour dispute through the whole form; the mediator accepts it."""
    await register(telegram)
    telegram.send_text(RESIDENT, "隔壁老张把我家门口的路堵了，说了好几次都不听")
    await telegram.wait_text(RESIDENT, "请和事佬来帮您调解")
    telegram.press_label(RESIDENT, "请和事佬调解")
    await telegram.wait_text(RESIDENT, "第 3 步")  # category and description come pre-filled
    telegram.send_text(RESIDENT, "张大山")
    await telegram.wait_text(RESIDENT, "第 4 步")
    telegram.press_label(RESIDENT, "邻居")
    await telegram.wait_text(RESIDENT, "第 5 步")
    telegram.send_text(RESIDENT, "青山村东头小路")
    await telegram.wait_text(RESIDENT, "第 6 步")
    telegram.send_text(RESIDENT, "把路让出来")
    await telegram.wait_text(RESIDENT, "第 7 步")
    telegram.send_media(RESIDENT, "photo")
    await telegram.wait_text(RESIDENT, "收到第 1 个材料")
    telegram.press_label(RESIDENT, "完成")
    await telegram.wait_text(RESIDENT, "第 8 步")
    telegram.press_label(RESIDENT, "可以告诉对方")
    summary = await telegram.wait_text(RESIDENT, "请核对")
    assert "张大山" in summary.text and "邻里纠纷" in summary.text and "材料：1 个" in summary.text
    telegram.press_label(RESIDENT, "确认提交")
    submitted = await telegram.wait_text(RESIDENT, "案件编号")
    case_no = submitted.text.split("案件编号：")[1].split("\n")[0]
    assert case_no.startswith("QSC-")

    card = await telegram.wait_text(MEDIATOR, case_no)
    assert "邻里纠纷" in card.text and "青山村东头小路" in card.text
    telegram.press_label(MEDIATOR, "接受", chat_id=MEDIATOR)
    details = await telegram.wait_text(MEDIATOR, "申请人")
    assert "张大山" in details.text
    return case_no


async def test_dispute_becomes_a_case_the_mediator_accepts(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    case_no = await file_dispute_and_accept(telegram)
    notice = await telegram.wait_text(RESIDENT, "王和事 已接手")
    assert case_no in notice.text

    telegram.send_text(RESIDENT, "/mycases")
    timeline = await telegram.wait_text(RESIDENT, "调解员已接手")
    assert case_no in timeline.text


async def test_mediator_notes_are_events_on_the_case_history(
    telegram: FakeTelegram, running: BotProcess
) -> None:
    case_no = await file_dispute_and_accept(telegram)
    telegram.press_label(MEDIATOR, "已联系双方", chat_id=MEDIATOR)
    await telegram.wait_text(MEDIATOR, "已记录：" + case_no + " — 已联系双方")
    telegram.press_label(MEDIATOR, "约定见面", chat_id=MEDIATOR)
    await telegram.wait_text(MEDIATOR, "请写见面的时间和地点")
    telegram.send_text(MEDIATOR, "周六上午九点，村委会")
    await telegram.wait_text(MEDIATOR, "已记录：" + case_no + " — 约定见面")
    telegram.press_label(MEDIATOR, "记备注", chat_id=MEDIATOR)
    await telegram.wait_text(MEDIATOR, "请写备注")
    telegram.send_text(MEDIATOR, "老张答应先把柴火挪走")
    await telegram.wait_text(MEDIATOR, "已记录：" + case_no + " — 记备注")

    backend = running.backend
    assert isinstance(backend, IntakeBackend)
    async with backend.sessions() as session:
        view = await IntakeServices(session, backend.settings).cases.show_admin(case_no)
    notes = [(e["action"], e["note"]) for e in view.events if e["action"] in ("contacted", "meeting", "note")]
    assert notes == [
        ("contacted", "已联系双方"),
        ("meeting", "周六上午九点，村委会"),
        ("note", "老张答应先把柴火挪走"),
    ]
    assert view.state == "in_mediation"  # contacting the parties started the mediation; notes move nothing

    telegram.send_text(RESIDENT, "/mycases")
    timeline = await telegram.wait_text(RESIDENT, "约好了见面调解")
    assert "调解员已联系双方" in timeline.text and "调解员记录了进展" in timeline.text
    assert "柴火" not in timeline.text  # the mediator's own words stay with the mediator
