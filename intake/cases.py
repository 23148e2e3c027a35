"""The case service: opening, the lifecycle moves of PRODUCT.md, offers, access rules and views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from intake import lifecycle as lc
from intake.admin import CommunityService, community_by_code, descendant_ids
from intake.clock import ClockedService
from intake.errors import AccessDenied, AlreadyTaken, ConsentRequired, InvalidInput, NotFound
from intake.models import (
    Agreement,
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    CaseParty,
    Community,
    Feedback,
    FollowUp,
    Mediator,
    Offer,
    Recusal,
    Resident,
    Staff,
)
from intake.routing import PENDING_OFFER, Router, mediator_view
from intake.views import CaseSummary, CaseView, OpenedCase

ATTACHMENT_KINDS = ("photo", "voice", "document", "video")
NOTE_ACTIONS = ("note", "contacted", "meeting")
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class Respondent:
    name: str
    relation: str = ""
    contact: str = ""
    chat_id: int | None = None


@dataclass(frozen=True)
class AttachmentIn:
    file_id: str
    kind: str


@dataclass(frozen=True)
class NewCase:
    complainant_chat_id: int
    community_code: str
    category: str
    description: str
    desired_outcome: str = ""
    grid_code: str | None = None
    address: str = ""
    respondents: list[Respondent] = field(default_factory=list)
    attachments: list[AttachmentIn] = field(default_factory=list)
    anonymous: bool = False
    urgent: bool = False
    # Set when a grid worker or administrator files on the resident's behalf (consent taken in person).
    assisted_by: str | None = None


@dataclass(frozen=True)
class AgreementIn:
    form: str
    terms: str
    signed_on: date
    parties: list[dict[str, str]] = field(default_factory=list)
    facts_and_issues: str = ""
    performance_method: str = ""
    performance_deadline: date | None = None


def _norm(text: str) -> str:
    return "".join(text.split()).lower()


class CaseService(ClockedService):

    def _router(self) -> Router:
        return Router(self.session, self.settings, self.clock.now())

    # -- loading ---------------------------------------------------------------------------------

    async def _case(self, case_no: str, *, lock: bool = True) -> Case:
        query = select(Case).where(Case.case_no == case_no.strip()).execution_options(populate_existing=True)
        row = await self.session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise NotFound("case", case_no)
        return row

    async def _mediator(self, chat_id: int) -> Mediator:
        row = await self.session.scalar(select(Mediator).where(Mediator.chat_id == chat_id))
        if row is None:
            raise NotFound("mediator", chat_id)
        return row

    async def _resident(self, chat_id: int) -> Resident | None:
        return await self.session.scalar(select(Resident).where(Resident.chat_id == chat_id))

    async def _staff_covers(self, chat_id: int, case: Case) -> bool:
        ids = await CommunityService(self.session).staff_community_ids(chat_id)
        return case.community_id in ids or (case.grid_id is not None and case.grid_id in ids)

    async def _is_complainant(self, chat_id: int, case: Case) -> bool:
        resident = await self._resident(chat_id)
        return resident is not None and resident.id == case.complainant_id

    async def _is_assigned(self, chat_id: int, case: Case) -> bool:
        return (
            case.mediator_id is not None
            and await self.session.scalar(select(Mediator.chat_id).where(Mediator.id == case.mediator_id))
            == chat_id
        )

    async def _require_handler(self, case: Case, chat_id: int, what: str) -> str:
        """The assigned mediator or a coordinator over the case may move it; returns the actor."""
        if await self._is_assigned(chat_id, case):
            return f"mediator:{chat_id}"
        if await self._staff_covers(chat_id, case):
            return f"staff:{chat_id}"
        raise AccessDenied(what)

    async def _require_complainant_or_handler(self, case: Case, chat_id: int, what: str) -> str:
        if await self._is_complainant(chat_id, case):
            return f"resident:{chat_id}"
        return await self._require_handler(case, chat_id, what)

    async def _require_staff(self, case: Case, chat_id: int, what: str) -> str:
        if await self._staff_covers(chat_id, case):
            return f"staff:{chat_id}"
        raise AccessDenied(what)

    # -- opening ---------------------------------------------------------------------------------

    def _validate(self, new: NewCase) -> None:
        if new.category not in lc.CATEGORIES:
            raise InvalidInput("category", f"must be one of {', '.join(lc.CATEGORIES)}")
        if not new.description.strip():
            raise InvalidInput("description", "must not be empty")
        if len(new.description) > MAX_DESCRIPTION:
            raise InvalidInput("description", f"longer than {MAX_DESCRIPTION} characters")
        for attachment in new.attachments:
            if attachment.kind not in ATTACHMENT_KINDS or not attachment.file_id:
                raise InvalidInput("attachment", f"kind must be one of {', '.join(ATTACHMENT_KINDS)}")

    async def _place(self, new: NewCase) -> tuple[Community, Community | None]:
        community = await community_by_code(self.session, new.community_code)
        grid: Community | None = None
        if community.level == "grid":
            grid = community
            parent = await self.session.get(Community, community.parent_id) if community.parent_id else None
            community = parent or community
        if new.grid_code:
            grid = await community_by_code(self.session, new.grid_code)
            if grid.level != "grid" or grid.parent_id != community.id:
                raise InvalidInput("grid", f"{new.grid_code} is not a grid of {community.code}")
        if community.level not in ("village", "grid"):
            raise InvalidInput(
                "community", f"{community.code} is a {community.level}; give a village or community"
            )
        return community, grid

    async def _complainant(self, new: NewCase, community: Community, grid: Community | None) -> Resident:
        resident = await self._resident(new.complainant_chat_id)
        if new.assisted_by is None and (resident is None or resident.consent_at is None):
            raise ConsentRequired(new.complainant_chat_id)
        if resident is None:
            resident = Resident(
                chat_id=new.complainant_chat_id,
                display_name="",
                community_id=community.id,
                grid_id=grid.id if grid else None,
                language="zh",
            )
            self.session.add(resident)
            await self.session.flush()
        return resident

    async def _next_case_no(self, community: Community) -> str:
        period = self.clock.now().astimezone(ZoneInfo(self.settings.timezone)).strftime("%Y%m")
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        await self.session.execute(
            dialect.insert(CaseCounter)
            .values(community_code=community.code, period=period, last_seq=0)
            .on_conflict_do_nothing(index_elements=["community_code", "period"])
        )
        seq = await self.session.scalar(
            update(CaseCounter)
            .where(CaseCounter.community_code == community.code, CaseCounter.period == period)
            .values(last_seq=CaseCounter.last_seq + 1)
            .returning(CaseCounter.last_seq)
        )
        return f"{community.code}-{period}-{int(seq or 0):04d}"

    async def open(self, new: NewCase) -> OpenedCase:
        """Record a dispute, accept it (受理), link related cases and offer it to the best mediator."""
        self._validate(new)
        community, grid = await self._place(new)
        resident = await self._complainant(new, community, grid)
        now = self.clock.now()
        router = self._router()
        case = Case(
            case_no=await self._next_case_no(community),
            category=new.category,
            description=new.description.strip(),
            desired_outcome=new.desired_outcome.strip(),
            complainant_id=resident.id,
            community_id=community.id,
            grid_id=grid.id if grid else None,
            address=new.address.strip(),
            anonymous=new.anonymous,
            urgent=new.urgent,
            state=lc.SUBMITTED,
            level=1,
            opened_at=now,
            updated_at=now,
            parties=[
                CaseParty(
                    name=r.name.strip(),
                    relation=r.relation.strip(),
                    contact=r.contact.strip(),
                    chat_id=r.chat_id,
                )
                for r in new.respondents
                if r.name.strip() or r.chat_id
            ],
            attachments=[AttachmentIn_to_row(a, now) for a in new.attachments],
        )
        self.session.add(case)
        await self.session.flush()
        actor = new.assisted_by or f"resident:{new.complainant_chat_id}"
        await router.event(case, actor, "opened", "", None, lc.SUBMITTED)
        coordinator = await router.coordinator_for(case, 1)
        case.coordinator_id = coordinator.id if coordinator else None
        case.accepted_at = now
        case.due_at = now + timedelta(days=self.settings.mediation_due_days)
        await router.move(case, lc.ACCEPTED, "system", "accepted")
        await router.notify(
            resident.chat_id, "case_received", case, str(case.id), category=case.category, due_at=case.due_at
        )
        if case.urgent:
            await self._alert_urgent(case, router, "")
        related = await self._link_related(case, router)
        prefer = (
            await self.session.get(Mediator, related.mediator_id) if related and related.mediator_id else None
        )
        offered = await router.offer_next(case, "system", prefer=prefer)
        return OpenedCase(
            case.case_no,
            case.state,
            mediator_view(offered) if offered else None,
            await self._coordinator_chat(case),
            related.case_no if related else None,
            case.level,
        )

    async def _coordinator_chat(self, case: Case) -> int | None:
        if case.coordinator_id is None:
            return None
        return await self.session.scalar(select(Staff.chat_id).where(Staff.id == case.coordinator_id))

    async def _alert_urgent(self, case: Case, router: Router, note: str) -> None:
        community = await self.session.get(Community, case.community_id)
        targets = set(self.settings.duty_staff_chat_ids) | set(await router.responsible_chat_ids(case))
        for chat_id in sorted(targets):
            await router.notify(
                chat_id,
                "urgent_case",
                case,
                str(case.id),
                community=community.name if community else "",
                note=note,
            )

    async def _link_related(self, case: Case, router: Router) -> Case | None:
        """Same parties, or the same place and category, while the other case is still open."""
        names = {_norm(p.name) for p in case.parties if p.name.strip()}
        chats = {p.chat_id for p in case.parties if p.chat_id is not None}
        complainant_chat = await router.complainant_chat_id(case)
        # Narrow in SQL to cases that can match at all, then compare names and addresses here.
        related = [Case.complainant_id == case.complainant_id]
        if _norm(case.address):
            related.append(
                (Case.category == case.category)
                & Case.grid_id.is_not_distinct_from(case.grid_id)
                & (Case.address != "")
            )
        if chats:
            related.append(Case.complainant_id.in_(select(Resident.id).where(Resident.chat_id.in_(chats))))
        if complainant_chat is not None:
            related.append(
                Case.id.in_(select(CaseParty.case_id).where(CaseParty.chat_id == complainant_chat))
            )
        candidates = await self.session.execute(
            select(Case, Resident.chat_id)
            .outerjoin(Resident, Resident.id == Case.complainant_id)
            .where(
                Case.id != case.id,
                Case.community_id == case.community_id,
                Case.state.in_(lc.OPEN_STATES),
                or_(*related),
            )
            .order_by(Case.id.desc())
            .limit(200)
        )
        for other, other_complainant in candidates.tuples().all():
            other_names = {_norm(p.name) for p in other.parties if p.name.strip()}
            other_chats = {p.chat_id for p in other.parties if p.chat_id is not None}
            same_parties = (
                (other.complainant_id == case.complainant_id and bool(names & other_names))
                or (other_complainant is not None and other_complainant in chats)
                or (complainant_chat is not None and complainant_chat in other_chats)
            )
            same_place = (
                other.category == case.category
                and other.grid_id == case.grid_id
                and bool(_norm(case.address))
                and _norm(other.address) == _norm(case.address)
            )
            if same_parties or same_place:
                case.linked_to_id = other.id
                why = "same_parties" if same_parties else "same_place"
                await router.event(case, "system", "linked", f"{other.case_no} ({why})")
                await router.event(other, "system", "linked", f"{case.case_no} ({why})")
                told = await router.mediator_chat_id(other)
                for chat_id in [told] if told else await router.responsible_chat_ids(other):
                    await router.notify(
                        chat_id, "case_linked", other, f"{case.id}", linked_case_no=case.case_no, reason=why
                    )
                return other
        return None

    # -- offers ----------------------------------------------------------------------------------

    async def _pending_offer(self, case: Case, mediator: Mediator) -> Offer | None:
        return await self.session.scalar(
            select(Offer)
            .where(
                Offer.case_id == case.id, Offer.mediator_id == mediator.id, Offer.status.in_(PENDING_OFFER)
            )
            .order_by(Offer.id.desc())
            .limit(1)
        )

    async def accept_offer(self, case_no: str, mediator_chat_id: int) -> CaseView:
        """The mediator takes the case. Exactly one of several racing mediators wins."""
        mediator = await self._mediator(mediator_chat_id)
        case = await self._case(case_no)
        offer = await self._pending_offer(case, mediator)
        if offer is None or case.mediator_id is not None or case.state not in (lc.ACCEPTED, lc.ESCALATED):
            raise AlreadyTaken(case.case_no)
        now = self.clock.now()
        won = await self.session.execute(
            update(Case)
            .where(
                Case.id == case.id, Case.mediator_id.is_(None), Case.state.in_((lc.ACCEPTED, lc.ESCALATED))
            )
            .values(mediator_id=mediator.id, assigned_at=now)
            .execution_options(synchronize_session=False)
        )
        taken = await self.session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status.in_(PENDING_OFFER))
            .values(status="acknowledged", responded_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1 or getattr(taken, "rowcount", 0) != 1:
            raise AlreadyTaken(case.case_no)
        await self.session.refresh(case)
        router = self._router()
        mediator.last_assigned_at = now
        await router.move(case, lc.ASSIGNED, f"mediator:{mediator_chat_id}", "assigned")
        await router.withdraw_offers(case, "taken")
        await router.notify(
            await router.complainant_chat_id(case),
            "case_assigned",
            case,
            f"{case.id}:{mediator.id}",
            mediator_name=mediator.name,
        )
        return await self._view(case, mediator_chat_id)

    async def decline_offer(self, case_no: str, mediator_chat_id: int, reason: str) -> OpenedCase:
        if not reason.strip():
            raise InvalidInput("reason", "please give a reason for declining")
        mediator = await self._mediator(mediator_chat_id)
        case = await self._case(case_no)
        offer = await self._pending_offer(case, mediator)
        router = self._router()
        if offer is None or not await router.close_offer(
            case, offer.id, "declined", reason.strip(), f"mediator:{mediator_chat_id}"
        ):
            raise AlreadyTaken(case.case_no)
        return await self._opened(case, router)

    async def _opened(self, case: Case, router: Router) -> OpenedCase:
        pending = await router.pending_offers(case)
        offered = await self.session.get(Mediator, pending[0].mediator_id) if pending else None
        linked = await self.session.get(Case, case.linked_to_id) if case.linked_to_id else None
        return OpenedCase(
            case.case_no,
            case.state,
            mediator_view(offered) if offered else None,
            await self._coordinator_chat(case),
            linked.case_no if linked else None,
            case.level,
        )

    async def assign(self, case_no: str, mediator_chat_id: int, staff_chat_id: int) -> OpenedCase:
        """A coordinator offers the case to a chosen mediator (who still has to accept)."""
        case = await self._case(case_no)
        actor = await self._require_staff(case, staff_chat_id, "assign this case")
        mediator = await self._mediator(mediator_chat_id)
        if case.state not in (lc.ACCEPTED, lc.ESCALATED) or case.mediator_id is not None:
            raise AlreadyTaken(case.case_no)
        if mediator.status != "active":
            raise InvalidInput("mediator", f"{mediator.name} is {mediator.status}")
        if await self.session.scalar(
            select(Recusal.id).where(Recusal.case_id == case.id, Recusal.mediator_id == mediator.id)
        ):
            raise InvalidInput("mediator", f"{mediator.name} was recused from this case")
        router = self._router()
        if await self._pending_offer(case, mediator) is None:
            await router.make_offer(case, mediator, actor)
        return await self._opened(case, router)

    async def pending_offers(self, mediator_chat_id: int) -> list[CaseSummary]:
        mediator = await self._mediator(mediator_chat_id)
        rows = await self.session.scalars(
            select(Case)
            .join(Offer, Offer.case_id == Case.id)
            .where(Offer.mediator_id == mediator.id, Offer.status.in_(PENDING_OFFER))
            .order_by(Case.id)
        )
        return await self._summaries(list(rows))

    # -- lifecycle moves -------------------------------------------------------------------------

    async def start_mediation(self, case_no: str, actor_chat_id: int) -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "start mediation on this case")
        router = self._router()
        await router.move(case, lc.IN_MEDIATION, actor, "mediation_started")
        await router.withdraw_offers(case, "mediating")  # a coordinator may mediate an escalated case
        await self._tell_complainant(case, router)
        return await self._view(case, actor_chat_id)

    async def _tell_complainant(self, case: Case, router: Router, note: str = "", **extra: object) -> None:
        event_count = await self.session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
        )
        await router.notify(
            await router.complainant_chat_id(case),
            "case_state_changed",
            case,
            f"{case.id}:{event_count}",
            state=case.state,
            note=note,
            **extra,
        )

    def _resolve(self, case: Case) -> None:
        now = self.clock.now()
        if case.resolved_at is None:
            case.resolved_at = now
            started = case.accepted_at or case.opened_at
            case.resolution_days = round((now - started).total_seconds() / 86400, 3)
            case.resolved_on_time = case.due_at is None or now <= case.due_at

    async def record_agreement(self, case_no: str, actor_chat_id: int, agreement: AgreementIn) -> CaseView:
        if agreement.form not in ("oral", "written"):
            raise InvalidInput("form", "must be oral or written")
        if not agreement.terms.strip():
            raise InvalidInput("terms", "the agreed terms must not be empty")
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "record an agreement on this case")
        router = self._router()
        await router.move(case, lc.AGREED, actor, "agreement_recorded", agreement.form)
        self._resolve(case)
        deadline = agreement.signed_on + timedelta(days=self.settings.judicial_confirmation_days)
        self.session.add(
            Agreement(
                case_id=case.id,
                form=agreement.form,
                parties=list(agreement.parties),
                facts_and_issues=agreement.facts_and_issues.strip(),
                terms=agreement.terms.strip(),
                performance_method=agreement.performance_method.strip(),
                performance_deadline=agreement.performance_deadline,
                signed_on=agreement.signed_on,
                judicial_deadline=deadline,
                follow_up_due_at=self.clock.now() + timedelta(days=self.settings.follow_up_after_days),
            )
        )
        await self._tell_complainant(case, router, judicial_deadline=deadline)
        return await self._view(case, actor_chat_id)

    async def record_failure(
        self, case_no: str, actor_chat_id: int, reason: str, referral: str = ""
    ) -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "record the outcome of this case")
        router = self._router()
        await router.move(case, lc.FAILED, actor, "mediation_failed", reason.strip())
        case.referral = referral.strip()
        self._resolve(case)
        await self._tell_complainant(case, router, reason.strip(), referral=case.referral)
        return await self._view(case, actor_chat_id)

    async def record_follow_up(
        self, case_no: str, actor_chat_id: int, performed: bool, note: str = ""
    ) -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "record a follow-up visit")
        if case.state not in (lc.AGREED, lc.FOLLOW_UP):
            raise lc_invalid(case, lc.FOLLOW_UP)
        router = self._router()
        self.session.add(
            FollowUp(
                case_id=case.id, performed=performed, note=note.strip(), actor=actor, at=self.clock.now()
            )
        )
        if case.state == lc.AGREED:
            await router.move(case, lc.FOLLOW_UP, actor, "follow_up", note.strip())
        else:
            await router.event(case, actor, "follow_up", note.strip())
        if performed:
            await self._close(case, router, actor, "performed")
        return await self._view(case, actor_chat_id)

    async def _close(self, case: Case, router: Router, actor: str, note: str) -> None:
        await router.move(case, lc.CLOSED, actor, "closed", note)
        case.closed_at = self.clock.now()
        await router.withdraw_offers(case, "closed")
        await router.notify(await router.complainant_chat_id(case), "feedback_request", case, str(case.id))

    async def close(self, case_no: str, actor_chat_id: int, note: str = "") -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "close this case")
        await self._close(case, self._router(), actor, note.strip())
        return await self._view(case, actor_chat_id)

    async def withdraw(self, case_no: str, resident_chat_id: int, reason: str = "") -> CaseView:
        case = await self._case(case_no)
        if not await self._is_complainant(resident_chat_id, case):
            await self._require_staff(case, resident_chat_id, "withdraw this case")
        router = self._router()
        await self._withdraw(case, router, f"resident:{resident_chat_id}", reason.strip())
        return await self._view(case, resident_chat_id)

    async def _withdraw(self, case: Case, router: Router, actor: str, reason: str) -> None:
        await router.move(case, lc.WITHDRAWN, actor, "withdrawn", reason)
        self._resolve(case)
        await router.withdraw_offers(case, "withdrawn")
        told = await router.mediator_chat_id(case)
        if told is not None:
            await router.notify(
                told, "case_state_changed", case, f"{case.id}:withdrawn", state=lc.WITHDRAWN, note=reason
            )

    async def reject(self, case_no: str, staff_chat_id: int, reason: str, referral: str = "") -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_staff(case, staff_chat_id, "reject this case")
        router = self._router()
        await router.move(case, lc.REJECTED, actor, "rejected", reason.strip())
        case.referral = referral.strip()
        self._resolve(case)
        await router.withdraw_offers(case, "rejected")
        await self._tell_complainant(case, router, reason.strip(), referral=case.referral)
        return await self._view(case, staff_chat_id)

    async def mark_duplicate(self, case_no: str, of_case_no: str, staff_chat_id: int) -> CaseView:
        case = await self._case(case_no)
        original = await self._case(of_case_no, lock=False)
        if original.id == case.id:
            raise InvalidInput("of_case_no", "a case cannot duplicate itself")
        actor = await self._require_staff(case, staff_chat_id, "mark this case as a duplicate")
        router = self._router()
        await router.move(case, lc.DUPLICATE, actor, "duplicate", original.case_no)
        case.linked_to_id = original.id
        self._resolve(case)
        await router.withdraw_offers(case, "duplicate")
        await self._tell_complainant(case, router, original.case_no)
        return await self._view(case, staff_chat_id)

    async def escalate(self, case_no: str, actor_chat_id: int, reason: str) -> OpenedCase:
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "escalate this case")
        router = self._router()
        await router.escalate(case, actor, reason.strip() or "requested")
        return await self._opened(case, router)

    async def recuse(
        self, case_no: str, resident_chat_id: int, mediator_chat_id: int, reason: str
    ) -> OpenedCase:
        """The complainant objects to a mediator: recorded with the reason, and the case is re-routed."""
        if not reason.strip():
            raise InvalidInput("reason", "please give a reason")
        case = await self._case(case_no)
        if not await self._is_complainant(resident_chat_id, case):
            raise AccessDenied("object to a mediator on this case")
        if case.state in lc.TERMINAL_STATES:
            raise lc_invalid(case, "recusal")
        mediator = await self._mediator(mediator_chat_id)
        if await self.session.scalar(
            select(Recusal.id).where(Recusal.case_id == case.id, Recusal.mediator_id == mediator.id)
        ):
            return await self._opened(case, self._router())
        actor = f"resident:{resident_chat_id}"
        self.session.add(
            Recusal(
                case_id=case.id,
                mediator_id=mediator.id,
                reason=reason.strip(),
                requested_by=actor,
                created_at=self.clock.now(),
            )
        )
        router = self._router()
        await router.event(case, actor, "recused", f"mediator:{mediator_chat_id} {reason.strip()}")
        pending = await self._pending_offer(case, mediator)
        if pending is not None:
            await router.close_offer(case, pending.id, "withdrawn", "recused", actor)
        if case.mediator_id == mediator.id:
            case.mediator_id = None
            await router.notify(mediator.chat_id, "offer_taken", case, f"recused{case.id}", reason="recused")
            if case.state in (lc.ASSIGNED, lc.IN_MEDIATION):
                await router.move(case, lc.ACCEPTED, actor, "reassigning", "recused")
            await router.offer_next(case, "system")
        for chat_id in await router.responsible_chat_ids(case):
            await router.notify(
                chat_id,
                "recusal_recorded",
                case,
                f"{case.id}:{mediator.id}",
                mediator_name=mediator.name,
                reason=reason.strip(),
            )
        return await self._opened(case, router)

    async def mark_urgent(self, case_no: str, actor_chat_id: int, note: str = "") -> CaseView:
        case = await self._case(case_no)
        actor = await self._require_complainant_or_handler(case, actor_chat_id, "mark this case urgent")
        router = self._router()
        case.urgent = True
        await router.event(case, actor, "marked_urgent", note.strip())
        await self._alert_urgent(case, router, note.strip())
        return await self._view(case, actor_chat_id)

    async def feedback(self, case_no: str, resident_chat_id: int, score: int, comment: str = "") -> None:
        if not 1 <= score <= 5:
            raise InvalidInput("score", "must be between 1 and 5")
        case = await self._case(case_no)
        if not await self._is_complainant(resident_chat_id, case):
            raise AccessDenied("give feedback on this case")
        if case.state != lc.CLOSED:
            raise lc_invalid(case, "feedback")
        if await self.session.scalar(select(Feedback.id).where(Feedback.case_id == case.id)):
            raise InvalidInput("feedback", "feedback was already given for this case")
        self.session.add(
            Feedback(
                case_id=case.id, score=score, comment=comment.strip()[:1000], created_at=self.clock.now()
            )
        )
        await self._router().event(case, f"resident:{resident_chat_id}", "feedback", str(score))

    async def add_note(self, case_no: str, actor_chat_id: int, note: str, action: str = "note") -> None:
        """A progress note by the mediator or a coordinator (contacted the parties, met them, ...)."""
        if not note.strip():
            raise InvalidInput("note", "must not be empty")
        if action not in NOTE_ACTIONS:
            raise InvalidInput("action", f"must be one of {', '.join(NOTE_ACTIONS)}")
        case = await self._case(case_no)
        actor = await self._require_handler(case, actor_chat_id, "add a note to this case")
        await self._router().event(case, actor, action, note.strip()[:2000])

    async def add_attachment(self, case_no: str, actor_chat_id: int, file_id: str, kind: str) -> None:
        case = await self._case(case_no)
        actor = await self._require_complainant_or_handler(case, actor_chat_id, "add files to this case")
        if kind not in ATTACHMENT_KINDS or not file_id:
            raise InvalidInput("attachment", f"kind must be one of {', '.join(ATTACHMENT_KINDS)}")
        self.session.add(AttachmentIn_to_row(AttachmentIn(file_id, kind), self.clock.now(), case.id))
        await self._router().event(case, actor, "attachment_added", kind)

    # -- reading, with the access rules ----------------------------------------------------------

    async def show(self, case_no: str, viewer_chat_id: int) -> CaseView:
        return await self._view(await self._case(case_no, lock=False), viewer_chat_id)

    async def show_admin(self, case_no: str) -> CaseView:
        """For the command line (administrators on the server): everything, no access filter."""
        return await self._view(await self._case(case_no, lock=False), None, check=False)

    async def _access(self, case: Case, viewer: int | None) -> tuple[bool, bool]:
        """(may see the case, may see the parties' contacts)."""
        if viewer is None:
            return True, True
        if await self._is_complainant(viewer, case):
            return True, True
        if await self._is_assigned(viewer, case):
            return True, True
        if await self._staff_covers(viewer, case):
            return True, True
        offered = await self.session.scalar(
            select(Offer.id)
            .join(Mediator, Mediator.id == Offer.mediator_id)
            .where(Offer.case_id == case.id, Mediator.chat_id == viewer, Offer.status.in_(PENDING_OFFER))
        )
        return bool(offered), False

    async def _view(self, case: Case, viewer: int | None, check: bool = True) -> CaseView:
        visible, contacts = await self._access(case, viewer)
        if check and not visible:
            raise AccessDenied("see this case")
        community = await self.session.get(Community, case.community_id)
        grid = await self.session.get(Community, case.grid_id) if case.grid_id else None
        mediator = await self.session.get(Mediator, case.mediator_id) if case.mediator_id else None
        complainant = await self.session.get(Resident, case.complainant_id) if case.complainant_id else None
        linked = await self.session.get(Case, case.linked_to_id) if case.linked_to_id else None
        agreement = await self.session.scalar(select(Agreement).where(Agreement.case_id == case.id))
        events = await self.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
        offers = await self.session.execute(
            select(Offer, Mediator.name)
            .join(Mediator, Mediator.id == Offer.mediator_id)
            .where(Offer.case_id == case.id)
            .order_by(Offer.id)
        )
        return CaseView(
            case_no=case.case_no,
            state=case.state,
            category=case.category,
            community=community.code if community else "",
            grid=grid.code if grid else None,
            address=case.address,
            description=case.description,
            desired_outcome=case.desired_outcome,
            urgent=case.urgent,
            anonymous=case.anonymous,
            level=case.level,
            level_name=lc.LADDER[case.level][0],
            mediator=mediator.name if mediator else None,
            mediator_chat_id=mediator.chat_id if mediator else None,
            complainant=complainant.display_name if complainant and contacts else None,
            complainant_contact=complainant.phone if complainant and contacts else None,
            respondents=[
                {"name": p.name, "relation": p.relation, "contact": p.contact if contacts else None}
                for p in case.parties
            ],
            attachments=[{"file_id": a.file_id, "kind": a.kind} for a in case.attachments],
            linked_to=linked.case_no if linked else None,
            opened_at=case.opened_at,
            due_at=case.due_at,
            referral=case.referral,
            agreement=_agreement_dict(agreement),
            events=[
                {
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "note": e.note,
                }
                for e in events
            ],
            offers=[
                {"mediator": name, "status": o.status, "reason": o.reason, "offered_at": o.offered_at}
                for o, name in offers.all()
            ],
        )

    async def _summaries(self, cases: list[Case]) -> list[CaseSummary]:
        codes = dict((await self.session.execute(select(Community.id, Community.code))).tuples().all())
        mediator_ids = {c.mediator_id for c in cases if c.mediator_id}
        names = dict(
            (
                await self.session.execute(
                    select(Mediator.id, Mediator.name).where(Mediator.id.in_(mediator_ids))
                )
            )
            .tuples()
            .all()
        )
        return [
            CaseSummary(
                c.case_no,
                c.state,
                c.category,
                codes.get(c.community_id, ""),
                names.get(c.mediator_id) if c.mediator_id else None,
                c.level,
                c.urgent,
                c.opened_at,
                c.due_at,
            )
            for c in cases
        ]

    async def list_for(
        self, viewer_chat_id: int, *, state: str | None = None, limit: int = 50
    ) -> list[CaseSummary]:
        """Resident: own cases; mediator: assigned and offered; staff: their communities and below."""
        conditions = []
        resident = await self._resident(viewer_chat_id)
        if resident is not None:
            conditions.append(Case.complainant_id == resident.id)
        mediator = await self.session.scalar(select(Mediator).where(Mediator.chat_id == viewer_chat_id))
        if mediator is not None:
            conditions.append(Case.mediator_id == mediator.id)
            conditions.append(
                Case.id.in_(
                    select(Offer.case_id).where(
                        Offer.mediator_id == mediator.id, Offer.status.in_(PENDING_OFFER)
                    )
                )
            )
        area = await CommunityService(self.session).staff_community_ids(viewer_chat_id)
        if area:
            conditions.append(Case.community_id.in_(area))
        if not conditions:
            return []
        query = select(Case).where(or_(*conditions))
        if state:
            query = query.where(Case.state == state)
        rows = await self.session.scalars(query.order_by(Case.id.desc()).limit(limit))
        return await self._summaries(list(rows))

    async def list_all(
        self, *, state: str | None = None, community_code: str | None = None, limit: int | None = None
    ) -> list[CaseSummary]:
        query = select(Case)
        if state:
            query = query.where(Case.state == state)
        if community_code:
            community = await community_by_code(self.session, community_code)
            query = query.where(Case.community_id.in_(await descendant_ids(self.session, community.id)))
        query = query.order_by(Case.id.desc())
        rows = await self.session.scalars(query.limit(limit) if limit else query)
        return await self._summaries(list(rows))


def lc_invalid(case: Case, target: str) -> Exception:
    from intake.errors import InvalidTransition

    return InvalidTransition(case.case_no, case.state, target)


def AttachmentIn_to_row(attachment: AttachmentIn, now: datetime, case_id: int | None = None) -> Attachment:
    row = Attachment(file_id=attachment.file_id, kind=attachment.kind, created_at=now)
    if case_id is not None:
        row.case_id = case_id
    return row


def _agreement_dict(row: Agreement | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {
        "form": row.form,
        "parties": row.parties,
        "facts_and_issues": row.facts_and_issues,
        "terms": row.terms,
        "performance_method": row.performance_method,
        "performance_deadline": row.performance_deadline,
        "signed_on": row.signed_on,
        "judicial_deadline": row.judicial_deadline,
    }
