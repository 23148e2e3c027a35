"""SQLite readers beside the one writer: a read does not wait for an open write transaction, sees only
what is committed, and cannot write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from intake.db import make_engine, make_read_engine


async def test_readers_read_beside_an_open_write_transaction(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'readers.db'}"
    writer, reader = make_engine(url), make_read_engine(url, readers=2)
    try:
        async with writer.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body TEXT)"))
            await connection.execute(text("INSERT INTO notes VALUES ('committed')"))
        async with writer.connect() as holding:
            await holding.begin()  # BEGIN IMMEDIATE: the write lock is held from here
            await holding.execute(text("INSERT INTO notes VALUES ('not yet')"))

            async def read() -> list[str]:
                async with reader.connect() as connection:
                    return list((await connection.execute(text("SELECT body FROM notes"))).scalars())

            # Two readers at once, while the writer holds its lock: neither waits for it.
            first, second = await asyncio.wait_for(asyncio.gather(read(), read()), timeout=5)
            assert first == second == ["committed"]
            await holding.commit()
        assert sorted(await read()) == ["committed", "not yet"]

        with pytest.raises(OperationalError, match="readonly"):
            async with reader.begin() as connection:
                await connection.execute(text("INSERT INTO notes VALUES ('sneaked in')"))
    finally:
        await writer.dispose()
        await reader.dispose()
