"""A consultation in a large village, on SQLite and PostgreSQL: opening it (one outbox notice per
resident), every resident voting in their own transaction (as the bot does, one tap = one unit of
work), 10% changing their vote, the reminder and closing ticks (the tally and one announcement per
resident), and the idempotent repeat.
Run: python -m benchmarks.consultations [--residents N] [--pg-url URL]"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import timedelta

from sqlalchemy import func, insert, select

from benchmarks._cases_common import START, backends, seeded_database, summary
from intake.models import Community, Notification, Resident


async def _residents(bench: object, count: int) -> list[int]:
    """``count`` consenting residents spread over 青山村's three grids; returns their chat ids."""
    sessions = bench.sessions  # type: ignore[attr-defined]
    async with sessions() as session:
        village = await session.scalar(select(Community.id).where(Community.code == "QSC"))
        grids = list(await session.scalars(select(Community.id).where(Community.parent_id == village)))
        rows = [
            {
                "chat_id": 1_000_000 + i,
                "display_name": f"村民{i}",
                "community_id": village,
                "grid_id": grids[i % len(grids)],
                "language": "zh",
                "consent_at": START,
                "consent_version": "v1",
                "created_at": START,
            }
            for i in range(count)
        ]
        for start in range(0, count, 1000):
            await session.execute(insert(Resident).values(rows[start : start + 1000]))
        await session.commit()
    return [row["chat_id"] for row in rows]


async def measure(backend: str, pg_url: str | None, residents: int) -> None:
    async with seeded_database(backend, pg_url) as bench:
        sessions, clock = bench.sessions, bench.clock
        chats = await _residents(bench, residents)
        clock.set(START)

        async with sessions() as session:
            started = time.perf_counter()
            view = await bench.services(session).consultations.create(
                "QSC", "健身广场建在哪里？", ["村口", "学校旁", "暂不建"], START + timedelta(days=3)
            )
            await session.commit()
            elapsed = time.perf_counter() - started
        print(f"{'open: ' + str(residents) + ' notices enqueued':<44} {elapsed * 1000:8.0f} ms")

        rng = random.Random(7)
        options = [o.id for o in view.options]

        async def vote(chat_id: int) -> float:
            async with sessions() as session:
                started = time.perf_counter()
                await bench.services(session).consultations.vote(view.id, chat_id, rng.choice(options))
                await session.commit()
                return time.perf_counter() - started

        voters = chats[: int(residents * 0.8)]  # 80% turnout
        print(summary("vote (one transaction each)", [await vote(c) for c in voters]))
        print(summary("change a vote", [await vote(c) for c in voters[: len(voters) // 10]]))

        async def tick(label: str) -> None:
            await bench.timed_tick(label, keep=lambda key: key.startswith("consultation"))

        clock.set(START + timedelta(days=2, hours=1))
        await tick("reminder tick (to the 20% who have not voted)")
        clock.set(START + timedelta(days=3))
        await tick("closing tick (tally + announcements)")
        await tick("the same tick again (idempotent)")
        async with sessions() as session:
            started = time.perf_counter()
            results = await bench.services(session).consultations.results(view.id)
            elapsed = time.perf_counter() - started
            queued = await session.scalar(select(func.count()).select_from(Notification))
        print(f"{'results of the closed consultation':<44} {elapsed * 1000:8.0f} ms")
        print(
            f"votes {results.votes} of {results.eligible} (turnout {results.turnout}); outbox rows {queued}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()

    async def run() -> None:
        for backend, pg in backends(args.pg_url):
            await measure(backend, pg, args.residents)

    asyncio.run(run())


if __name__ == "__main__":
    main()
