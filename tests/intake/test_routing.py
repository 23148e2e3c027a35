"""Routing: the best mediator, recusal, decline and timeout chains, escalation when nobody is left."""

from __future__ import annotations

import pytest

from intake.cases import NewCase, Respondent
from intake.errors import AlreadyTaken, InvalidInput
from tests.intake.conftest import (
    COORD_QSC,
    COORD_TYZ,
    MEDIATOR_A,
    MEDIATOR_C,
    RESIDENT,
    RESIDENT_2,
    TOWN_MEDIATOR,
    Db,
    notifications,
    open_case,
    seeded,
)


async def _offered(db: Db, case_no: str) -> list[tuple[str, str]]:
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    return [(o["mediator"], o["status"]) for o in view.offers]


async def test_the_specialist_is_offered_first(db: Db) -> None:
    await seeded(db)
    assert await _offered(db, await open_case(db, "邻里纠纷")) == [("王大伯", "offered")]
    assert await _offered(db, await open_case(db, "婚姻家庭", complainant=RESIDENT_2)) == [
        ("李阿姨", "offered")
    ]


async def test_a_generalist_serving_the_grid_takes_other_categories(db: Db) -> None:
    await seeded(db)
    # 消费纠纷: nobody specialises; 张老师 (no specialties) serves grid QSC-01.
    assert await _offered(db, await open_case(db, "消费纠纷")) == [("张老师", "offered")]


async def test_grid_mediators_do_not_get_cases_of_other_grids(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "消费纠纷", grid_code="QSC-02")
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    assert view.offers == [] and view.level == 2 and view.state == "escalated"


async def test_fewest_open_cases_then_longest_idle(db: Db) -> None:
    await seeded(db)
    async with db.sessions() as session:
        await db.services(session).mediators.add(
            5004, "周大姐", communities=["QSC"], specialties=["邻里纠纷"]
        )
        await session.commit()
    first = await open_case(db, "邻里纠纷")
    second = await open_case(db, "邻里纠纷", complainant=RESIDENT_2, grid_code="QSC-02")
    assert (await _offered(db, first))[0][0] == "王大伯"  # tie on load: lower id (never assigned)
    assert (await _offered(db, second))[0][0] == "周大姐"  # 王大伯 now carries a pending offer


async def test_capacity_is_respected(db: Db) -> None:
    await seeded(db)
    names = []
    for i in range(3):
        case_no = await open_case(db, "土地宅基地", complainant=RESIDENT, address=f"{i}号")
        names.append((await _offered(db, case_no))[0][0])
    # 王大伯 carries 2 (capacity); the third goes to the grid's generalist.
    assert names == ["王大伯", "王大伯", "张老师"]


async def test_a_party_is_never_offered_their_own_case(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "邻里纠纷", respondents=[Respondent("王大伯", "邻居")])
    assert [name for name, _ in await _offered(db, case_no)] == ["张老师"]


async def test_decline_needs_a_reason_and_moves_to_the_next(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "邻里纠纷")
    async with db.sessions() as session:
        cases = db.services(session).cases
        with pytest.raises(InvalidInput):
            await cases.decline_offer(case_no, MEDIATOR_A, "  ")
        result = await cases.decline_offer(case_no, MEDIATOR_A, "亲戚关系")
        await session.commit()
    assert result.offered_to is not None and result.offered_to.chat_id == MEDIATOR_C
    async with db.sessions() as session:
        with pytest.raises(AlreadyTaken):
            await db.services(session).cases.accept_offer(case_no, MEDIATOR_A)
    assert await _offered(db, case_no) == [("王大伯", "declined"), ("张老师", "offered")]


async def test_decline_and_timeout_chain_ends_with_the_coordinator(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "邻里纠纷")
    async with db.sessions() as session:
        await db.services(session).cases.decline_offer(case_no, MEDIATOR_A, "太忙")
        await session.commit()
    db.clock.advance(hours=db.settings.offer_timeout_hours + 1)
    async with db.sessions() as session:
        report = await db.services(session).tick()
        await session.commit()
    assert report.offers_timed_out == 1
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    assert [(o["mediator"], o["status"]) for o in view.offers] == [
        ("王大伯", "declined"),
        ("张老师", "timed_out"),
    ]
    assert view.state == "escalated" and view.level == 2
    unassigned = await notifications(db, "case_unassigned")
    escalated = await notifications(db, "case_escalated")
    assert {chat for chat, _, _ in escalated} == {COORD_QSC}  # the 调委会 coordinator owns level 2
    assert {chat for chat, _, _ in unassigned} == {COORD_QSC}


