"""The statistics query (counts by category/state/community, on-time rate, median days) and the CSV
export over 100,000 cases, on SQLite and PostgreSQL. Target: summary ≤ 1 s.
Run: python -m benchmarks.cases_stats [--cases N] [--pg-url URL]"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time

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
        started = time.perf_counter()
        await bulk_cases(engine, cases, open_only=False, now=START)
        print(f"bulk insert of {cases} cases: {time.perf_counter() - started:.1f} s")
        runs = []
        for _ in range(5):
            async with sessions() as session:
                started = time.perf_counter()
                stats = await services_for(session, url, clock).stats.summary()
                runs.append(time.perf_counter() - started)
        print(
            f"stats.summary over {stats.total} cases: median {statistics.median(runs) * 1000:.0f} ms, "
            f"max {max(runs) * 1000:.0f} ms (5 runs; target ≤ 1000 ms)"
        )
        print(
            f"  resolved {stats.resolved}, on-time {stats.on_time_rate}, "
            f"median days {stats.median_days_to_resolution}"
        )
        async with sessions() as session:
            started = time.perf_counter()
            scoped = await services_for(session, url, clock).stats.summary("QSC")
            print(
                f"stats.summary for one village ({scoped.total} cases): "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
        async with sessions() as session:
            buffer = io.StringIO()
            started = time.perf_counter()
            rows = await services_for(session, url, clock).stats.export_csv(buffer)
            print(
                f"CSV export of {rows} cases: {time.perf_counter() - started:.1f} s, "
                f"{len(buffer.getvalue()) / 1e6:.1f} MB"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    for backend, pg in backends(args.pg_url):
        await measure(backend, pg, args.cases)


if __name__ == "__main__":
    asyncio.run(main())
