"""``heshi bot run`` as it runs in production: a process of its own, long polling over real HTTP against
the fake Bot API, the assistant in its worker process. Stopped by SIGTERM, it exits cleanly and its
worker goes with it.

Triage runs on its rules only and the knowledge base is empty, so the worker starts in seconds; the
answer is the honest "not sure" with the 12348 line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from bot.testing.fake_telegram import FakeTelegram
from tests.bot.conftest import RESIDENT, register
from tests.bot.test_assistant_process import _gone

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


async def test_bot_run_answers_through_its_worker_and_stops_with_it(telegram: FakeTelegram) -> None:
    data_dir = Path(os.environ["HESHI_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HESHI_TELEGRAM_API_BASE": telegram.base_url,
        "HESHI_TRIAGE_USE_EMBEDDINGS": "false",
        "HESHI_ANSWER_OUT_OF_SCOPE_DETECTOR": "false",
        "HESHI_ARTICLE_QUESTIONS": "off",
    }
    with (data_dir / "bot.log").open("w") as log:  # a file, not a pipe: a full pipe would stall the bot
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "bot", "run", "--seed-sample", cwd=ROOT, env=env, stderr=log
        )
        try:
            telegram.send_text(RESIDENT, "/help")
            await telegram.wait_text(RESIDENT, "我能帮您", timeout=120)
            workers = _children(bot.pid)
            assert workers, "the assistant's worker process is running"
            await register(telegram)
            telegram.send_text(RESIDENT, "请问邻居家的树挡住我家采光，法律上怎么规定？")
            await telegram.wait_text(RESIDENT, "12348", timeout=30)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(bot.wait(), 60)
    assert code == 0, (data_dir / "bot.log").read_text()[-2000:]
    deadline = time.monotonic() + 15
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert all(_gone(pid) for pid in workers)
