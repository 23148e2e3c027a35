"""The mediators' group: one forum topic per case, offer buttons checked against the database.

End to end over HTTP through the fake Bot API: the card opens the case's topic, a press by anyone but
the offered mediator is refused and changes nothing, accepting in the group sends the contacts to the
mediator's private chat, later events land in the same topic and closing the case closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.intake_backend import IntakeBackend
from bot.services import CaseDraft, TeamTopic
from bot.testing.fake_telegram import FakeTelegram, SentMessage
from bot.testing.harness import BotProcess
from tests.bot.conftest import MEDIATOR, OTHER_MEDIATOR, RESIDENT, register

GROUP = -1001234567890
STRANGER = 5555


@pytest.fixture(autouse=True)
def mediators_group(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read by both the bot's and the case service's settings, before the fixtures build them.
    monkeypatch.setenv("HESHI_MEDIATORS_CHAT_ID", str(GROUP))


@pytest.fixture
async def case_no(telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend) -> AsyncIterator[str]:
    await register(telegram)
    draft = CaseDraft(category="邻里纠纷", description="隔壁老张把我家门口的路堵了", place="东头小路")
    async with backend.unit_of_work() as services:
        opened = await services.cases.open(RESIDENT, "QSC", "QSC-01", draft)
    running.committed.set()  # deliver now, as after an update
    yield opened.case_no


async def _state(backend: IntakeBackend, case_no: str) -> tuple[str, Any]:
    async with backend.unit_of_work() as services:
        case = (await services.cases.for_resident(RESIDENT))[0]
    assert case.case_no == case_no
    return case.state, case.mediator_chat_id


async def _group_card(telegram: FakeTelegram, case_no: str) -> SentMessage:
    card = await telegram.wait_text(GROUP, "已请 王和事 接手")
    assert case_no in card.text and "东头小路" in card.text and "邻里纠纷" in card.text
    assert card.thread_id is not None
    return card


async def test_the_case_gets_a_topic_and_only_the_offered_mediator_can_answer(
    telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend, case_no: str
) -> None:
    card = await _group_card(telegram, case_no)
    thread = card.thread_id
    assert thread is not None
    topic = telegram.topics[GROUP][thread]
    assert topic.name == f"{case_no} 邻里纠纷" and not topic.closed
    assert await backend.team_topic(case_no) == TeamTopic(thread, card.message_id)
    await telegram.wait_text(MEDIATOR, case_no)  # the personal handoff card as well
    assert "申请人" not in card.text  # no contacts in the group

    # Another mediator and a stranger press the group's buttons: refused, nothing changes.
    answered = len(telegram.callback_answers)
    telegram.press(OTHER_MEDIATOR, card, card.button("接受")["callback_data"])
    refusal = await telegram.wait_answer("没有派给您", answered)
    assert refusal.get("show_alert") in (True, "true")
    telegram.press(STRANGER, card, card.button("婉拒")["callback_data"])
    await telegram.wait_answer("没有派给您", answered + 1)
    assert await _state(backend, case_no) == ("accepted", None)
    assert not telegram.messages[STRANGER] and not telegram.messages[OTHER_MEDIATOR]
    assert card.buttons  # still waiting for the offered mediator

    # The offered mediator accepts in the group: contacts go to the private chat, never the group.
    answered = len(telegram.callback_answers)
    telegram.press(MEDIATOR, card, card.button("接受")["callback_data"])
    await telegram.wait_answer("已发到您的私聊", answered)
    details = await telegram.wait_text(MEDIATOR, "申请人")
    assert case_no in details.text and details.flat_buttons
    assert not card.buttons  # the group card no longer offers the case
    await telegram.wait_text(GROUP, "王和事 已接手")
    assert await _state(backend, case_no) == ("assigned", MEDIATOR)

    # Later events are posted in the same topic; closing the case closes the topic.
    telegram.press_label(MEDIATOR, "达成协议", chat_id=MEDIATOR)
    await telegram.wait_text(MEDIATOR, "请写协议的内容")
    telegram.send_text(MEDIATOR, "老张三天内把柴火挪走")
    await telegram.wait_text(GROUP, "已达成协议")
    telegram.press_label(MEDIATOR, "结案", chat_id=MEDIATOR)
    await telegram.wait_text(GROUP, "已办结，本话题关闭")
    assert telegram.topics[GROUP][thread].closed
    posts = list(telegram.messages[GROUP])
    assert posts and all(m.thread_id == thread for m in posts)
    assert len(telegram.topics[GROUP]) == 1
    assert not any("申请人" in m.text or "13" in m.text for m in posts)


async def test_declining_in_the_group_asks_the_reason_in_private(
    telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend, case_no: str
) -> None:
    card = await _group_card(telegram, case_no)
    answered = len(telegram.callback_answers)
    telegram.press(MEDIATOR, card, card.button("婉拒")["callback_data"])
    await telegram.wait_answer("私聊", answered)
    prompt = await telegram.wait_text(MEDIATOR, "婉拒的原因")
    telegram.press(MEDIATOR, prompt, prompt.button("时间排不开")["callback_data"])
    await telegram.wait_text(MEDIATOR, "已记录")
    assert not any("时间排不开" in m.text for m in telegram.messages[GROUP])
    state, mediator = await _state(backend, case_no)
    assert mediator is None and state != "assigned"
    # The stale card is refused to the mediator who declined.
    answered = len(telegram.callback_answers)
    telegram.press(MEDIATOR, card, card.button("接受")["callback_data"])
    await telegram.wait_answer("没有派给您", answered)


async def test_a_deleted_topic_is_opened_again(
    telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend, case_no: str
) -> None:
    card = await _group_card(telegram, case_no)
    assert card.thread_id is not None
    telegram.delete_topic(GROUP, card.thread_id)  # an admin removed it by hand
    await telegram.wait_text(MEDIATOR, case_no)
    telegram.press_label(MEDIATOR, "接受", chat_id=MEDIATOR)  # accepted in the private chat
    notice = await telegram.wait_text(GROUP, "王和事 已接手", timeout=15)
    assert notice.thread_id not in (None, card.thread_id)
    assert not card.buttons  # accepted from the private card: the group card is retired too
    assert (await backend.team_topic(case_no)).thread_id == notice.thread_id
    assert telegram.topics[GROUP][notice.thread_id].name.startswith(case_no)


async def test_a_mediator_without_a_private_chat_is_asked_to_open_one(
    telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend, case_no: str
) -> None:
    telegram.unreachable.add(MEDIATOR)  # knows the bot only from the group
    card = await _group_card(telegram, case_no)
    answered = len(telegram.callback_answers)
    telegram.press(MEDIATOR, card, card.button("婉拒")["callback_data"])
    alert = await telegram.wait_answer("请先私聊我", answered)
    assert alert.get("show_alert") in (True, "true")
    assert await _state(backend, case_no) == ("accepted", None)  # nothing declined
    telegram.press(MEDIATOR, card, card.button("接受")["callback_data"])
    await telegram.wait_answer("请先私聊我", answered + 1)
    assert await _state(backend, case_no) == ("assigned", MEDIATOR)  # the acceptance counts
    await telegram.wait_text(GROUP, "王和事 已接手")
