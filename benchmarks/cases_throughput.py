"""Case creation and state changes per second, with p50/p95 latency, on SQLite and PostgreSQL.

Each operation is one service call in its own transaction (as a bot handler does it), sequentially and
then with several concurrent workers. Run: python -m benchmarks.cases_throughput [--cases N] [--pg-url URL]
(PostgreSQL is measured when --pg-url or HESHI_TEST_PG_URL is given). 200 residents file the cases.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

from benchmarks._cases_common import backends, seeded_database, summary
from intake.cases import AgreementIn, NewCase, Respondent

# Residents filing cases: most file one or two (a few with several open cases is the costly case for
# the related-case check, which looks at the complainant's other open cases).
RESIDENTS = 200


async def measure(backend: str, pg_url: str | None, cases: int, workers: int) -> None:
    async with seeded_database(backend, pg_url) as bench:
        sessions = bench.sessions
        async with sessions() as session:
            svc = bench.services(session)
            for i in range(RESIDENTS):
                await svc.residents.register(2_000_000 + i, f"村民{i}", community_code="QSC")
                await svc.residents.give_consent(2_000_000 + i, "v1")
            await session.commit()

        async def timed(op: object) -> float:
            started = time.perf_counter()
            async with sessions() as session:
                await op(bench.services(session))  # type: ignore[operator]
                await session.commit()
            return time.perf_counter() - started

        opened: list[tuple[str, int]] = []

        def opener(i: int) -> object:
            async def op(svc: object) -> None:
                result = await svc.cases.open(
                    NewCase(  # type: ignore[attr-defined]
                        2_000_000 + i % RESIDENTS,
                        "QSC",
                        "邻里纠纷",
                        f"第{i}件纠纷",
                        grid_code="QSC-01",
                        respondents=[Respondent(f"对方{i}")],
                        address=f"{i}号",
                    )
                )
                opened.append((result.case_no, result.offered_to.chat_id))

            return op

        latencies = [await timed(opener(i)) for i in range(cases)]
        print(summary("open (sequential)", latencies))
        lat: dict[str, list[float]] = {"accept": [], "start": [], "agree": []}
        for case_no, mediator in opened:
            lat["accept"].append(await timed(lambda s, c=case_no, m=mediator: s.cases.accept_offer(c, m)))
            lat["start"].append(await timed(lambda s, c=case_no, m=mediator: s.cases.start_mediation(c, m)))
            lat["agree"].append(
                await timed(
                    lambda s, c=case_no, m=mediator: s.cases.record_agreement(
                        c, m, AgreementIn("oral", "和解", date(2026, 1, 6))
                    )
                )
            )
        for name, values in lat.items():
            print(summary(f"{name} (sequential)", values))
        print(summary("all state changes", [v for values in lat.values() for v in values]))

        queue = list(range(cases, cases * 2))
        concurrent: list[float] = []

        async def worker() -> None:
            while queue:
                concurrent.append(await timed(opener(queue.pop())))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        wall = time.perf_counter() - started
        print(summary(f"open ({workers} workers)", concurrent) + f"  wall {cases / wall:7.1f} cases/s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    for backend, pg in backends(args.pg_url):
        await measure(backend, pg, args.cases, args.workers)


if __name__ == "__main__":
    asyncio.run(main())
