"""Database fixtures: every test gets a fresh SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from intake.clock import FakeClock
from intake.db import make_engine, make_sessionmaker, upgrade
from intake.services import Services
from intake.settings import IntakeSettings
from tests.conftest import pg_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


async def pg_admin(sql: str) -> None:
    import asyncpg

    base = (pg_url() or "").replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(base)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def fresh_database_url(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    """A new empty database; returns (url, name of a PostgreSQL database to drop afterwards)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}", None
    base = pg_url()
    if not base:
        pytest.skip("HESHI_TEST_PG_URL is not set (make test starts a PostgreSQL server)")
    name = f"heshi_test_{uuid.uuid4().hex[:12]}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + f"/{name}", name


async def drop_database(name: str | None) -> None:
    if name:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Db:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: IntakeSettings
    clock: FakeClock
    backend: str

    def services(self, session: AsyncSession) -> Services:
        return Services(session, self.settings, self.clock)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Db]:
    url, name = await fresh_database_url(request.param, tmp_path)
    await upgrade(url)
    engine = make_engine(url)
    settings = IntakeSettings(database_url=url, duty_staff_chat_ids=[9000], outbox_backoff_seconds=10)
    try:
        yield Db(url, engine, make_sessionmaker(engine), settings, FakeClock(), request.param)
    finally:
        await engine.dispose()
        await drop_database(name)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Db]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}"
    await upgrade(url)
    engine = make_engine(url)
    settings = IntakeSettings(database_url=url, duty_staff_chat_ids=[9000], outbox_backoff_seconds=10)
    try:
        yield Db(url, engine, make_sessionmaker(engine), settings, FakeClock(), "sqlite")
    finally:
        await engine.dispose()


# Sample communities of the brief: 云溪县 YXX > 桃源镇 TYZ > 青山村 QSC (grids QSC-01, QSC-02), 绿水社区 LSS.
COORD_QSC, COORD_TYZ, COORD_YXX, GRID_WORKER_1 = 7001, 7002, 7003, 7101
MEDIATOR_A, MEDIATOR_B, MEDIATOR_C, TOWN_MEDIATOR = 5001, 5002, 5003, 5301
RESIDENT, RESIDENT_2, STRANGER = 1001, 1002, 1999


async def seed(svc: Services, *, mediators: bool = True) -> None:
    c = svc.communities
    await c.add("YXX", "云溪县", level="county")
    await c.add("TYZ", "桃源镇", level="town", parent_code="YXX")
    await c.add("QSC", "青山村", level="village", parent_code="TYZ")
    await c.add(
        "QSC-01", "青山村第一网格", level="grid", parent_code="QSC", grid_worker_chat_id=GRID_WORKER_1
    )
    await c.add("QSC-02", "青山村第二网格", level="grid", parent_code="QSC")
    await c.add("LSS", "绿水社区", level="village", parent_code="TYZ")
    await c.add("LSS-01", "绿水社区第一网格", level="grid", parent_code="LSS")
    await c.add_staff(COORD_QSC, "青山村调委会主任", role="coordinator", community_code="QSC")
    await c.add_staff(COORD_TYZ, "桃源镇矛调中心", role="coordinator", community_code="TYZ")
    await c.add_staff(COORD_YXX, "云溪县共享法庭", role="coordinator", community_code="YXX")
    if mediators:
        m = svc.mediators
        await m.add(
            MEDIATOR_A, "王大伯", communities=["QSC"], specialties=["邻里纠纷", "土地宅基地"], capacity=2
        )
        await m.add(
            MEDIATOR_B, "李阿姨", communities=["QSC"], specialties=["婚姻家庭", "继承赡养"], capacity=2
        )
        await m.add(MEDIATOR_C, "张老师", communities=["QSC-01"], capacity=2)
        await m.add(TOWN_MEDIATOR, "镇调解员", communities=["TYZ"], level=3, capacity=50)
    for chat_id, name in ((RESIDENT, "陈村民"), (RESIDENT_2, "赵村民")):
        await svc.residents.register(
            chat_id, name, community_code="QSC", grid_code="QSC-01", phone="13812345678"
        )
        await svc.residents.give_consent(chat_id, "v1")


async def open_case(
    db: Db, category: str = "邻里纠纷", *, complainant: int = RESIDENT, **kwargs: object
) -> str:
    """Open one case in its own transaction and return its number."""
    from intake.cases import NewCase

    async with db.sessions() as session:
        fields: dict[str, object] = {"grid_code": "QSC-01"} | kwargs
        opened = await db.services(session).cases.open(
            NewCase(complainant, str(fields.pop("community", "QSC")), category, "他家的狗天天叫", **fields)  # type: ignore[arg-type]
        )
        await session.commit()
    return opened.case_no


async def seeded(db: Db, *, mediators: bool = True) -> None:
    async with db.sessions() as session:
        await seed(db.services(session), mediators=mediators)
        await session.commit()


async def notifications(db: Db, kind: str | None = None) -> list[tuple[int, str, dict[str, object]]]:
    from sqlalchemy import select

    from intake.models import Notification

    async with db.sessions() as session:
        query = select(Notification).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return [(n.recipient_chat_id, n.kind, dict(n.payload)) for n in await session.scalars(query)]
