"""Persistent aiogram FSM storage: a half-filled form survives a restart of the bot.

``DatabaseStorage`` keeps each chat's state and data in a ``chat_states`` table through a small
repository (one short transaction per call); ``redis_storage`` is the production choice when
``HESHI_REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
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
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        repository: Callable[[AsyncSession], ChatStateRepository],
    ) -> None:
        self._sessions = sessions
        self._repository = repository
        # Every update reads its chat's state before any handler runs; bound the simultaneous sessions
        # so a burst of updates queues here instead of exhausting the connection pool.
        self._slots = asyncio.Semaphore(8)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._slots, self._sessions.begin() as session:
            await self._repository(session).save_state(storage_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._slots, self._sessions() as session:
            state, _ = await self._repository(session).load(storage_key(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._slots, self._sessions.begin() as session:
            await self._repository(session).save_data(storage_key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._slots, self._sessions() as session:
            _, data = await self._repository(session).load(storage_key(key))
        return dict(data)

    async def close(self) -> None:
        return None


def redis_storage(url: str) -> BaseStorage:
    """aiogram's Redis storage; the ``redis`` package is needed only when this is used."""
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(url)