async def test_nobody_left_at_level_two_then_overdue_reaches_the_town(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "消费纠纷", grid_code="QSC-02")
    db.clock.advance(days=db.settings.mediation_due_days + 1)
    async with db.sessions() as session:
        await db.services(session).tick()
        await session.commit()
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    assert view.level == 3 and view.level_name == "镇街矛调中心"
    assert view.offers[-1]["mediator"] == "镇调解员"
    assert COORD_TYZ in {chat for chat, _, p in await notifications(db, "case_escalated") if p["level"] == 3}
    async with db.sessions() as session:
        await db.services(session).cases.accept_offer(case_no, TOWN_MEDIATOR)
        await session.commit()


async def test_recusal_reroutes_and_is_recorded(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, "邻里纠纷")
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(case_no, MEDIATOR_A)
        await cases.start_mediation(case_no, MEDIATOR_A)
        result = await cases.recuse(case_no, RESIDENT, MEDIATOR_A, "他是对方的表哥")
        await session.commit()
    assert result.state == "accepted" and result.offered_to is not None
    assert result.offered_to.chat_id == MEDIATOR_C
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
        with pytest.raises(InvalidInput):
            await db.services(session).cases.assign(case_no, MEDIATOR_A, COORD_QSC)
    assert view.mediator is None
    assert any(e["action"] == "recused" and "表哥" in e["note"] for e in view.events)
    assert [c for c, _, p in await notifications(db, "recusal_recorded")] == [COORD_QSC]


async def test_related_cases_are_linked_and_the_mediator_told(db: Db) -> None:
    await seeded(db)
    first = await open_case(db, "邻里纠纷", respondents=[Respondent("刘某")])
    async with db.sessions() as session:
        await db.services(session).cases.accept_offer(first, MEDIATOR_A)
        await session.commit()
    second = await open_case(db, "损害赔偿", respondents=[Respondent("刘 某")])
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(second)
    assert view.linked_to == first
    assert view.offers[0]["mediator"] == "王大伯" or view.offers[0]["mediator"] == "张老师"
    told = await notifications(db, "case_linked")
    assert told == [(MEDIATOR_A, "case_linked", told[0][2])] and told[0][2]["linked_case_no"] == second
    # Same place and category while open: linked too, even between different residents.
    third = await open_case(db, "物业纠纷", address="青山村3组12号", complainant=RESIDENT)
    fourth = await open_case(db, "物业纠纷", address="青山村 3组12号", complainant=RESIDENT_2)
    async with db.sessions() as session:
        assert (await db.services(session).cases.show_admin(fourth)).linked_to == third


async def test_case_numbers_count_per_community_and_month(db: Db) -> None:
    await seeded(db)
    a = await open_case(db)
    b = await open_case(db, complainant=RESIDENT_2, grid_code="QSC-02")
    db.clock.advance(days=31)
    c = await open_case(db, "其他", address="x")
    assert a == "QSC-202611-0001" and b == "QSC-202611-0002" and c == "QSC-202612-0001"


async def test_opening_checks_its_input(db: Db) -> None:
    from intake.errors import ConsentRequired, NotFound

    await seeded(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        with pytest.raises(InvalidInput, match="category"):
            await cases.open(NewCase(RESIDENT, "QSC", "吵架", "x"))
        with pytest.raises(InvalidInput, match="description"):
            await cases.open(NewCase(RESIDENT, "QSC", "其他", "   "))
        with pytest.raises(NotFound):
            await cases.open(NewCase(RESIDENT, "NOPE", "其他", "x"))
        with pytest.raises(InvalidInput, match="grid"):
            await cases.open(NewCase(RESIDENT, "QSC", "其他", "x", grid_code="LSS-01"))
        with pytest.raises(ConsentRequired):
            await cases.open(NewCase(424242, "QSC", "其他", "x"))
