"""Lifecycle moves: invalid moves are refused naming the state; every move is an event."""

from __future__ import annotations

from datetime import date

import pytest

from intake import lifecycle as lc
from intake.cases import AgreementIn
from intake.errors import AccessDenied, InvalidInput, InvalidTransition
from tests.intake.conftest import (
    COORD_QSC,
    MEDIATOR_A,
    MEDIATOR_B,
    RESIDENT,
    RESIDENT_2,
    Db,
    open_case,
    seeded,
)


def test_the_transition_table_is_closed_and_terminal_states_have_no_exit() -> None:
    for source, targets in lc.TRANSITIONS.items():
        assert source in lc.STATES and targets <= set(lc.STATES)
    assert {lc.CLOSED, lc.REJECTED, lc.DUPLICATE, lc.WITHDRAWN} == lc.TERMINAL_STATES
    assert not lc.OPEN_STATES & lc.TERMINAL_STATES


async def test_an_invalid_move_names_the_state(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(case_no, MEDIATOR_A)
        with pytest.raises(InvalidTransition) as error:
            await cases.record_agreement(case_no, MEDIATOR_A, AgreementIn("oral", "道歉", date(2026, 11, 3)))
    assert error.value.params == {"case_no": case_no, "state": "assigned", "target": "agreed"}
    assert "'assigned'" in str(error.value)


async def test_failure_refers_onward_and_closes(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(case_no, MEDIATOR_A)
        await cases.start_mediation(case_no, MEDIATOR_A)
        await cases.record_failure(case_no, MEDIATOR_A, "对方拒绝调解", referral="共享法庭")
        view = await cases.close(case_no, COORD_QSC, "已告知起诉途径")
        await session.commit()
    assert view.state == "closed" and view.referral == "共享法庭"
    states = [e["to_state"] for e in view.events if e["to_state"]]
    assert states == ["submitted", "accepted", "assigned", "in_mediation", "failed", "closed"]


async def test_reject_withdraw_and_duplicate(db: Db) -> None:
    await seeded(db)
    a, b, c = (
        await open_case(db),
        await open_case(db, "其他", address="x"),
        await open_case(db, "其他", address="y"),
    )
    async with db.sessions() as session:
        cases = db.services(session).cases
        rejected = await cases.reject(a, COORD_QSC, "不属于民间纠纷", referral="12345")
        with pytest.raises(AccessDenied):
            await cases.withdraw(b, RESIDENT_2, "not mine")
        withdrawn = await cases.withdraw(b, RESIDENT, "已和好")
        duplicate = await cases.mark_duplicate(c, b, COORD_QSC)
        with pytest.raises(InvalidTransition):
            await cases.withdraw(a, RESIDENT)
        await session.commit()
    assert (rejected.state, withdrawn.state, duplicate.state) == ("rejected", "withdrawn", "duplicate_of")
    assert duplicate.linked_to == b
    assert all(o["status"] != "offered" for v in (rejected, withdrawn, duplicate) for o in v.offers)


async def test_only_the_handler_may_move_a_case(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(case_no, MEDIATOR_A)
        with pytest.raises(AccessDenied):
            await cases.start_mediation(case_no, MEDIATOR_B)
        with pytest.raises(AccessDenied):
            await cases.start_mediation(case_no, RESIDENT)
        await cases.start_mediation(case_no, COORD_QSC)  # the coordinator may


async def test_feedback_only_after_closing_once_and_in_range(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        with pytest.raises(InvalidTransition):
            await cases.feedback(case_no, RESIDENT, 5)
        await cases.accept_offer(case_no, MEDIATOR_A)
        await cases.start_mediation(case_no, MEDIATOR_A)
        await cases.record_agreement(
            case_no,
            MEDIATOR_A,
            AgreementIn("written", "赔偿200元", date(2026, 11, 3), parties=[{"name": "陈村民"}]),
        )
        await cases.close(case_no, MEDIATOR_A)
        with pytest.raises(InvalidInput):
            await cases.feedback(case_no, RESIDENT, 6)
        with pytest.raises(AccessDenied):
            await cases.feedback(case_no, RESIDENT_2, 4)
        await cases.feedback(case_no, RESIDENT, 4, "满意")
        with pytest.raises(InvalidInput):
            await cases.feedback(case_no, RESIDENT, 3)
        view = await cases.show(case_no, RESIDENT)
    assert view.agreement is not None and view.agreement["judicial_deadline"] == date(2026, 12, 3)


async def test_urgent_cases_alert_the_duty_staff(db: Db) -> None:
    from tests.intake.conftest import notifications

    await seeded(db)
    case_no = await open_case(db, urgent=True)
    alerted = {chat for chat, _, p in await notifications(db, "urgent_case") if p["case_no"] == case_no}
    assert alerted == {9000, COORD_QSC}
    await open_case(db, "其他", address="z")
    async with db.sessions() as session:
        with pytest.raises(AccessDenied):
            await db.services(session).cases.mark_urgent("QSC-202611-0002", MEDIATOR_B, "x")
        await db.services(session).cases.mark_urgent("QSC-202611-0002", RESIDENT, "对方扬言动手")
        await session.commit()
    assert len(await notifications(db, "urgent_case")) == 4


async def test_progress_notes_are_events_of_the_handler(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        with pytest.raises(AccessDenied):
            await cases.add_note(case_no, MEDIATOR_A, "已电话联系双方")  # only offered so far
        await cases.accept_offer(case_no, MEDIATOR_A)
        await cases.add_note(case_no, MEDIATOR_A, "已电话联系双方", "contacted")
        with pytest.raises(InvalidInput):
            await cases.add_note(case_no, MEDIATOR_A, "  ")
        view = await cases.show(case_no, RESIDENT)
    assert view.events[-1]["action"] == "contacted" and view.events[-1]["to_state"] is None
