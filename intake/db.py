"""Engine and session factories, the declarative base and programmatic Alembic upgrades."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; heshi stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off: we issue BEGIN IMMEDIATE ourselves (below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that read first and writes later fails at
    # once with SQLITE_BUSY under WAL when another writer got in between; IMMEDIATE waits instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout, and its folder is created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 15})
        # Every transaction takes SQLite's single write lock at BEGIN (see below), so one pooled
        # connection loses no concurrency and lets sessions of this process queue fairly on the pool
        # instead of polling the busy handler. Other processes (the CLI) still wait via busy_timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 15)
        if url.startswith("sqlite+aiosqlite"):
            from intake.sqlite_driver import onetrip_dbapi

            kwargs.setdefault("module", onetrip_dbapi())  # one thread hand-over per statement, not four
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def _sqlite_begin_deferred(connection: Any) -> None:
    # A read takes no lock at BEGIN: under WAL it reads the last committed snapshot while the one
    # writer goes on (a deferred transaction that stays read-only never meets SQLITE_BUSY).
    connection.exec_driver_sql("BEGIN")


def make_read_engine(url: str, readers: int = 4, **kwargs: Any) -> AsyncEngine:
    """An engine for reads only. On SQLite: ``readers`` connections that read concurrently with the
    writer (WAL) and refuse to write (``query_only``); elsewhere an ordinary engine."""
    if not url.startswith("sqlite"):
        return make_engine(url, **kwargs)
    kwargs.setdefault("pool_size", readers)
    engine = make_engine(url, **kwargs)
    event.remove(engine.sync_engine, "begin", _sqlite_begin_immediate)
    event.listen(engine.sync_engine, "begin", _sqlite_begin_deferred)
    event.listen(engine.sync_engine, "connect", _sqlite_read_only)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(url: str, action: str, revision: str) -> None:
    from alembic import command

    getattr(command, action)(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (the migrations ship inside the package)."""
    await asyncio.to_thread(_run_alembic, url, "upgrade", revision)


async def downgrade(url: str, revision: str = "base") -> None:
    await asyncio.to_thread(_run_alembic, url, "downgrade", revision)


def is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"
