"""The case's thread in the mediators' team chat: the chat-side id is opaque data to the case service."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.errors import NotFound
from intake.models import Case


class TeamThreads:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_no: str) -> int | None:
        """The thread id stored with the case, or None when the case has none yet."""
        found = await self.session.execute(
            select(Case.id, Case.team_thread_id).where(Case.case_no == case_no)
        )
        row = found.first()
        if row is None:
            raise NotFound("case", case_no)
        return row.team_thread_id

    async def set(self, case_no: str, thread_id: int | None) -> None:
        result = await self.session.execute(
            update(Case).where(Case.case_no == case_no).values(team_thread_id=thread_id)
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound("case", case_no)
