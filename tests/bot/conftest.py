"""Fixtures: the fake Bot API on 127.0.0.1, the case service (intake) behind the bot, a running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.intake_backend import IntakeBackend
from bot.services import AssistantReply, CaseDraft, Citation
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS, BotProcess, offline_settings

RESIDENT = 1001
MEDIATOR = 2001
OTHER_MEDIATOR = 2002
DUTY = 9001

ARTICLE_296 = (
    "不动产权利人因用水、排水、通行、铺设管线等利用相邻不动产的，应当尽量避免对相邻的不动产权利人造成损害。"
)


class ScriptedAssistant:
    """A deterministic test double for the answers service: the bot's behaviour is under test here, not
    retrieval. (``test_real_assistant.py`` runs the real ``knowledge.answers.Assistant`` through the bot.)"""

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply:
        if any(word in message for word in ("救命", "要杀", "自杀", "着火")):
            return AssistantReply("urgent", True, "")
        if message.strip() in ("在吗", "你好", "hello"):
            return AssistantReply("chitchat", False, "")
        if "建议" in message:
            return AssistantReply("suggestion", False, "")
        if "路灯" in message:
            return AssistantReply("report", False, "")
        citation = Citation(
            "law/中华人民共和国民法典/296", "中华人民共和国民法典", "第二百九十六条", ARTICLE_296, 0.9
        )
        if "长答案" in message:
            body = "\n\n".join(f"第{i}段：" + "法律解释的句子。" * 60 for i in range(20))
            return AssistantReply(
                "question", False, f"根据《中华人民共和国民法典》第二百九十六条：\n{body}", [citation]
            )
        if "堵" in message or "吵" in message:
            draft = CaseDraft(category="邻里纠纷", description=message)
            answer = f"根据《中华人民共和国民法典》第二百九十六条：“{ARTICLE_296}”"
            return AssistantReply("dispute", False, answer, [citation], category="邻里纠纷", offer_case=draft)
        return AssistantReply(
            "question", False, f"根据《中华人民共和国民法典》第二百九十六条：“{ARTICLE_296}”", [citation]
        )


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def open_backend(assistant: Any) -> IntakeBackend:
    """The real case service on this test's data directory."""
    return await IntakeBackend.open(assistant, Path(os.environ["HESHI_DATA_DIR"]))


async def start_bot(telegram: FakeTelegram, assistant: Any) -> tuple[BotProcess, IntakeBackend]:
    """A bot with its own assistant on the sample communities; the caller stops both."""
    backend = await open_backend(assistant)
    await backend.seed(SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS)
    settings = offline_settings(telegram, Path(os.environ["HESHI_DATA_DIR"]))
    return await BotProcess.build(settings, backend).start(), backend


@pytest.fixture
async def backend(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[IntakeBackend]:
    monkeypatch.setenv("HESHI_OUTBOX_BACKOFF_SECONDS", "1")  # retries within a test's patience
    backend = await open_backend(ScriptedAssistant())
    await backend.seed(SAMPLE_COMMUNITIES, SAMPLE_MEDIATORS)
    yield backend
    await backend.close()


@pytest.fixture
async def running(telegram: FakeTelegram, backend: Any) -> AsyncIterator[BotProcess]:
    process = await BotProcess.build(
        offline_settings(telegram, Path(os.environ["HESHI_DATA_DIR"])), backend
    ).start()
    yield process
    await process.stop()


async def register(telegram: FakeTelegram, user: int = RESIDENT, community: str = "QSC") -> None:
    """Walk a resident through /start by deep link: grid, consent."""
    telegram.send_text(user, f"/start {community}")
    await telegram.wait_text(user, "选择您所在的网格")
    telegram.press_label(user, "QSC-01")
    await telegram.wait_text(user, "您同意吗")
    telegram.press_label(user, "同意")
    await telegram.wait_text(user, "谢谢！")


async def suggest_and_report(telegram: FakeTelegram) -> None:
    """A registered resident makes a suggestion (menu button) and reports a hazard with photo and location."""
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
