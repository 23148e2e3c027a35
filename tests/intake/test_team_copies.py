"""Copies of case notices for the mediators' team chat (``HESHI_MEDIATORS_CHAT_ID``)."""

from __future__ import annotations

from sqlalchemy import select

from intake.models import Notification
from tests.intake.conftest import MEDIATOR_A, RESIDENT, Db, notifications, open_case, seeded

TEAM = -100777


async def test_team_gets_one_copy_of_each_event_without_the_offer(db: Db) -> None:
    db.settings.mediators_chat_id = TEAM
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.cases.accept_offer(case_no, MEDIATOR_A)
        await svc.cases.start_mediation(case_no, MEDIATOR_A)
        await svc.cases.record_failure(case_no, MEDIATOR_A, "双方不肯让步")
        await svc.cases.close(case_no, MEDIATOR_A, "")
        await session.commit()
    team = [(kind, payload) for chat, kind, payload in await notifications(db) if chat == TEAM]
    kinds = [kind for kind, _ in team]
    assert kinds == ["team_offered", "team_assigned", "team_progress", "team_progress", "team_closed"]
    offered = team[0][1]
    assert offered["case_no"] == case_no and offered["mediator_name"] == "王大伯"
    assert offered["recipient_chat_id"] == MEDIATOR_A and "offer_id" not in offered
    assert [team[2][1]["state"], team[3][1]["state"], team[4][1]["state"]] == [
        "in_mediation",
        "failed",
        "closed",
    ]
    async with db.sessions() as session:
        rows = await session.scalars(select(Notification).where(Notification.recipient_chat_id == TEAM))
        assert all(row.offer_id is None for row in rows)
    # The people concerned are still told themselves.
    assert any(chat == RESIDENT and kind == "case_assigned" for chat, kind, _ in await notifications(db))


async def test_no_team_chat_no_copies(db: Db) -> None:
    await seeded(db)
    await open_case(db)
    assert not [kind for _, kind, _ in await notifications(db) if kind.startswith("team_")]


async def test_a_withdrawn_case_ends_its_topic_once(db: Db) -> None:
    db.settings.mediators_chat_id = TEAM
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.cases.accept_offer(case_no, MEDIATOR_A)
        await svc.cases.withdraw(case_no, RESIDENT, "已经和好了")
        await session.commit()
    team = [(kind, payload) for chat, kind, payload in await notifications(db) if chat == TEAM]
    assert [kind for kind, _ in team] == ["team_offered", "team_assigned", "team_closed"]
    assert team[-1][1]["state"] == "withdrawn"
