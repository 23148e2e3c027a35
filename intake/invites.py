"""Single-use, expiring invitations that register a mediator.

The token is random (``secrets``) and only its SHA-256 is stored, so a copy of the database hands out
no working invitation. Redeeming locks the row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
transactions here begin IMMEDIATE and are serial anyway): of two people opening the same link at once,
exactly one becomes a mediator.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from intake.admin import MediatorService, community_by_code
from intake.clock import ClockedService
from intake.errors import IntakeError
from intake.models import Community, Mediator, MediatorInvite


class InviteUnknown(IntakeError):
    """Never issued (mistyped, tampered with or forged)."""

    code = "invite_unknown"


class InviteUsed(IntakeError):
    code = "invite_used"


class InviteExpired(IntakeError):
    code = "invite_expired"


class AlreadyMediator(IntakeError):
    """The person opening the link is a mediator already; the invitation stays unused for its owner."""

    code = "already_mediator"


@dataclass(frozen=True)
class Invite:
    token: str  # shown once, to the person who creates it
    community: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InviteService(ClockedService):
    async def create(self, community_code: str, created_by_chat_id: int) -> Invite:
        community = await community_by_code(self.session, community_code)
        token = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]: fits a /start deep link
        now = self.clock.now()
        expires_at = now + timedelta(hours=self.settings.invite_ttl_hours)
        self.session.add(
            MediatorInvite(
                token_hash=_hash(token),
                community_id=community.id,
                created_by_chat_id=created_by_chat_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.session.flush()
        return Invite(token, community.code, expires_at)

    async def redeem(self, token: str, chat_id: int, name: str) -> str:
        """Register ``chat_id`` as a mediator of the invitation's community; returns its name."""
        row = await self.session.scalar(
            select(MediatorInvite).where(MediatorInvite.token_hash == _hash(token)).with_for_update()
        )
        if row is None:
            raise InviteUnknown("no such invitation")
        community = await self.session.get(Community, row.community_id)
        assert community is not None  # invitations are deleted with their community
        if row.used_at is not None:
            if row.used_by_chat_id == chat_id:  # the same mediator opening their link again
                return community.name
            raise InviteUsed("this invitation was used already")
        now = self.clock.now()
        if row.expires_at <= now:
            raise InviteExpired("this invitation has expired", expires_at=row.expires_at)
        if await self.session.scalar(select(Mediator.id).where(Mediator.chat_id == chat_id)):
            raise AlreadyMediator(f"chat {chat_id} is a mediator already")
        await MediatorService(self.session).add(chat_id, name or str(chat_id), communities=[community.code])
        row.used_at = now
        row.used_by_chat_id = chat_id
        await self.session.flush()
        return community.name
