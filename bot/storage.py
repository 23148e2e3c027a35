"""Persistent aiogram FSM storage: a half-filled form survives a restart of the bot.

``DatabaseStorage`` keeps each chat's state and data in a ``chat_states`` table through a small
repository (one short transaction per call); ``redis_storage`` is the production choice when
``HESHI_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class ChatStateRepository(Protocol):
    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]: ...
    async def save_state(self, key: str, state: str | None) -> None: ...
    async def save_data(self, key: str, data: dict[str, Any]) -> None: ...


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

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        repository: Callable[[AsyncSession], ChatStateRepository],
        readers: async_sessionmaker[AsyncSession] | None = None,
        cached_chats: int = 10_000,
    ) -> None:
        self._sessions = sessions
        self._readers = readers or sessions  # reads may use their own pool (SQLite: beside the writer)
        self._repository = repository
        # A burst of updates queues here instead of exhausting the connection pool.
        self._slots = asyncio.Semaphore(8)
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cached_chats = cached_chats

    async def _load(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        name = storage_key(key)
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        async with self._slots, self._readers() as session:
            loaded = await self._repository(session).load(name)
        return self._remember(name, *loaded)

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
        async with self._slots, self._sessions.begin() as session:
            repository = self._repository(session)
            await repository.save_state(name, value)
            _, data = await repository.load(name)
        self._remember(name, value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = storage_key(key)
        self._cache.pop(name, None)
        async with self._slots, self._sessions.begin() as session:
            repository = self._repository(session)
            await repository.save_data(name, dict(data))
            state, _ = await repository.load(name)
        self._remember(name, state, copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(key)
        return copy.deepcopy(data)  # the caller may change it; the cache keeps what was saved

    async def close(self) -> None:
        return None


def redis_storage(url: str) -> BaseStorage:
    """aiogram's Redis storage; the ``redis`` package is needed only when this is used."""
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(url)
