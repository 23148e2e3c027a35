"""The statistics query (counts by category/state/community, on-time rate, median days) and the CSV
export over 100,000 cases, on SQLite and PostgreSQL. Target: summary ≤ 1 s.
Run: python -m benchmarks.cases_stats [--cases N] [--pg-url URL]"""

from __future__ import annotations

import io
import statistics
import time

from benchmarks._cases_common import START, bulk_cases, run_on_every_backend, seeded_database


async def measure(backend: str, pg_url: str | None, cases: int) -> None:
    async with seeded_database(backend, pg_url) as bench:
        engine, sessions = bench.engine, bench.sessions
        started = time.perf_counter()
        await bulk_cases(engine, cases, open_only=False, now=START)
        print(f"bulk insert of {cases} cases: {time.perf_counter() - started:.1f} s")
        runs = []
        for _ in range(5):
            async with sessions() as session:
                started = time.perf_counter()
                stats = await bench.services(session).stats.summary()
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
            scoped = await bench.services(session).stats.summary("QSC")
            print(
                f"stats.summary for one village ({scoped.total} cases): "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
        async with sessions() as session:
            buffer = io.StringIO()
            started = time.perf_counter()
            rows = await bench.services(session).stats.export_csv(buffer)
            print(
                f"CSV export of {rows} cases: {time.perf_counter() - started:.1f} s, "
                f"{len(buffer.getvalue()) / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    run_on_every_backend(measure, __doc__, 100_000)
