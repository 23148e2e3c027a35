"""Shared helpers of the case benchmarks: databases, environment, bulk data, timing."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake import lifecycle as lc
from intake.clock import FakeClock
from intake.db import make_engine, make_sessionmaker, upgrade
from intake.models import Case, Community, Mediator, Resident
from intake.services import Services
from intake.settings import IntakeSettings

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def backends(argv_pg: str | None) -> list[tuple[str, str | None]]:
    pg = argv_pg or os.environ.get("HESHI_TEST_PG_URL")
    return [("sqlite", None)] + ([("postgresql", pg)] if pg else [])


@asynccontextmanager
async def database(backend: str, pg_url: str | None) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A fresh, migrated database (a temp SQLite file or a new PostgreSQL database), dropped afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="heshi-bench-"))
        url = f"sqlite+aiosqlite:///{folder / 'cases.db'}"
        name = None
    else:
        import asyncpg

        assert pg_url
        name = f"heshi_bench_{uuid.uuid4().hex[:10]}"
        admin = pg_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    await upgrade(url)
    engine = make_engine(url, pool_size=10) if backend != "sqlite" else make_engine(url)
    try:
        yield url, engine
    finally:
        await engine.dispose()
        if name:
            import asyncpg

            conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))  # type: ignore[union-attr]
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()


@dataclass
class Bench:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: FakeClock

    def services(self, session: AsyncSession) -> Services:
        return services_for(session, self.url, self.clock)

    async def timed_tick(self, label: str, keep: Callable[[str], bool] = lambda _: True) -> None:
        """One scheduler tick in its own transaction; prints its time and the report's figures."""
        async with self.sessions() as session:
            started = time.perf_counter()
            report = await self.services(session).tick()
            await session.commit()
            elapsed = time.perf_counter() - started
        figures = {key: value for key, value in report.to_dict().items() if keep(key)}
        print(f"{label:<44} {elapsed * 1000:8.0f} ms  {figures}")


@asynccontextmanager
async def seeded_database(backend: str, pg_url: str | None) -> AsyncIterator[Bench]:
    """A fresh database with the sample county, villages, grids, coordinators and 40 mediators."""
    async with database(backend, pg_url) as (url, engine):
        print(f"\n[{backend}] {await environment(engine)}")
        bench = Bench(url, engine, make_sessionmaker(engine), FakeClock(START))
        async with bench.sessions() as session:
            await seed_places(bench.services(session))
            await session.commit()
        yield bench


async def environment(engine: AsyncEngine) -> str:
    import sqlalchemy

    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            server = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
        else:
            server = str((await connection.execute(text("SHOW server_version"))).scalar())
            server = f"PostgreSQL {server}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.platform()}; Python {platform.python_version()}; CPUs {os.cpu_count()} "
        f"(load average {load}); SQLAlchemy {sqlalchemy.__version__}; {server}"
    )


async def seed_places(services: Services, mediators: int = 40) -> None:
    c = services.communities
    await c.add("YXX", "云溪县", level="county")
    await c.add("TYZ", "桃源镇", level="town", parent_code="YXX")
    for village in ("QSC", "LSS"):
        await c.add(village, village, level="village", parent_code="TYZ")
        await c.add_staff(
            70_000 + len(village) + ord(village[0]),
            f"{village}主任",
            role="coordinator",
            community_code=village,
        )
        for g in range(1, 4):
            await c.add(f"{village}-0{g}", f"{village}{g}", level="grid", parent_code=village)
    await c.add_staff(79_000, "镇矛调中心", role="coordinator", community_code="TYZ")
    await c.add_staff(79_001, "县共享法庭", role="coordinator", community_code="YXX")
    for i in range(mediators):
        village = "QSC" if i % 2 else "LSS"
        await services.mediators.add(
            50_000 + i,
            f"调解员{i}",
            communities=[village],
            specialties=[lc.CATEGORIES[i % len(lc.CATEGORIES)]],
            capacity=10_000,
        )
    await services.mediators.add(59_999, "镇调解员", communities=["TYZ"], level=3, capacity=100_000)


async def bulk_cases(engine: AsyncEngine, count: int, *, open_only: bool, now: datetime) -> None:
    """Insert ``count`` cases directly (realistic distribution of states, categories, durations)."""
    rng = random.Random(7)
    sessions = make_sessionmaker(engine)
    async with sessions() as session:
        communities = dict((await session.execute(select(Community.code, Community.id))).tuples().all())
        mediator_ids = list(await session.scalars(select(Mediator.id).where(Mediator.level == 1)))
        session.add_all(
            [
                Resident(
                    chat_id=1_000_000 + i,
                    display_name=f"村民{i}",
                    consent_at=now,
                    consent_version="v1",
                    created_at=now,
                )
                for i in range(500)
            ]
        )
        await session.commit()
        residents = list(await session.scalars(select(Resident.id)))
    open_states = [lc.ASSIGNED, lc.IN_MEDIATION, lc.ACCEPTED, lc.ESCALATED]
    done_states = [lc.CLOSED, lc.CLOSED, lc.CLOSED, lc.AGREED, lc.FAILED, lc.WITHDRAWN, lc.REJECTED]
    rows = []
    for i in range(count):
        village = "QSC" if i % 2 else "LSS"
        opened = (
            now - timedelta(days=rng.uniform(0, 365))
            if not open_only
            else now - timedelta(days=rng.uniform(0, 25))
        )
        state = rng.choice(open_states) if open_only or rng.random() < 0.2 else rng.choice(done_states)
        due = opened + timedelta(days=30)
        resolved = None if state in open_states else opened + timedelta(days=rng.expovariate(1 / 12))
        rows.append(
            {
                "case_no": f"{village}-BENCH-{i:06d}",
                "category": rng.choice(lc.CATEGORIES),
                "description": "基准",
                "desired_outcome": "",
                "complainant_id": rng.choice(residents),
                "community_id": communities[village],
                "grid_id": communities[f"{village}-0{1 + i % 3}"],
                "address": "",
                "anonymous": False,
                "urgent": False,
                "state": state,
                "level": 2 if state == lc.ESCALATED else 1,
                "mediator_id": rng.choice(mediator_ids) if state in (lc.ASSIGNED, lc.IN_MEDIATION) else None,
                "referral": "",
                "opened_at": opened,
                "accepted_at": opened,
                "due_at": due,
                "resolved_at": resolved,
                "resolution_days": (resolved - opened).total_seconds() / 86400 if resolved else None,
                "resolved_on_time": (resolved <= due) if resolved else None,
                "updated_at": opened,
            }
        )
        if len(rows) == 5000:
            async with sessions() as session:
                await session.execute(insert(Case), rows)
                await session.commit()
            rows = []
    if rows:
        async with sessions() as session:
            await session.execute(insert(Case), rows)
            await session.commit()
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return (
        f"{label:<28} n={len(ordered):>5}  {len(ordered) / sum(ordered):8.1f} ops/s  "
        f"p50 {statistics.median(ordered) * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms"
    )


def services_for(session: object, url: str, clock: FakeClock) -> Services:
    return Services(session, IntakeSettings(database_url=url), clock)  # type: ignore[arg-type]


def run_on_every_backend(
    measure: Callable[[str, str | None, int], Awaitable[None]], description: str | None, cases: int
) -> None:
    """Command line of the 100k benchmarks: --cases N, --pg-url URL (else HESHI_TEST_PG_URL)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=cases)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()

    async def main() -> None:
        for backend, pg in backends(args.pg_url):
            await measure(backend, pg, args.cases)

    asyncio.run(main())
