"""The scheduler tick over 100,000 open cases, on SQLite and PostgreSQL: a quiet tick (nothing due), a
busy one (a day's reminders and escalations fall due), and the idempotent repeat.
Run: python -m benchmarks.cases_tick [--cases N] [--pg-url URL]"""

from __future__ import annotations

from datetime import timedelta

from benchmarks._cases_common import START, bulk_cases, run_on_every_backend, seeded_database


async def measure(backend: str, pg_url: str | None, cases: int) -> None:
    async with seeded_database(backend, pg_url) as bench:
        engine, clock = bench.engine, bench.clock
        await bulk_cases(engine, cases, open_only=True, now=START)

        tick = bench.timed_tick

        # Cases were opened 0–25 days before START with a 30-day clock.
        clock.set(START)
        await tick(f"quiet tick over {cases} open cases")
        await tick("the same tick again (idempotent)")
        clock.set(START + timedelta(days=1))
        await tick("next day: a day of due reminders")
        clock.set(START + timedelta(days=5, hours=2))
        await tick("after 4 days off: reminders + overdue")
        await tick("the same tick again (idempotent)")


if __name__ == "__main__":
    run_on_every_backend(measure, __doc__, 100_000)
