"""Load benchmark: 200 simulated residents at once through the fake Telegram Bot API.

The bot runs as its own process (``python -m bot bot run``, long polling over real HTTP) against the
fake Bot API served by this script; half the residents ask a question, half file a mediation case
through the whole form. Printed: nothing lost (every resident answered, every case in the database),
replies per second, reply latency p50/p95, the bot process's peak memory (VmHWM) and the machine's
load average before and after (other work on the machine changes latency).

    python benchmarks/bot_load.py [--residents 200] [--database-url URL] [--json]

``--database-url postgresql+asyncpg://user@host:port/db`` runs the case service on that PostgreSQL
server: the benchmark creates a fresh database beside ``db`` and drops it afterwards. Without it the
bot uses SQLite files in a temporary data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.testing.fake_telegram import FakeTelegram  # noqa: E402
from bot.testing.scripts import case_form_steps  # noqa: E402

QUESTIONS = (
    "我们村一户能有几处宅基地？",
    "村里养狗要遵守什么规定？",
    "邻居家的狗咬了我家的鸡，村里有规定吗？",
)
FIRST_USER = 100_000
PROFILE_GIL_ONLY = False  # --profile-gil


class Resident:
    # --distinct-questions: every resident's question differs (a numbered suffix), so the assistant's
    # query-vector cache cannot hide the cost of encoding each question.
    distinct_questions = False

    def __init__(self, server: FakeTelegram, user: int, latencies: list[float]) -> None:
        self.server, self.user, self.latencies = server, user, latencies
        self.answer_latencies: list[float] = []  # question -> cited answer only
        self.confirm_latencies: list[float] = []  # 确认提交 -> the case number
        self.form_latencies: list[float] = []  # the other steps of the form

    async def act(self, action: str, value: str, expect: str, timeout: float = 900.0) -> None:
        started = time.perf_counter()
        if action == "say":
            self.server.send_text(self.user, value)
        else:
            self.server.press_label(self.user, value)
        await self.server.wait_text(self.user, expect, timeout=timeout)
        self.latencies.append(time.perf_counter() - started)

    async def register(self) -> None:
        await self.act("say", "/start QSC", "网格")
        await self.act("press", "QSC-01", "您同意吗")
        await self.act("press", "同意", "谢谢")

    async def ask(self) -> None:
        question = QUESTIONS[self.user % len(QUESTIONS)]
        if self.distinct_questions:
            question = f"{question}我是{self.user - FIRST_USER}号村民。"
        await self.act("say", question, "条")
        self.answer_latencies.append(self.latencies[-1])

    async def file_case(self) -> None:
        steps = case_form_steps(self.user)
        for action, value, expect in steps:
            await self.act(action, value, expect)
            self.form_latencies.append(self.latencies[-1])
        await self.act("press", "确认提交", "案件编号")
        self.confirm_latencies.append(self.latencies[-1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def count_cases(data_dir: Path) -> int:
    os.environ["HESHI_DATA_DIR"] = str(data_dir)
    from bot.runtime import load_backend
    from bot.settings import BotSettings

    backend = await load_backend(BotSettings(data_dir=data_dir))
    try:
        total = 0
        async with backend.unit_of_work() as services:
            for user in range(FIRST_USER, FIRST_USER + 100_000):
                if user % 2:
                    continue
                cases = await services.cases.for_resident(user)
                total += len(cases)
                if user > FIRST_USER + 2 * 1000:
                    break
        return total
    finally:
        await backend.close()


@asynccontextmanager
async def fresh_database(server_url: str | None) -> AsyncIterator[str | None]:
    """A new empty PostgreSQL database on ``server_url`` for one run (dropped afterwards); None: SQLite."""
    if not server_url:
        yield None
        return
    import asyncpg

    base, _, _ = server_url.rpartition("/")
    admin = server_url.replace("postgresql+asyncpg://", "postgresql://")
    name = f"heshi_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield f"{base}/{name}"
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the assistant's worker process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            todo += [int(child) for child in children]
    return found


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of a process so far: ``pid``, or this one."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(values: list[float], quantile: float) -> int | None:
    """The quantile of sorted seconds, in milliseconds (the median for 0.5)."""
    if not values:
        return None
    if quantile == 0.5:
        return round(statistics.median(values) * 1000)
    return round(values[int(quantile * (len(values) - 1))] * 1000)


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


async def _settle(job: Any) -> BaseException | None:
    try:
        await job
    except Exception as error:
        return error
    return None


async def main(
    residents: int, sequential: bool = False, database_url: str | None = None, profile: str | None = None
) -> dict[str, object]:
    async with fresh_database(database_url) as url:
        if url:
            os.environ["HESHI_DATABASE_URL"] = url
        return await run(residents, sequential, "postgresql" if url else "sqlite", profile)


def start_profiler(pid: int, output: str, gil_only: bool = False) -> subprocess.Popen[bytes]:
    """py-spy (``pip install py-spy``) samples the bot process until the run ends: collapsed stacks
    ("raw" format, one line per stack with its sample count) for reading where the time goes;
    ``gil_only`` keeps the samples of threads holding the GIL (CPU, not waiting)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    flags = ["--format", "raw", "--rate", "100", "--nonblocking", *(["--gil"] if gil_only else [])]
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), *flags, "--output", output],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run(
    residents: int, sequential: bool, database: str, profile: str | None = None
) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="heshi-bot-load-"))
    os.environ["HESHI_DATA_DIR"] = str(data_dir)
    from bot.runtime import load_sample_knowledge

    load_sample_knowledge()  # the questions are answered from the bundled sample knowledge base
    async with FakeTelegram() as server:
        env = {
            **os.environ,
            "HESHI_DATA_DIR": str(data_dir),
            "HESHI_TELEGRAM_API_BASE": server.base_url,
            "HESHI_THROTTLE_BURST": "100",
            "HESHI_SCHEDULER_INTERVAL": "2",
            "PYTHONPATH": str(ROOT),
        }
        log_path = data_dir / "bot.log"  # a file, not a pipe: a full pipe would stall the bot
        log_file = log_path.open("w")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "bot", "run", "--seed-sample"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            people = [Resident(server, FIRST_USER + i, []) for i in range(residents)]
            await people[0].act("say", "/help", "我能帮您做这些事", timeout=180)  # the bot is up
            people[0].latencies.clear()
            profiler = start_profiler(bot.pid, profile, PROFILE_GIL_ONLY) if profile else None
            load_before = load_average()
            cpu_before = cpu_seconds(bot.pid), cpu_seconds()
            cpu_at_start = {pid: cpu_seconds(pid) for pid in process_tree(bot.pid)[1:]}
            started = time.perf_counter()
            await asyncio.gather(*(p.register() for p in people))
            registered = time.perf_counter()
            work = [(p.file_case() if p.user % 2 == 0 else p.ask()) for p in people]
            if sequential:
                results = [await _settle(job) for job in work]
            else:
                results = await asyncio.gather(*work, return_exceptions=True)
            finished = time.perf_counter()
            tree = process_tree(bot.pid)
            rss = peak_rss_mb(bot.pid)
            worker_rss = sum(peak_rss_mb(pid) for pid in tree[1:])
            cpu_after = cpu_seconds(bot.pid), cpu_seconds()
            worker_cpu = sum(cpu_seconds(pid) - cpu_at_start.get(pid, 0.0) for pid in tree[1:])
            load_after = load_average()
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                profiler.wait(timeout=60)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
            log_file.close()
            errors = log_path.read_text(encoding="utf-8", errors="replace")
    failures = [r for r in results if isinstance(r, BaseException)]
    latencies = sorted(latency for p in people for latency in p.latencies)
    answers = sorted(latency for p in people for latency in p.answer_latencies)
    form_steps = sorted(latency for p in people for latency in p.form_latencies)
    confirms = sorted(latency for p in people for latency in p.confirm_latencies)
    replies = len(latencies)
    cases = await count_cases(data_dir)
    return {
        "residents": residents,
        "mode": "sequential" if sequential else "all at once",
        "database": database,
        "answered": residents - len(failures),
        "cases_expected": sum(1 for p in people if p.user % 2 == 0),
        "cases_in_database": cases,
        "replies": replies,
        "seconds": round(finished - started, 1),
        "seconds_registering": round(registered - started, 1),
        "replies_per_second": round(replies / (finished - started), 1),
        "latency_p50_ms": round(statistics.median(latencies) * 1000),
        "latency_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000),
        "answer_latency_p50_ms": _ms(answers, 0.5),
        "answer_latency_p95_ms": _ms(answers, 0.95),
        "form_step_latency_p50_ms": _ms(form_steps, 0.5),
        "form_step_latency_p95_ms": _ms(form_steps, 0.95),
        "confirm_latency_p50_ms": _ms(confirms, 0.5),  # 确认提交 -> the case number
        "confirm_latency_p95_ms": _ms(confirms, 0.95),
        "bot_peak_rss_mb": round(rss, 1),
        # the assistant's worker process (HESHI_ASSISTANT_PROCESS, the default); 0 when in the bot's
        "assistant_worker_peak_rss_mb": round(worker_rss, 1),
        "bot_cpu_seconds": round(cpu_after[0] - cpu_before[0], 1),
        "assistant_worker_cpu_seconds": round(worker_cpu, 1),
        "benchmark_cpu_seconds": round(cpu_after[1] - cpu_before[1], 1),  # fake Bot API + residents
        "load_average_before": load_before,
        "load_average_after": load_after,
        "failures": [repr(f)[:200] for f in failures[:5]],
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        },
        "bot_stderr_tail": errors.strip().splitlines()[-3:] if failures else [],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sequential", action="store_true", help="one resident at a time (no queueing)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql+asyncpg://...); a fresh database is made on it",
    )
    parser.add_argument(
        "--distinct-questions", action="store_true",
        help="no two residents ask the same text (defeats the query-vector cache)",
    )
    parser.add_argument(
        "--profile", metavar="FILE",
        help="sample the bot process with py-spy during the run; collapsed stacks written to FILE",
    )
    parser.add_argument("--profile-gil", action="store_true", help="--profile: only samples holding the GIL")
    args = parser.parse_args()
    PROFILE_GIL_ONLY = args.profile_gil
    Resident.distinct_questions = args.distinct_questions
    figures = asyncio.run(
        main(args.residents, args.sequential, args.database_url, args.profile)
    )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    sys.exit(
        0
        if figures["answered"] == figures["residents"]
        and figures["cases_in_database"] == figures["cases_expected"]
        else 1
    )
