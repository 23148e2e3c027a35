"""The legal clocks with a controllable clock: reminders, escalation, 司法确认, 回访; tick is idempotent."""

from __future__ import annotations

from datetime import timedelta

from intake.cases import AgreementIn
from intake.scheduler import TickReport
from tests.intake.conftest import (
    COORD_QSC,
    COORD_TYZ,
    COORD_YXX,
    MEDIATOR_A,
    RESIDENT,
    Db,
    notifications,
    open_case,
    seeded,
)


async def _tick(db: Db) -> TickReport:
    async with db.sessions() as session:
        report = await db.services(session).tick()
        await session.commit()
    return report


async def _assigned_case(db: Db) -> str:
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(case_no, MEDIATOR_A)
        await cases.start_mediation(case_no, MEDIATOR_A)
        await session.commit()
    return case_no


async def test_due_reminder_once_then_overdue_climbs_the_ladder(db: Db) -> None:
    await seeded(db)
    case_no = await _assigned_case(db)
    s = db.settings
    db.clock.advance(days=s.mediation_due_days - s.reminder_before_days + 0.5)
    assert (await _tick(db)).due_reminders == 1
    assert (await _tick(db)).total == 0  # idempotent
    assert [c for c, _, _ in await notifications(db, "mediation_due_soon")] == [MEDIATOR_A]
    db.clock.advance(days=s.reminder_before_days)
    assert (await _tick(db)).escalated == 1
    assert (await _tick(db)).total == 0
    levels = []
    for _ in range(3):
        async with db.sessions() as session:
            view = await db.services(session).cases.show_admin(case_no)
        levels.append((view.level, view.state, view.mediator))
        db.clock.advance(days=s.mediation_due_days + 1)
        await _tick(db)
    assert levels[0] == (2, "escalated", None)
    assert [lvl for lvl, _, _ in levels] == [2, 3, 4]
    owners = [(c, p["level"]) for c, _, p in await notifications(db, "case_escalated")]
    assert (COORD_QSC, 2) in owners and (COORD_TYZ, 3) in owners and (COORD_YXX, 4) in owners


async def test_the_judicial_reminder_and_the_follow_up(db: Db) -> None:
    await seeded(db)
    case_no = await _assigned_case(db)
    signed = db.clock.now().date()
    async with db.sessions() as session:
        await db.services(session).cases.record_agreement(
            case_no, MEDIATOR_A, AgreementIn("written", "修篱笆", signed)
        )
        await session.commit()
    s = db.settings
    assert (await _tick(db)).total == 0
    db.clock.advance(days=s.follow_up_after_days)
    report = await _tick(db)
    assert report.follow_ups == 1 and report.judicial_reminders == 0
    assert [c for c, _, _ in await notifications(db, "follow_up_due")] == [MEDIATOR_A]
    db.clock.set(
        db.clock.now().replace(hour=12)
        + timedelta(
            days=s.judicial_confirmation_days - s.follow_up_after_days - s.judicial_reminder_before_days
        )
    )
    assert (await _tick(db)).judicial_reminders == 1
    assert (await _tick(db)).total == 0
    reminder = await notifications(db, "judicial_confirmation_reminder")
    assert reminder[0][0] == RESIDENT
    assert reminder[0][2]["deadline"] == (signed + timedelta(days=s.judicial_confirmation_days)).isoformat()
    async with db.sessions() as session:
        view = await db.services(session).cases.record_follow_up(
            case_no, MEDIATOR_A, performed=True, note="已修好"
        )
        await session.commit()
    assert view.state == "closed"
    assert [c for c, _, _ in await notifications(db, "feedback_request")] == [RESIDENT]


async def test_an_unanswered_offer_times_out_once(db: Db) -> None:
    await seeded(db)
    await open_case(db)
    db.clock.advance(hours=db.settings.offer_timeout_hours - 1)
    assert (await _tick(db)).offers_timed_out == 0
    db.clock.advance(hours=2)
    assert (await _tick(db)).offers_timed_out == 1
    assert (await _tick(db)).offers_timed_out == 0
