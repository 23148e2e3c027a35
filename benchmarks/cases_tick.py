"""The scheduler tick over 100,000 open cases, on SQLite and PostgreSQL: a quiet tick (nothing due), a
busy one (a day's reminders and escalations fall due), and the idempotent repeat.
Run: python -m benchmarks.cases_tick [--cases N] [--pg-url URL]"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta

from benchmarks._cases_common import (
    START,
    backends,
    bulk_cases,
    database,
    environment,
    seed_places,
    services_for,
)
from intake.clock import FakeClock
from intake.db import make_sessionmaker


async def measure(backend: str, pg_url: str | None, cases: int) -> None:
    async with database(backend, pg_url) as (url, engine):
        print(f"\n[{backend}] {await environment(engine)}")
        sessions = make_sessionmaker(engine)
        clock = FakeClock(START)
        async with sessions() as session:
            await seed_places(services_for(session, url, clock))
            await session.commit()
        await bulk_cases(engine, cases, open_only=True, now=START)

        async def tick(label: str) -> None:
            async with sessions() as session:
                started = time.perf_counter()
                report = await services_for(session, url, clock).tick()
                await session.commit()
                elapsed = time.perf_counter() - started
            print(f"{label:<44} {elapsed * 1000:8.0f} ms  {report.to_dict()}")

        # Cases were opened 0–25 days before START with a 30-day clock.
        clock.set(START)
        await tick(f"quiet tick over {cases} open cases")
        await tick("the same tick again (idempotent)")
        clock.set(START + timedelta(days=1))
        await tick("next day: a day of due reminders")
        clock.set(START + timedelta(days=5, hours=2))
        await tick("after 4 days off: reminders + overdue")
        await tick("the same tick again (idempotent)")

async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    for backend, pg in backends(args.pg_url):
        await measure(backend, pg, args.cases)


if __name__ == "__main__":
    asyncio.run(main())
