"""Time-driven work: offer timeouts, mediation reminders, overdue escalation, the 司法确认 reminder,
the 回访 follow-up and closing consultations past their deadline. Idempotent: running ``tick`` twice
at the same moment changes nothing the second time."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake import lifecycle as lc
from intake.consultations import run_clock as consultation_clock
from intake.models import Agreement, Case, Mediator, Offer
from intake.outbox import enqueue_many
from intake.routing import PENDING_OFFER, Router
from intake.settings import IntakeSettings


@dataclass
class TickReport:
    offers_timed_out: int = 0
    due_reminders: int = 0
    escalated: int = 0
    judicial_reminders: int = 0
    follow_ups: int = 0
    consultation_reminders: int = 0
    consultations_closed: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.to_dict().values())


async def _case(session: AsyncSession, case_id: int) -> Case | None:
    query = select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def _time_out_offers(router: Router, report: TickReport) -> None:
    expired = await router.session.execute(
        select(Offer.id, Offer.case_id).where(Offer.status.in_(PENDING_OFFER), Offer.expires_at <= router.now)
    )
    for offer_id, case_id in expired.all():
        case = await _case(router.session, case_id)
        if case is not None and await router.close_offer(case, offer_id, "timed_out", "no answer", "system"):
            report.offers_timed_out += 1


async def _remind_due(router: Router, settings: IntakeSettings, report: TickReport) -> None:
    """One reminder per due date, to the mediator (else the coordinator); batched for large backlogs."""
    horizon = router.now + timedelta(days=settings.reminder_before_days)
    rows = await router.session.execute(
        select(
            Case.id,
            Case.case_no,
            Case.due_at,
            Mediator.chat_id,
            Case.community_id,
            Case.grid_id,
            Case.level,
            Case.coordinator_id,
        )
        .outerjoin(Mediator, Mediator.id == Case.mediator_id)
        .where(
            Case.state.in_((lc.ASSIGNED, lc.IN_MEDIATION, lc.ESCALATED)),
            Case.due_at > router.now,
            Case.due_at <= horizon,
            or_(Case.reminded_due_at.is_(None), Case.reminded_due_at != Case.due_at),
        )
    )
    items: list[dict[str, object]] = []
    case_ids: list[int] = []
    for (
        case_id,
        case_no,
        due_at,
        mediator_chat,
        community_id,
        grid_id,
        level,
        coordinator_id,
    ) in rows.tuples():
        if mediator_chat is not None:
            targets = [mediator_chat]
        else:  # a detached stand-in carries what finding the coordinator needs, without loading the case
            stand_in = Case(
                id=case_id,
                community_id=community_id,
                grid_id=grid_id,
                level=level,
                coordinator_id=coordinator_id,
            )
            targets = await router.responsible_chat_ids(stand_in)
        for chat_id in targets:
            items.append(
                {
                    "recipient_chat_id": chat_id,
                    "kind": "mediation_due_soon",
                    "case_id": case_id,
                    "payload": {"case_no": case_no, "due_at": due_at},
                    "dedup_key": f"mediation_due_soon:{case_id}:{due_at}:{chat_id}",
                }
            )
        case_ids.append(case_id)
    await enqueue_many(router.session, items, router.now)
    for start in range(0, len(case_ids), 500):
        await router.session.execute(
            update(Case)
            .where(Case.id.in_(case_ids[start : start + 500]))
            .values(reminded_due_at=Case.due_at)
            .execution_options(synchronize_session=False)
        )
    report.due_reminders += len(case_ids)


async def _escalate_overdue(router: Router, report: TickReport) -> None:
    overdue = await router.session.scalars(
        select(Case.id)
        .where(Case.state.in_(lc.MEDIATION_STATES), Case.due_at <= router.now)
        .order_by(Case.id)
    )
    for case_id in overdue.all():
        case = await _case(router.session, case_id)
        if (
            case is None
            or case.state not in lc.MEDIATION_STATES
            or case.due_at is None
            or case.due_at > router.now
        ):
            continue
        await router.escalate(case, "system", "overdue")
        report.escalated += 1


async def _remind_judicial(router: Router, settings: IntakeSettings, report: TickReport) -> None:
    today = router.now.date()
    horizon = today + timedelta(days=settings.judicial_reminder_before_days)
    rows = await router.session.execute(
        select(Agreement, Case)
        .join(Case, Case.id == Agreement.case_id)
        .where(
            Agreement.judicial_reminded_at.is_(None),
            Agreement.judicial_deadline <= horizon,
            Agreement.judicial_deadline >= today,
            Case.state.in_((lc.AGREED, lc.FOLLOW_UP, lc.CLOSED)),
        )
    )
    for agreement, case in rows.tuples().all():
        await router.notify(
            await router.complainant_chat_id(case),
            "judicial_confirmation_reminder",
            case,
            str(case.id),
            deadline=agreement.judicial_deadline,
        )
        agreement.judicial_reminded_at = router.now
        report.judicial_reminders += 1


async def _start_follow_ups(router: Router, report: TickReport) -> None:
    due = await router.session.scalars(
        select(Case.id)
        .join(Agreement, Agreement.case_id == Case.id)
        .where(Case.state == lc.AGREED, Agreement.follow_up_due_at <= router.now)
    )
    for case_id in due.all():
        case = await _case(router.session, case_id)
        if case is None or case.state != lc.AGREED:
            continue
        await router.move(case, lc.FOLLOW_UP, "system", "follow_up_due")
        holder = await router.mediator_chat_id(case)
        for chat_id in [holder] if holder else await router.responsible_chat_ids(case):
            await router.notify(chat_id, "follow_up_due", case, str(case.id))
        report.follow_ups += 1


async def tick(session: AsyncSession, settings: IntakeSettings, now: datetime) -> TickReport:
    """Run every clock once at ``now``. The caller commits."""
    router = Router(session, settings, now)
    report = TickReport()
    await _time_out_offers(router, report)
    await _remind_due(router, settings, report)
    await _escalate_overdue(router, report)
    await _remind_judicial(router, settings, report)
    await _start_follow_ups(router, report)
    report.consultation_reminders, report.consultations_closed = await consultation_clock(
        session, settings, now
    )
    await session.flush()
    return report
