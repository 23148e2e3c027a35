"""Alembic: upgrade → downgrade → upgrade on both databases, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from intake.db import Base, alembic_config, downgrade, make_engine, upgrade
from tests.intake.conftest import BACKENDS, drop_database, fresh_database_url


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_upgrade_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    url, name = await fresh_database_url(backend, tmp_path)
    try:
        await upgrade(url)
        expected = set(Base.metadata.tables)
        assert expected <= await _tables(url)
        await downgrade(url, "base")
        assert not expected & await _tables(url)
        await upgrade(url)
        assert expected <= await _tables(url)
    finally:
        await drop_database(name)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_models_and_migrations_agree(backend: str, tmp_path: Path) -> None:
    """A model change without a migration shows up here as a non-empty autogenerate diff."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url, name = await fresh_database_url(backend, tmp_path)
    try:
        await upgrade(url)
        engine = make_engine(url)
        try:
            async with engine.connect() as connection:
                diff = await connection.run_sync(
                    lambda c: compare_metadata(
                        MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata
                    )
                )
        finally:
            await engine.dispose()
        assert diff == []
    finally:
        await drop_database(name)


def test_migrations_ship_inside_the_package() -> None:
    config = alembic_config("sqlite+aiosqlite:///:memory:")
    location = Path(config.get_main_option("script_location") or "")
    assert (location / "env.py").is_file()
    assert any((location / "versions").glob("0001_*.py"))
