"""Races between sessions (as between two bot processes): exactly one accept wins; numbers never clash."""

from __future__ import annotations

import asyncio

from intake.cases import NewCase
from intake.errors import AlreadyTaken
from intake.services import Services
from tests.intake.conftest import COORD_QSC, MEDIATOR_A, MEDIATOR_C, RESIDENT, Db, open_case, seeded


async def _accept(db: Db, case_no: str, chat_id: int) -> str:
    async with db.sessions() as session:
        try:
            await Services(session, db.settings, db.clock).cases.accept_offer(case_no, chat_id)
        except AlreadyTaken:
            await session.rollback()
            return "lost"
        await session.commit()
        return "won"


async def test_two_mediators_accepting_at_once_exactly_one_wins(db: Db) -> None:
    await seeded(db)
    for round_no in range(4):
        case_no = await open_case(db, "邻里纠纷", address=f"{round_no}号")  # offered to 王大伯
        async with db.sessions() as session:
            await db.services(session).cases.assign(case_no, MEDIATOR_C, COORD_QSC)  # and to 张老师
            await session.commit()
        results = await asyncio.gather(_accept(db, case_no, MEDIATOR_A), _accept(db, case_no, MEDIATOR_C))
        assert sorted(results) == ["lost", "won"]
        async with db.sessions() as session:
            view = await db.services(session).cases.show_admin(case_no)
            winner = view.mediator_chat_id
            assert view.state == "assigned"
            assert [e["to_state"] for e in view.events].count("assigned") == 1
            statuses = sorted(o["status"] for o in view.offers)
            assert statuses == ["acknowledged", "withdrawn"]
            # Release the winner's load so the next round races again.
            await db.services(session).cases.withdraw(case_no, RESIDENT)
            await session.commit()
        assert winner in (MEDIATOR_A, MEDIATOR_C)


async def test_concurrent_openings_get_distinct_numbers(db: Db) -> None:
    await seeded(db, mediators=False)

    async def one(i: int) -> str:
        async with db.sessions() as session:
            opened = await Services(session, db.settings, db.clock).cases.open(
                NewCase(RESIDENT, "QSC", "其他", f"第{i}件", address=f"{i}号")
            )
            await session.commit()
            return opened.case_no

    numbers = await asyncio.gather(*(one(i) for i in range(8)))
    assert sorted(numbers) == [f"QSC-202611-{i:04d}" for i in range(1, 9)]
