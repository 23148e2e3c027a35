"""Replies wait for the commit, and an update holds the database only while it works on it.

End to end through the fake Bot API on the real case service: a failed commit sends no reply and loses
nothing; a slow answer holds up no one else; many residents at once on SQLite and on PostgreSQL; a
handler that needs the message it sends (the knowledge upload's progress message) still gets it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, GetMe, SendMessage
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.adapters.intake_backend import IntakeBackend
from bot.replies import PENDING, ReplyQueue
from bot.services import AssistantReply
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import BotProcess
from bot.testing.scripts import case_form_steps
from tests.bot.conftest import RESIDENT, ScriptedAssistant, register, start_bot
from tests.bot.test_robustness import _fill_to_confirm, _open_form
from tests.conftest import pg_url

SORRY = "系统出了点问题"
PATIENCE = 120.0  # seconds; the machine is shared, latency is measured in benchmarks/, not here


class FailingCommits:
    """While armed, the commit of an intake unit of work that wrote something fails like a full disk."""

    def __init__(self, backend: IntakeBackend) -> None:
        self.backend = backend
        self.armed = False
        self.failed = 0

    @staticmethod
    def _mark(session: Session, *_: Any) -> None:
        session.info["wrote"] = True

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_commit = AsyncSession.commit
        guard = self

        async def commit(session: AsyncSession) -> None:
            sync = session.sync_session
            wrote = sync.info.pop("wrote", False) or bool(sync.new or sync.dirty or sync.deleted)
            if guard.armed and session.bind is guard.backend.engine and wrote:
                guard.failed += 1
                await session.rollback()
                raise OperationalError("COMMIT", None, sqlite3.OperationalError("disk I/O error"))
            await real_commit(session)

        monkeypatch.setattr(AsyncSession, "commit", commit)


@pytest.fixture
def failing_commits(running: BotProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[FailingCommits]:
    assert isinstance(running.backend, IntakeBackend)
    guard = FailingCommits(running.backend)
    guard.install(monkeypatch)
    event.listen(Session, "after_flush", FailingCommits._mark)
    yield guard
    event.remove(Session, "after_flush", FailingCommits._mark)


async def test_a_failed_commit_sends_no_reply_and_loses_nothing(
    telegram: FakeTelegram, running: BotProcess, failing_commits: FailingCommits
) -> None:
    await _open_form(telegram)
    await _fill_to_confirm(telegram)
    summary = telegram.last_with_buttons(RESIDENT)
    sent_before = len(telegram.texts(RESIDENT))

    failing_commits.armed = True
    telegram.press_label(RESIDENT, "确认提交")
    await telegram.wait_text(RESIDENT, SORRY)
    await asyncio.sleep(0.5)  # a reply that would wrongly follow the apology has time to arrive
    assert failing_commits.failed == 1
    after = telegram.texts(RESIDENT)[sent_before:]
    assert len(after) == 1 and SORRY in after[0], after  # the apology only: no case number
    assert summary.flat_buttons, "the summary keeps its buttons: the edit waited for a commit"
    async with running.backend.unit_of_work() as services:
        assert await services.cases.for_resident(RESIDENT) == []

    failing_commits.armed = False  # the resident simply presses again: the form was kept
    telegram.press_label(RESIDENT, "确认提交")
    submitted = await telegram.wait_text(RESIDENT, "案件编号")
    async with running.backend.unit_of_work() as services:
        (case,) = await services.cases.for_resident(RESIDENT)
    assert case.case_no in submitted.text


async def test_a_failed_commit_takes_back_every_reply_of_the_update(
    telegram: FakeTelegram, running: BotProcess, failing_commits: FailingCommits
) -> None:
    failing_commits.armed = True
    telegram.send_text(RESIDENT, "/start QSC")  # registers the resident, then asks for the grid
    await telegram.wait_text(RESIDENT, SORRY)
    await asyncio.sleep(0.5)
    texts = telegram.texts(RESIDENT)
    assert texts and all(SORRY in text for text in texts), texts  # no welcome, no grid question
    async with running.backend.unit_of_work() as services:
        assert await services.residents.get(RESIDENT) is None

    failing_commits.armed = False
    await register(telegram)


class GatedAssistant(ScriptedAssistant):
    """Answers a message containing 慢 only when the test opens the gate (a slow retrieval)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply:
        if "慢" in message:
            self.entered.set()
            self.gate.wait(timeout=PATIENCE)
        return super().respond(message, community, lang)


async def test_a_slow_answer_holds_up_no_one_else(telegram: FakeTelegram) -> None:
    assistant = GatedAssistant()
    process, backend = await start_bot(telegram, assistant)
    try:
        await register(telegram, RESIDENT)
        telegram.send_text(RESIDENT, "慢慢问：排水能经过我家院子吗？")
        assert await asyncio.to_thread(assistant.entered.wait, PATIENCE)
        # While the first resident's answer is being computed, another resident registers (writes)
        # and files a whole case: nothing waits for the first update.
        other = RESIDENT + 1
        await register(telegram, other)
        telegram.send_text(other, "找和事佬调解")
        await telegram.wait_text(other, "第 1 步")
        assert not any("第二百九十六条" in text for text in telegram.texts(RESIDENT))
        assistant.gate.set()
        await telegram.wait_text(RESIDENT, "第二百九十六条", timeout=PATIENCE)
    finally:
        assistant.gate.set()
        await process.stop()
        await backend.close()


