"""Single-use, expiring mediator invitations (``intake.invites``) on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.invites import AlreadyMediator, InviteExpired, InviteUnknown, InviteUsed
from intake.models import MediatorInvite
from tests.intake.conftest import MEDIATOR_A, Db, seeded

NEW = 4401
SECOND = 4402


async def _create(db: Db) -> str:
    async with db.sessions() as session:
        invite = await db.services(session).invites.create("QSC", created_by_chat_id=8001)
        await session.commit()
    return invite.token


async def _redeem(db: Db, token: str, chat_id: int) -> str:
    async with db.sessions() as session:
        svc = db.services(session)
        try:
            return await svc.invites.redeem(token, chat_id, f"调解员{chat_id}")
        finally:
            await session.commit()


async def _is_mediator(db: Db, chat_id: int) -> bool:
    async with db.sessions() as session:
        return bool(await db.services(session).mediators.is_mediator(chat_id))


async def test_an_invitation_registers_one_mediator_once(db: Db) -> None:
    await seeded(db)
    token = await _create(db)
    assert await _redeem(db, token, NEW) == "青山村"
    assert await _is_mediator(db, NEW)
    assert await _redeem(db, token, NEW) == "青山村"  # the same person opening it again: welcome
    with pytest.raises(InviteUsed):
        await _redeem(db, token, SECOND)
    assert not await _is_mediator(db, SECOND)


async def test_only_the_hash_is_stored(db: Db) -> None:
    await seeded(db)
    token = await _create(db)
    async with db.sessions() as session:
        stored = list(await session.scalars(select(MediatorInvite.token_hash)))
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


async def test_an_expired_invitation_is_refused(db: Db) -> None:
    await seeded(db)
    token = await _create(db)
    db.clock.advance(hours=db.settings.invite_ttl_hours + 0.01)
    with pytest.raises(InviteExpired):
        await _redeem(db, token, NEW)
    assert not await _is_mediator(db, NEW)


@pytest.mark.parametrize("forged", ["", "QSC_1234abcd_0123456789ab", "x" * 22])
async def test_a_forged_token_is_refused(db: Db, forged: str) -> None:
    await seeded(db)
    token = await _create(db)
    with pytest.raises(InviteUnknown):
        await _redeem(db, forged or token[:-1], NEW)
    assert not await _is_mediator(db, NEW)
    assert await _redeem(db, token, NEW) == "青山村"  # the real one still works


async def test_a_mediator_opening_it_leaves_it_for_its_owner(db: Db) -> None:
    await seeded(db)
    token = await _create(db)
    with pytest.raises(AlreadyMediator):
        await _redeem(db, token, MEDIATOR_A)
    assert await _redeem(db, token, NEW) == "青山村"
