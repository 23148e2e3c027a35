"""Who handles a case: the best eligible mediator, the next one after a decline or timeout, and the
escalation ladder (和事佬 → 村/社区调委会 → 镇街矛调中心 → 共享法庭) when nobody is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.admin import LEVELS, ancestors, mediator_loads
from intake.db import utcnow
from intake.errors import InvalidTransition
from intake.lifecycle import ACCEPTED, ESCALATED, LADDER, TERMINAL_STATES, TOP_LEVEL, can_move
from intake.models import Case, CaseEvent, Community, Mediator, MediatorArea, Offer, Recusal, Resident, Staff
from intake.outbox import enqueue
from intake.settings import IntakeSettings
from intake.views import MediatorView

PENDING_OFFER = ("offered", "delivered")
# Notices about a case that are also copied to the mediators' team chat, under these kinds.
TEAM_KINDS = {
    "case_offered": "team_offered",
    "case_assigned": "team_assigned",
    "case_state_changed": "team_progress",
    "case_escalated": "team_escalated",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def mediator_view(row: Mediator, load: int = 0) -> MediatorView:
    return MediatorView(
        row.chat_id, row.name, [], list(row.specialties or []), row.capacity, row.level, row.status, load
    )


class Router:
    def __init__(self, session: AsyncSession, settings: IntakeSettings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self._coordinators: dict[tuple[int, int], Staff | None] = {}

    # -- events and notifications ------------------------------------------------------------------

    async def event(
        self,
        case: Case,
        actor: str,
        action: str,
        note: str = "",
        from_state: str | None = None,
        to_state: str | None = None,
    ) -> CaseEvent:
        row = CaseEvent(
            case_id=case.id,
            at=self.now,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            note=note,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def move(self, case: Case, target: str, actor: str, action: str, note: str = "") -> CaseEvent:
        """The one place a case changes state: refuses invalid moves, records the event."""
        if not can_move(case.state, target):
            raise InvalidTransition(case.case_no, case.state, target)
        source = case.state
        case.state = target
        case.updated_at = utcnow()
        if target in TERMINAL_STATES:  # closed, withdrawn, rejected, duplicate: the team's topic ends
            await self._to_team(
                "team_closed", case, f"end{case.id}", {"case_no": case.case_no, "state": target}
            )
        return await self.event(case, actor, action, note, source, target)

    async def notify(
        self, chat_id: int | None, kind: str, case: Case | None, dedup: str, **payload: object
    ) -> None:
        body: dict[str, object] = {"case_no": case.case_no} if case is not None else {}
        body.update(payload)
        await self._copy_to_team(chat_id, kind, case, dedup, body)
        if chat_id is None:
            return
        offer_id = payload.get("offer_id")
        await enqueue(
            self.session,
            recipient_chat_id=chat_id,
            kind=kind,
            payload=body,
            dedup_key=f"{kind}:{dedup}:{chat_id}",
            now=self.now,
            case_id=case.id if case else None,
            offer_id=offer_id if isinstance(offer_id, int) else None,
        )

    async def _copy_to_team(
        self, chat_id: int | None, kind: str, case: Case | None, dedup: str, body: dict[str, object]
    ) -> None:
        """One copy per event however many people were told (no recipient in the dedup key), and no
        offer id: the team's copy neither delivers the offer nor fails it."""
        team_kind = TEAM_KINDS.get(kind)
        if team_kind is None or case is None or chat_id == self.settings.mediators_chat_id:
            return
        if kind == "case_state_changed" and body.get("state") in TERMINAL_STATES:
            return  # the move itself sent team_closed
        copy = {k: v for k, v in body.items() if k != "offer_id"}
        copy["recipient_chat_id"] = chat_id
        await self._to_team(team_kind, case, dedup, copy)

    async def _to_team(self, team_kind: str, case: Case, dedup: str, payload: dict[str, object]) -> None:
        team = self.settings.mediators_chat_id
        if team is None:
            return
        await enqueue(
            self.session,
            recipient_chat_id=team,
            kind=team_kind,
            payload=payload,
            dedup_key=f"{team_kind}:{dedup}:{team}",
            now=self.now,
            case_id=case.id,
        )

    # -- who is responsible ------------------------------------------------------------------------

    async def case_chain(self, case: Case) -> list[Community]:
        start = await self.session.get(Community, case.grid_id or case.community_id)
        return await ancestors(self.session, start) if start is not None else []

    async def coordinator_for(self, case: Case, level: int) -> Staff | None:
        """The coordinator of the community tier that owns this rung, or the nearest one above it."""
        key = (case.grid_id or case.community_id, level)
        if key not in self._coordinators:
            self._coordinators[key] = await self._find_coordinator(case, level)
        return self._coordinators[key]

    async def _find_coordinator(self, case: Case, level: int) -> Staff | None:
        tier = LEVELS.index(LADDER[level][1])
        for community in await self.case_chain(case):
            if LEVELS.index(community.level) > tier:
                continue
            staff = await self.session.scalar(
                select(Staff)
                .where(Staff.community_id == community.id, Staff.role == "coordinator")
                .order_by(Staff.id)
                .limit(1)
            )
            if staff is not None:
                return staff
        return None

    async def responsible_chat_ids(self, case: Case | None) -> list[int]:
        """Who hears about trouble with a case: its coordinator, else the duty staff."""
        if case is not None and case.coordinator_id is not None:
            staff = await self.session.get(Staff, case.coordinator_id)
            if staff is not None:
                return [staff.chat_id]
        if case is not None:
            staff = await self.coordinator_for(case, case.level)
            if staff is not None:
                return [staff.chat_id]
        return list(self.settings.duty_staff_chat_ids)

    async def complainant_chat_id(self, case: Case) -> int | None:
        if case.complainant_id is None:
            return None
        return await self.session.scalar(select(Resident.chat_id).where(Resident.id == case.complainant_id))

    async def mediator_chat_id(self, case: Case) -> int | None:
        if case.mediator_id is None:
            return None
        return await self.session.scalar(select(Mediator.chat_id).where(Mediator.id == case.mediator_id))

    # -- eligibility and offers --------------------------------------------------------------------

    async def _party_identities(self, case: Case) -> tuple[set[int], set[str]]:
        chat_ids = {p.chat_id for p in case.parties if p.chat_id is not None}
        names = {p.name.strip() for p in case.parties if p.name.strip()}
        if case.complainant_id is not None:
            complainant = await self.session.get(Resident, case.complainant_id)
            if complainant is not None:
                chat_ids.add(complainant.chat_id)
                if complainant.display_name.strip():
                    names.add(complainant.display_name.strip())
        return chat_ids, names

    async def eligible(self, case: Case) -> list[tuple[Mediator, int]]:
        """Eligible mediators with their load, best first: specialty, fewest open cases, longest idle."""
        area_ids = [c.id for c in await self.case_chain(case)]
        excluded = set(await self.session.scalars(select(Offer.mediator_id).where(Offer.case_id == case.id)))
        excluded |= set(
            await self.session.scalars(select(Recusal.mediator_id).where(Recusal.case_id == case.id))
        )
        party_chats, party_names = await self._party_identities(case)
        candidates = await self.session.scalars(
            select(Mediator).where(
                Mediator.status == "active",
                Mediator.level == case.level,
                Mediator.id.in_(
                    select(MediatorArea.mediator_id).where(MediatorArea.community_id.in_(area_ids))
                ),
            )
        )
        ranked: list[tuple[tuple[int, int, datetime, int], Mediator, int]] = []
        suitable = [
            m
            for m in candidates
            if m.id not in excluded
            and not (m.specialties and case.category not in m.specialties)
            and m.chat_id not in party_chats
            and m.name.strip() not in party_names
        ]
        loads = await mediator_loads(self.session, [m.id for m in suitable])
        for mediator in suitable:
            load = loads[mediator.id]
            if load >= mediator.capacity:
                continue
            key = (0 if mediator.specialties else 1, load, mediator.last_assigned_at or _EPOCH, mediator.id)
            ranked.append((key, mediator, load))
        ranked.sort(key=lambda item: item[0])
        return [(mediator, load) for _, mediator, load in ranked]

    async def pending_offers(self, case: Case) -> list[Offer]:
        rows = await self.session.scalars(
            select(Offer).where(Offer.case_id == case.id, Offer.status.in_(PENDING_OFFER))
        )
        return list(rows)

    async def make_offer(self, case: Case, mediator: Mediator, actor: str) -> Offer:
        offer = Offer(
            case_id=case.id,
            mediator_id=mediator.id,
            status="offered",
            offered_at=self.now,
            expires_at=self.now + timedelta(hours=self.settings.offer_timeout_hours),
        )
        self.session.add(offer)
        await self.session.flush()
        await self.event(case, actor, "offered", f"mediator:{mediator.chat_id}")
        grid = await self.session.get(Community, case.grid_id) if case.grid_id else None
        community = await self.session.get(Community, case.community_id)
        await self.notify(
            mediator.chat_id,
            "case_offered",
            case,
            f"offer{offer.id}",
            category=case.category,
            community=community.name if community else "",
            grid=grid.name if grid else None,
            urgent=case.urgent,
            level=case.level,
            expires_at=offer.expires_at,
            offer_id=offer.id,
            mediator_name=mediator.name,
        )
        return offer

    async def offer_next(
        self, case: Case, actor: str, prefer: Mediator | None = None, *, climb: bool = True
    ) -> Mediator | None:
        """Offer the case to the best eligible mediator. When nobody is left, climb one rung (the
        coordinator there owns it); right after a climb, stay with that coordinator instead."""
        if case.state not in (ACCEPTED, ESCALATED) or case.mediator_id is not None:
            return None
        if await self.pending_offers(case):
            return None
        ranked = await self.eligible(case)
        choice = next((m for m, _ in ranked if prefer is not None and m.id == prefer.id), None)
        if choice is None and ranked:
            choice = ranked[0][0]
        if choice is not None:
            await self.make_offer(case, choice, actor)
            return choice
        if not climb:
            await self.tell_unassigned(case, actor, "no eligible mediator at this level")
            return None
        return await self.nobody_left(case, actor)

    async def tell_unassigned(self, case: Case, actor: str, note: str) -> None:
        await self.event(case, actor, "unassigned", note)
        for chat_id in await self.responsible_chat_ids(case):
            await self.notify(
                chat_id,
                "case_unassigned",
                case,
                f"{case.id}:L{case.level}:{self.now.isoformat()}",
                reason="nobody_eligible",
                level=case.level,
            )

    async def nobody_left(self, case: Case, actor: str) -> Mediator | None:
        if case.level >= TOP_LEVEL:
            await self.tell_unassigned(case, actor, "no eligible mediator at the top of the ladder")
            return None
        return await self.escalate(case, actor, "nobody_eligible")

    async def escalate(self, case: Case, actor: str, reason: str) -> Mediator | None:
        """One rung up: the coordinator of that rung owns the case and its mediators are offered it."""
        if not can_move(case.state, ESCALATED):
            raise InvalidTransition(case.case_no, case.state, ESCALATED)
        if case.level >= TOP_LEVEL:
            # Nowhere higher to go: keep the coordinator informed and restart the clock once.
            case.due_at = self.now + timedelta(days=self.settings.mediation_due_days)
            await self.event(case, actor, "overdue_at_top", reason)
            for chat_id in await self.responsible_chat_ids(case):
                await self.notify(
                    chat_id,
                    "case_escalated",
                    case,
                    f"top{case.id}:{self.now.isoformat()}",
                    level=case.level,
                    level_name=LADDER[case.level][0],
                    reason=reason,
                )
            return None
        await self.withdraw_offers(case, "escalated")
        case.level += 1
        case.mediator_id = None
        case.due_at = self.now + timedelta(days=self.settings.mediation_due_days)
        coordinator = await self.coordinator_for(case, case.level)
        if coordinator is not None:
            case.coordinator_id = coordinator.id
        await self.move(case, ESCALATED, actor, "escalated", f"level {case.level}: {reason}")
        for chat_id in await self.responsible_chat_ids(case):
            await self.notify(
                chat_id,
                "case_escalated",
                case,
                f"{case.id}:L{case.level}",
                level=case.level,
                level_name=LADDER[case.level][0],
                reason=reason,
            )
        complainant = await self.complainant_chat_id(case)
        await self.notify(
            complainant,
            "case_state_changed",
            case,
            f"{case.id}:L{case.level}",
            state=ESCALATED,
            level=case.level,
            level_name=LADDER[case.level][0],
            note="",
        )
        return await self.offer_next(case, actor, climb=False)

    async def withdraw_offers(self, case: Case, reason: str, except_offer: int | None = None) -> None:
        for offer in await self.pending_offers(case):
            if offer.id == except_offer:
                continue
            offer.status, offer.responded_at, offer.reason = "withdrawn", self.now, reason
            mediator = await self.session.get(Mediator, offer.mediator_id)
            if mediator is not None:
                await self.notify(mediator.chat_id, "offer_taken", case, f"offer{offer.id}", reason=reason)
        await self.session.flush()

    async def close_offer(self, case: Case, offer_id: int, status: str, reason: str, actor: str) -> bool:
        """Decline, time out or fail one offer; the next mediator is offered when nobody holds the case."""
        result = await self.session.execute(
            update(Offer)
            .where(Offer.id == offer_id, Offer.status.in_(PENDING_OFFER))
            .values(status=status, responded_at=self.now, reason=reason)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        offer = await self.session.get(Offer, offer_id, populate_existing=True)
        mediator = await self.session.get(Mediator, offer.mediator_id) if offer else None
        await self.event(
            case, actor, f"offer_{status}", f"mediator:{mediator.chat_id if mediator else '?'} {reason}"
        )
        await self.offer_next(case, "system")
        return True

    async def offer_failed(self, case: Case, offer_id: int, error: str) -> None:
        await self.close_offer(case, offer_id, "failed", "delivery failed", "system")