# ---------------------------------------------------------------------- many at once, both databases
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The case service on SQLite files (the default) or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    server = pg_url()
    if not server:
        pytest.skip("HESHI_TEST_PG_URL is not set (make test starts a PostgreSQL server)")
    import asyncpg

    name = f"heshi_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        monkeypatch.setenv("HESHI_DATABASE_URL", f"{server.rpartition('/')[0]}/{name}")
        yield "postgres"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _resident_files_a_case(telegram: FakeTelegram, user: int) -> None:
    steps = [*case_form_steps(user), ("press", "确认提交", "案件编号")]
    for action, value, expect in steps:
        if action == "say":
            telegram.send_text(user, value)
        else:
            telegram.press_label(user, value)
        await telegram.wait_text(user, expect, timeout=PATIENCE)


async def _resident(telegram: FakeTelegram, user: int) -> None:
    telegram.send_text(user, "/start QSC")
    await telegram.wait_text(user, "选择您所在的网格", timeout=PATIENCE)
    telegram.press_label(user, "QSC-01")
    await telegram.wait_text(user, "您同意吗", timeout=PATIENCE)
    telegram.press_label(user, "同意")
    await telegram.wait_text(user, "谢谢！", timeout=PATIENCE)
    if user % 2:
        telegram.send_text(user, "邻居家排水要经过我家院子，我必须让吗？")
        await telegram.wait_text(user, "第二百九十六条", timeout=PATIENCE)
    else:
        await _resident_files_a_case(telegram, user)


async def test_many_residents_at_once(
    database: str, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    process, backend = await start_bot(telegram, ScriptedAssistant())
    assert backend.engine.url.get_backend_name() == ("sqlite" if database == "sqlite" else "postgresql")
    users = [50_000 + i for i in range(16)]
    try:
        with caplog.at_level(logging.WARNING):
            await asyncio.gather(*(_resident(telegram, user) for user in users))
        async with backend.unit_of_work() as services:
            cases = [case for user in users for case in await services.cases.for_resident(user)]
    finally:
        await process.stop()
        await backend.close()
    assert len(cases) == len(users) // 2
    assert not any(SORRY in text for user in users for text in telegram.texts(user))
    assert "database is locked" not in caplog.text
    assert "failed" not in " ".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))


# ---------------------------------------------------------------------- a handler that needs its message
async def test_the_upload_progress_message_is_sent_at_once_and_edited(
    telegram: FakeTelegram, running: BotProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = 8001
    seen: list[str] = []

    async def ingest(path: Path, community: str | None) -> int:
        # The progress message is on the user's screen while the (slow) ingest runs.
        seen.extend(telegram.texts(admin))
        return len(path.read_text(encoding="utf-8").splitlines())

    monkeypatch.setattr(running.backend, "ingest_document", ingest)
    telegram.send_text(admin, "/admin")
    await telegram.wait_text(admin, "管理员菜单")
    telegram.press_label(admin, "上传知识文档")
    await telegram.wait_text(admin, "请发送文件")
    telegram.send_media(
        admin, "document", file_name="村规.txt", data="第一条 爱护环境。\n第二条 邻里和睦。\n".encode()
    )
    done = await telegram.wait_text(admin, "导入完成")
    assert "共 2 条" in done.text and done.edited == 1  # the same message, edited
    assert any("正在导入 村规.txt" in text for text in seen)


def test_only_replies_in_the_updates_own_chat_wait() -> None:
    queue = ReplyQueue(chat_id=RESIDENT)
    assert queue.holds(SendMessage(chat_id=RESIDENT, text="已登记"))
    assert queue.holds(AnswerCallbackQuery(callback_query_id="1"))  # answers this update's button
    assert queue.holds(EditMessageReplyMarkup(chat_id=RESIDENT, message_id=5))
    assert not queue.holds(SendMessage(chat_id=9001, text="alert"))  # someone else: at once
    assert not queue.holds(GetMe())  # a read


def test_a_queued_reply_has_no_fields_to_read() -> None:
    with pytest.raises(AttributeError, match="sent_at_once"):
        _ = PENDING.message_id


async def test_busy_worker_threads_hold_up_no_menu(telegram: FakeTelegram, running: BotProcess) -> None:
    """Slow answers may fill every worker thread; an update that needs none still goes through.
    (aiogram runs plain filters such as ``F.text.in_(...)`` in worker threads unless told otherwise,
    so every update used to queue there behind the answers.)"""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(2))
    gate = threading.Event()
    busy = [loop.run_in_executor(None, gate.wait, PATIENCE) for _ in range(2)]
    try:
        telegram.send_text(RESIDENT, "/help")
        await telegram.wait_text(RESIDENT, "我能帮您做这些事", timeout=30)
    finally:
        gate.set()
        await asyncio.gather(*busy)
