"""Residents: registration and consent, and their rights over their data (export, deletion)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import aliased

from intake import lifecycle as lc
from intake.admin import code_of, community_by_code
from intake.chat_states import ChatStateRepository
from intake.clock import ClockedService
from intake.consultations import ConsultationService
from intake.errors import InvalidInput, NotFound
from intake.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseParty,
    Community,
    Feedback,
    HazardReport,
    Notification,
    Recusal,
    Resident,
    Suggestion,
)
from intake.outbox import jsonable
from intake.routing import Router
from intake.views import ResidentView

LANGUAGES = ("zh", "en")


def _resident_view_statement() -> Any:
    """The bot reads the resident of nearly every update: one statement, built once (building a
    select with two aliased joins cost more CPU than running it), columns only (no ORM identity map)."""
    community, grid = aliased(Community), aliased(Community)
    return (
        select(
            Resident.chat_id,
            Resident.display_name,
            Resident.phone,
            community.code,
            grid.code,
            Resident.language,
            Resident.consent_at,
            Resident.consent_version,
        )
        .outerjoin(community, community.id == Resident.community_id)
        .outerjoin(grid, grid.id == Resident.grid_id)
        .where(Resident.chat_id == bindparam("chat_id"))
    )


_RESIDENT_VIEW = _resident_view_statement()


@dataclass(frozen=True)
class DeletionReport:
    cases_anonymised: int
    cases_withdrawn: int
    suggestions: int
    reports: int
    chat_states: int


class ResidentService(ClockedService):
    async def _row(self, chat_id: int) -> Resident | None:
        return await self.session.scalar(select(Resident).where(Resident.chat_id == chat_id))

    async def _view(self, row: Resident) -> ResidentView:
        return ResidentView(
            row.chat_id,
            row.display_name,
            row.phone,
            await code_of(self.session, row.community_id),
            await code_of(self.session, row.grid_id),
            row.language,
            row.consent_at,
            row.consent_version,
        )

    async def register(
        self,
        chat_id: int,
        display_name: str,
        *,
        language: str = "zh",
        community_code: str | None = None,
        grid_code: str | None = None,
        phone: str | None = None,
    ) -> ResidentView:
        if language not in LANGUAGES:
            raise InvalidInput("language", f"must be one of {', '.join(LANGUAGES)}")
        row = await self._row(chat_id)
        if row is None:
            row = Resident(chat_id=chat_id, created_at=self.clock.now())
            self.session.add(row)
        row.display_name = display_name.strip()[:100]
        row.language = language
        if phone is not None:
            row.phone = phone.strip() or None
        if community_code:
            row.community_id = (await community_by_code(self.session, community_code)).id
        if grid_code:
            row.grid_id = (await community_by_code(self.session, grid_code)).id
        await self.session.flush()
        return await self._view(row)

    async def give_consent(self, chat_id: int, version: str) -> ResidentView:
        row = await self._row(chat_id)
        if row is None:
            raise NotFound("resident", chat_id)
        row.consent_at, row.consent_version = self.clock.now(), version
        await self.session.flush()
        return await self._view(row)

    async def has_consent(self, chat_id: int) -> bool:
        row = await self._row(chat_id)
        return row is not None and row.consent_at is not None

    async def get(self, chat_id: int) -> ResidentView | None:
        found = (await self.session.execute(_RESIDENT_VIEW, {"chat_id": chat_id})).first()
        return None if found is None else ResidentView(*found)

    async def export_data(self, chat_id: int) -> dict[str, Any]:
        """Everything heshi holds about this resident, as JSON-ready data (个人信息保护法 access right)."""
        from intake.cases import CaseService

        row = await self._row(chat_id)
        if row is None:
            raise NotFound("resident", chat_id)
        case_nos = await self.session.scalars(
            select(Case.case_no).where(Case.complainant_id == row.id).order_by(Case.id)
        )
        cases = CaseService(self.session, self.settings, self.clock)
        suggestions = await self.session.scalars(select(Suggestion).where(Suggestion.resident_id == row.id))
        reports = await self.session.scalars(select(HazardReport).where(HazardReport.resident_id == row.id))
        feedback = await self.session.execute(
            select(Case.case_no, Feedback.score, Feedback.comment)
            .join(Case, Case.id == Feedback.case_id)
            .where(Case.complainant_id == row.id)
        )
        chat_states = ChatStateRepository(self.session)
        consultations = ConsultationService(self.session, self.settings, self.clock)
        data = {
            "profile": (await self._view(row)).to_dict(),
            "cases": [(await cases.show(no, chat_id)).to_dict() for no in case_nos.all()],
            "suggestions": [
                {"text": s.text, "state": s.state, "public_reply": s.public_reply, "created_at": s.created_at}
                for s in suggestions
            ],
            "reports": [
                {
                    "text": r.text,
                    "state": r.state,
                    "location_text": r.location_text,
                    "latitude": r.latitude,
                    "longitude": r.longitude,
                    "photo_file_ids": r.photo_file_ids,
                    "public_reply": r.public_reply,
                    "created_at": r.created_at,
                }
                for r in reports
            ],
            "feedback": [
                {"case_no": no, "score": score, "comment": comment} for no, score, comment in feedback
            ],
            "consultations": await consultations.export_for(row.id),
            "chat_states": [
                {"key": key, "state": rec.state, "data": rec.data}
                for key in await chat_states.keys_for_chat(chat_id)
                if (rec := await chat_states.get(key)) is not None
            ],
        }
        exported: dict[str, Any] = jsonable(data)
        return exported

    async def delete_data(self, chat_id: int) -> DeletionReport:
        """Delete the resident; their cases keep an anonymised record (category, place, dates, states)."""
        row = await self._row(chat_id)
        if row is None:
            raise NotFound("resident", chat_id)
        router = Router(self.session, self.settings, self.clock.now())
        cases = list(
            await self.session.scalars(select(Case).where(Case.complainant_id == row.id).with_for_update())
        )
        withdrawn = 0
        for case in cases:
            if lc.can_move(case.state, lc.WITHDRAWN):
                await router.move(case, lc.WITHDRAWN, "system", "withdrawn", "complainant deleted their data")
                if case.resolved_at is None:
                    case.resolved_at, case.resolution_days, case.resolved_on_time = router.now, None, None
                await router.withdraw_offers(case, "withdrawn")
                withdrawn += 1
            case.description, case.desired_outcome, case.address, case.complainant_id = "", "", "", None
        case_ids = [c.id for c in cases]
        if case_ids:
            await self.session.execute(delete(CaseParty).where(CaseParty.case_id.in_(case_ids)))
            await self.session.execute(delete(Attachment).where(Attachment.case_id.in_(case_ids)))
            await self.session.execute(
                update(CaseEvent).where(CaseEvent.case_id.in_(case_ids)).values(note="")
            )
            await self.session.execute(
                update(CaseEvent).where(CaseEvent.actor == f"resident:{chat_id}").values(actor="resident")
            )
            await self.session.execute(
                update(Recusal)
                .where(Recusal.requested_by == f"resident:{chat_id}")
                .values(requested_by="resident")
            )
            await self.session.execute(
                update(Feedback).where(Feedback.case_id.in_(case_ids)).values(comment="")
            )
        suggestions = await self.session.execute(
            update(Suggestion).where(Suggestion.resident_id == row.id).values(resident_id=None, text="")
        )
        reports = await self.session.execute(
            update(HazardReport)
            .where(HazardReport.resident_id == row.id)
            .values(resident_id=None, photo_file_ids=[], latitude=None, longitude=None)
        )
        await ConsultationService(self.session, self.settings, self.clock).delete_for(row.id)
        await self.session.execute(delete(Notification).where(Notification.recipient_chat_id == chat_id))
        states = await ChatStateRepository(self.session).delete_for_chat(chat_id)
        await self.session.delete(row)
        await self.session.flush()
        return DeletionReport(
            len(cases),
            withdrawn,
            int(getattr(suggestions, "rowcount", 0) or 0),
            int(getattr(reports, "rowcount", 0) or 0),
            states,
        )
