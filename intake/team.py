"""The case's place in the mediators' team chat: its thread (a forum topic) and the offer card that
still carries buttons. Both ids are opaque chat-side data to the case service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.errors import NotFound
from intake.models import Case


@dataclass(frozen=True)
class TeamThread:
    thread_id: int | None  # None until the first notice opens it
    card_message_id: int | None  # the latest offer card with buttons, None once answered or retired


class TeamThreads:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_no: str) -> TeamThread:
        found = await self.session.execute(
            select(Case.team_thread_id, Case.team_card_message_id).where(Case.case_no == case_no)
        )
        row = found.first()
        if row is None:
            raise NotFound("case", case_no)
        return TeamThread(row.team_thread_id, row.team_card_message_id)

    async def set(self, case_no: str, thread_id: int | None, card_message_id: int | None = None) -> None:
        result = await self.session.execute(
            update(Case)
            .where(Case.case_no == case_no)
            .values(team_thread_id=thread_id, team_card_message_id=card_message_id)
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound("case", case_no)
