"""/language and the language buttons under 帮助: the choice is stored and used for every later message and
notification, end to end over HTTP through the fake Bot API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.intake_backend import IntakeBackend
from bot.services import CaseDraft
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess, offline_settings
from tests.bot.conftest import RESIDENT, register

NEWCOMER = 1777


async def test_switching_to_english_and_back(
    telegram: FakeTelegram, running: BotProcess, backend: IntakeBackend
) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "/language")
    await telegram.wait_text(RESIDENT, "请选择语言")
    telegram.press_label(RESIDENT, "English")
    switched = await telegram.wait_text(RESIDENT, "I will speak English")
    assert switched.reply_keyboard is not None and ["Help"] in switched.reply_keyboard

    telegram.send_text(RESIDENT, "/help")
    await telegram.wait_text(RESIDENT, "Here is what I can do")
    async with backend.unit_of_work() as services:
        assert (await services.residents.get(RESIDENT)).language == "en"  # type: ignore[union-attr]
        opened = await services.cases.open(RESIDENT, "QSC", "QSC-01", CaseDraft("邻里纠纷", "邻居堵路"))
    running.committed.set()
    notice = await telegram.wait_text(RESIDENT, opened.case_no)
    assert "is accepted; we are finding a mediator" in notice.text  # the notification follows the choice

    telegram.send_text(RESIDENT, "Help")  # the menu button: help, then the two language buttons
    await telegram.wait_text(RESIDENT, "Language / 语言")
    telegram.press_label(RESIDENT, "简体中文")
    await telegram.wait_text(RESIDENT, "以后用简体中文")
    telegram.send_text(RESIDENT, "/help")
    await telegram.wait_text(RESIDENT, "我能帮您")


async def test_a_forged_language_changes_nothing(telegram: FakeTelegram, running: BotProcess) -> None:
    await register(telegram)
    telegram.send_text(RESIDENT, "/language")
    chooser = await telegram.wait_text(RESIDENT, "请选择语言")
    answered = len(telegram.callback_answers)
    telegram.press(RESIDENT, chooser, "lg:fr")
    alert = await telegram.wait_answer("操作没有生效", answered)
    assert alert.get("show_alert") in (True, "true")
    telegram.send_text(RESIDENT, "/help")
    await telegram.wait_text(RESIDENT, "我能帮您")


async def test_a_newcomer_chooses_english_before_start(telegram: FakeTelegram, running: BotProcess) -> None:
    telegram.send_text(NEWCOMER, "/language")
    await telegram.wait_text(NEWCOMER, "请选择语言")
    telegram.press_label(NEWCOMER, "English")
    await telegram.wait_text(NEWCOMER, "I will speak English")
    telegram.send_text(NEWCOMER, "/start")
    await telegram.wait_text(NEWCOMER, "Hello, I am heshi")


async def test_the_registration_hands_its_resident_to_the_next_message(
    telegram: FakeTelegram, backend: IntakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What /start, the grid and the consent wrote is remembered as written: the resident's first question
    reads nothing (in a burst of registrations that read was most of a question's wait), and a later
    change (the language) is seen at once."""
    reads: list[str] = []
    reading = backend.reading

    def counted() -> Any:
        reads.append("read")
        return reading()

    monkeypatch.setattr(backend, "reading", counted)
    process = await BotProcess.build(
        offline_settings(telegram, Path(os.environ["HESHI_DATA_DIR"])), backend
    ).start()
    try:
        await register(telegram)
        after_registration = len(reads)
        telegram.send_text(RESIDENT, "邻居家的树挡住了我家的光")
        await telegram.wait_text(RESIDENT, "第二百九十六条")
        assert len(reads) == after_registration  # consented, in QSC-01: known without a read
        telegram.send_text(RESIDENT, "/language")
        await telegram.wait_text(RESIDENT, "请选择语言")
        telegram.press_label(RESIDENT, "English")
        await telegram.wait_text(RESIDENT, "I will speak English")
        telegram.send_text(RESIDENT, "/help")
        await telegram.wait_text(RESIDENT, "Here is what I can do")
        assert len(reads) == after_registration
    finally:
        await process.stop()
