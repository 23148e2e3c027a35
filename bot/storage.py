"""Persistent aiogram FSM storage: a half-filled form survives a restart of the bot.

``DatabaseStorage`` keeps each chat's state and data in a ``chat_states`` table (one short transaction
per write) with a write-through cache: on SQLite through ``SqliteChatStates`` (plain ``sqlite3`` on a
thread of its own), elsewhere through SQLAlchemy (``SessionChatStates``); ``redis_storage`` is the
production choice when ``HESHI_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class ChatStateRepository(Protocol):
    """The chat-state table through an SQLAlchemy session (``intake.chat_states``)."""

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]: ...
    async def save_state(self, key: str, state: str | None) -> None: ...
    async def save_data(self, key: str, data: dict[str, Any]) -> None: ...


class ChatStateStore(Protocol):
    """Where ``DatabaseStorage`` keeps chat states: each save is one transaction and returns the other
    half of the record as stored beside it."""

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]: ...
    async def save_state(self, key: str, state: str | None) -> dict[str, Any]: ...
    async def save_data(self, key: str, data: dict[str, Any]) -> str | None: ...


class SessionChatStates:
    """Chat states through SQLAlchemy sessions (PostgreSQL; any database ``intake`` supports)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        repository: Callable[[AsyncSession], ChatStateRepository],
        readers: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        self._readers = readers or sessions  # reads may use their own pool (SQLite: beside the writer)
        self._repository = repository
        # A burst of updates queues here instead of exhausting the connection pool.
        self._slots = asyncio.Semaphore(8)

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        async with self._slots, self._readers() as session:
            return await self._repository(session).load(key)

    async def save_state(self, key: str, state: str | None) -> dict[str, Any]:
        async with self._slots, self._sessions.begin() as session:
            repository = self._repository(session)
            await repository.save_state(key, state)
            _, data = await repository.load(key)
        return data

    async def save_data(self, key: str, data: dict[str, Any]) -> str | None:
        async with self._slots, self._sessions.begin() as session:
            repository = self._repository(session)
            await repository.save_data(key, data)
            state, _ = await repository.load(key)
        return state


def chat_of(key: str) -> int | None:
    """The chat id in a storage key ("bot:chat:user[:...]"), for finding a chat's states later."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].lstrip("-").isdigit() else None


class SqliteChatStates:
    """Chat states in an SQLite file without SQLAlchemy: one ``sqlite3`` connection on one thread of
    its own, one hand-over from the event loop per load or save (transaction included).

    Every update of a form reads and writes its state, and through SQLAlchemy and aiosqlite one save
    was five statements and a dozen hand-overs between the event loop and the connection's thread
    (~1.5 ms of the loop's CPU idle, several ms under load); here it is one. The table is intake's
    ``chat_states`` (``intake.models.ChatState``), written in the same format SQLAlchemy writes.
    """

    def __init__(self, path: Path, busy_timeout: float = 15.0) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="chat-states")
        self._connection: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._connection = connection
        return self._connection

    async def _call(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: work(self._open()))

    @staticmethod
    def _read(connection: sqlite3.Connection, key: str) -> tuple[str | None, dict[str, Any]]:
        row = connection.execute("SELECT state, data FROM chat_states WHERE key = ?", (key,)).fetchone()
        return (row[0], json.loads(row[1]) if row[1] else {}) if row else (None, {})

    def _write(self, connection: sqlite3.Connection, key: str, column: str, value: Any) -> tuple[Any, Any]:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO chat_states (key, chat_id, state, data, updated_at) "
                "VALUES (?, ?, NULL, '{}', ?) ON CONFLICT (key) DO UPDATE SET "
                "chat_id = coalesce(excluded.chat_id, chat_id), updated_at = excluded.updated_at",
                (key, chat_of(key), now),
            )
            connection.execute(f"UPDATE chat_states SET {column} = ? WHERE key = ?", (value, key))
            stored = self._read(connection, key)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return stored

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        result: tuple[str | None, dict[str, Any]] = await self._call(lambda c: self._read(c, key))
        return result

    async def save_state(self, key: str, state: str | None) -> dict[str, Any]:
        _, data = await self._call(lambda c: self._write(c, key, "state", state))
        return dict(data)

    async def save_data(self, key: str, data: dict[str, Any]) -> str | None:
        encoded = json.dumps(data)  # as SQLAlchemy's JSON type stores it
        state, _ = await self._call(lambda c: self._write(c, key, "data", encoded))
        return None if state is None else str(state)

    async def close(self) -> None:
        def close(connection: sqlite3.Connection) -> None:
            connection.close()
            self._connection = None

        if self._connection is not None:
            await self._call(close)
        self._thread.shutdown(wait=False)


def storage_key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id:
        parts.append(f"b{key.business_connection_id}")
    if key.destiny != "default":
        parts.append(key.destiny)
    return ":".join(parts)


class DatabaseStorage(BaseStorage):
    """Chat state in the database, with a write-through cache of the chats seen lately.

    Every update reads its chat's state (aiogram's state filters) and most handlers read the form data;
    both are served from memory after the first read, and every write goes to the database first. This
    holds while one bot process serves the chats (as Telegram wants: one process per token); several
    processes share chat state through Redis (``HESHI_REDIS_URL``).
    """

    def __init__(self, store: ChatStateStore, cached_chats: int = 10_000) -> None:
        self.store = store
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cached_chats = cached_chats

    async def _load(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        name = storage_key(key)
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        return self._remember(name, *await self.store.load(name))

    def _remember(
        self, name: str, state: str | None, data: dict[str, Any]
    ) -> tuple[str | None, dict[str, Any]]:
        self._cache[name] = (state, data)
        self._cache.move_to_end(name)
        while len(self._cache) > self._cached_chats:
            self._cache.popitem(last=False)
        return state, data

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = storage_key(key)
        self._cache.pop(name, None)  # a failed write must not leave a guess behind
        data = await self.store.save_state(name, value)
        self._remember(name, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = storage_key(key)
        self._cache.pop(name, None)
        state = await self.store.save_data(name, dict(data))
        self._remember(name, state, copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(key)
        return copy.deepcopy(data)  # the caller may change it; the cache keeps what was saved

    async def close(self) -> None:
        # aiogram closes the storage when polling stops, but updates still in flight may save their
        # form after that (bot.shutdown drains them): the store is closed with the backend.
        return None


def redis_storage(url: str) -> BaseStorage:
    """aiogram's Redis storage; the ``redis`` package is needed only when this is used."""
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(url)
