"""Persistent conversation state for the bot (backs aiogram's FSM storage; no aiogram types here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.db import utcnow
from intake.models import ChatState


@dataclass(frozen=True)
class ChatStateRecord:
    key: str
    state: str | None
    data: dict[str, Any] = field(default_factory=dict)


class ChatStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> ChatStateRecord | None:
        row = await self.session.get(ChatState, key)
        return None if row is None else ChatStateRecord(row.key, row.state, dict(row.data or {}))

    async def _row(self, key: str, chat_id: int | None) -> ChatState:
        row = await self.session.get(ChatState, key)
        if row is None:
            row = ChatState(key=key, chat_id=chat_id, state=None, data={})
            self.session.add(row)
        elif chat_id is not None:
            row.chat_id = chat_id
        row.updated_at = utcnow()
        return row

    async def set_state(self, key: str, state: str | None, *, chat_id: int | None = None) -> None:
        row = await self._row(key, chat_id)
        row.state = state
        await self.session.flush()

    async def set_data(self, key: str, data: dict[str, Any], *, chat_id: int | None = None) -> None:
        row = await self._row(key, chat_id)
        row.data = dict(data)
        await self.session.flush()

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(ChatState).where(ChatState.key == key))

    async def delete_for_chat(self, chat_id: int) -> int:
        result = await self.session.execute(delete(ChatState).where(ChatState.chat_id == chat_id))
        return int(getattr(result, "rowcount", 0) or 0)

    async def keys_for_chat(self, chat_id: int) -> list[str]:
        rows = await self.session.scalars(select(ChatState.key).where(ChatState.chat_id == chat_id))
        return list(rows)
