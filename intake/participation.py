"""Participation: suggestions with a public reply, and hazard reports routed to the grid worker and
tracked open → in_progress → fixed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from intake.admin import CommunityService, code_of, community_by_code
from intake.clock import ClockedService
from intake.errors import AccessDenied, InvalidInput, NotFound
from intake.models import Community, HazardReport, Resident, Staff, Suggestion
from intake.outbox import enqueue
from intake.views import ReportView, SuggestionView

REPORT_MOVES = {"open": ("in_progress", "fixed"), "in_progress": ("fixed",), "fixed": ()}
MAX_TEXT = 2000


class ParticipationService(ClockedService):

    async def _resident(self, chat_id: int) -> Resident:
        row = await self.session.scalar(select(Resident).where(Resident.chat_id == chat_id))
        if row is None:
            raise NotFound("resident", chat_id)
        return row

    async def _community(self, resident: Resident, code: str | None) -> Community:
        if code:
            return await community_by_code(self.session, code)
        community_id = resident.grid_id or resident.community_id
        community = await self.session.get(Community, community_id) if community_id else None
        if community is None:
            raise InvalidInput("community", "tell us which village or community this is about")
        return community

    async def _coordinators(self, community: Community) -> list[int]:
        current: Community | None = community
        while current is not None:
            chats = list(
                await self.session.scalars(
                    select(Staff.chat_id).where(Staff.community_id == current.id, Staff.role == "coordinator")
                )
            )
            if chats:
                return chats
            current = await self.session.get(Community, current.parent_id) if current.parent_id else None
        return list(self.settings.duty_staff_chat_ids)

    async def _notify(self, chat_id: int, kind: str, key: str, **payload: object) -> None:
        await enqueue(
            self.session,
            recipient_chat_id=chat_id,
            kind=kind,
            payload=dict(payload),
            dedup_key=f"{kind}:{key}:{chat_id}",
            now=self.clock.now(),
        )

    @staticmethod
    def _text(text: str) -> str:
        text = text.strip()
        if not text:
            raise InvalidInput("text", "must not be empty")
        if len(text) > MAX_TEXT:
            raise InvalidInput("text", f"longer than {MAX_TEXT} characters")
        return text

    async def _suggestion_view(self, row: Suggestion) -> SuggestionView:
        return SuggestionView(
            row.id,
            await code_of(self.session, row.community_id) or "",
            row.text,
            row.state,
            row.public_reply,
            row.created_at,
        )

    async def _report_view(self, row: HazardReport) -> ReportView:
        return ReportView(
            row.id,
            await code_of(self.session, row.community_id) or "",
            await code_of(self.session, row.grid_id),
            row.text,
            list(row.photo_file_ids or []),
            row.latitude,
            row.longitude,
            row.location_text,
            row.routed_to_chat_id,
            row.state,
            row.public_reply,
            row.created_at,
        )

    async def _require_staff(self, chat_id: int, community_id: int, what: str) -> None:
        if community_id not in await CommunityService(self.session).staff_community_ids(chat_id):
            raise AccessDenied(what)

    # -- suggestions -----------------------------------------------------------------------------

    async def submit_suggestion(
        self, chat_id: int, text: str, community_code: str | None = None
    ) -> SuggestionView:
        resident = await self._resident(chat_id)
        community = await self._community(resident, community_code)
        row = Suggestion(
            resident_id=resident.id,
            community_id=community.id,
            text=self._text(text),
            state="open",
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        for staff in await self._coordinators(community):
            await self._notify(
                staff,
                "suggestion_new",
                str(row.id),
                suggestion_id=row.id,
                text=row.text,
                community=community.name,
            )
        return await self._suggestion_view(row)

    async def reply_suggestion(
        self, suggestion_id: int, staff_chat_id: int, public_reply: str
    ) -> SuggestionView:
        row = await self.session.get(Suggestion, suggestion_id)
        if row is None:
            raise NotFound("suggestion", suggestion_id)
        await self._require_staff(staff_chat_id, row.community_id, "reply to this suggestion")
        row.public_reply, row.state = self._text(public_reply), "answered"
        row.replied_by, row.replied_at = f"staff:{staff_chat_id}", self.clock.now()
        resident = await self.session.get(Resident, row.resident_id) if row.resident_id else None
        if resident is not None:
            await self._notify(
                resident.chat_id,
                "suggestion_replied",
                f"{row.id}:{row.replied_at.isoformat()}",
                suggestion_id=row.id,
                public_reply=row.public_reply,
            )
        await self.session.flush()
        return await self._suggestion_view(row)

    async def list_suggestions(
        self, community_code: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[SuggestionView]:
        query = select(Suggestion)
        if community_code:
            query = query.where(
                Suggestion.community_id == (await community_by_code(self.session, community_code)).id
            )
        if state:
            query = query.where(Suggestion.state == state)
        rows = await self.session.scalars(query.order_by(Suggestion.id.desc()).limit(limit))
        return [await self._suggestion_view(r) for r in rows.all()]

    # -- hazard reports --------------------------------------------------------------------------

    async def submit_report(
        self,
        chat_id: int,
        text: str,
        *,
        photo_file_ids: Iterable[str] = (),
        latitude: float | None = None,
        longitude: float | None = None,
        location_text: str = "",
        community_code: str | None = None,
        grid_code: str | None = None,
    ) -> ReportView:
        resident = await self._resident(chat_id)
        place = await self._community(resident, grid_code or community_code)
        grid = place if place.level == "grid" else None
        community = (
            (await self.session.get(Community, place.parent_id)) if grid and place.parent_id else place
        )
        if (latitude is not None and not -90 <= latitude <= 90) or (
            longitude is not None and not -180 <= longitude <= 180
        ):
            raise InvalidInput("location", "latitude/longitude out of range")
        worker = grid.grid_worker_chat_id if grid else None
        targets = [worker] if worker else await self._coordinators(community or place)
        row = HazardReport(
            resident_id=resident.id,
            community_id=(community or place).id,
            grid_id=grid.id if grid else None,
            text=self._text(text),
            photo_file_ids=list(photo_file_ids),
            latitude=latitude,
            longitude=longitude,
            location_text=location_text.strip()[:200],
            routed_to_chat_id=targets[0] if targets else None,
            state="open",
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        for target in targets:
            await self._notify(
                target,
                "report_new",
                str(row.id),
                report_id=row.id,
                text=row.text,
                location_text=row.location_text,
                latitude=latitude,
                longitude=longitude,
                photo_file_ids=row.photo_file_ids,
            )
        return await self._report_view(row)

    async def update_report(
        self, report_id: int, staff_chat_id: int, state: str, public_reply: str = ""
    ) -> ReportView:
        row = await self.session.get(HazardReport, report_id)
        if row is None:
            raise NotFound("report", report_id)
        grid = await self.session.get(Community, row.grid_id) if row.grid_id else None
        if not (grid is not None and grid.grid_worker_chat_id == staff_chat_id):
            await self._require_staff(staff_chat_id, row.community_id, "update this report")
        if state not in REPORT_MOVES.get(row.state, ()):
            raise InvalidInput("state", f"report {report_id} is '{row.state}' and cannot become '{state}'")
        row.state, row.updated_at = state, self.clock.now()
        if public_reply.strip():
            row.public_reply = public_reply.strip()[:MAX_TEXT]
        resident = await self.session.get(Resident, row.resident_id) if row.resident_id else None
        if resident is not None:
            await self._notify(
                resident.chat_id,
                "report_updated",
                f"{row.id}:{state}",
                report_id=row.id,
                state=state,
                public_reply=row.public_reply,
            )
        await self.session.flush()
        return await self._report_view(row)

    async def list_reports(
        self, community_code: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[ReportView]:
        query = select(HazardReport)
        if community_code:
            community = await community_by_code(self.session, community_code)
            query = query.where(
                (HazardReport.community_id == community.id) | (HazardReport.grid_id == community.id)
            )
        if state:
            query = query.where(HazardReport.state == state)
        rows = await self.session.scalars(query.order_by(HazardReport.id.desc()).limit(limit))
        return [await self._report_view(r) for r in rows.all()]

    # -- what a staff member has to deal with ----------------------------------------------------

    async def _staff_scope(self, staff_chat_id: int) -> set[int]:
        scope = await CommunityService(self.session).staff_community_ids(staff_chat_id)
        if not scope:
            raise AccessDenied("see the suggestions and reports of a community")
        return scope

    async def suggestions_for_staff(
        self, staff_chat_id: int, limit: int = 20, after: int = 0
    ) -> list[SuggestionView]:
        """Open suggestions in the communities this staff member works for (and below), oldest first;
        ``after`` an id: the next page (a page stays right while earlier items are being answered)."""
        scope = await self._staff_scope(staff_chat_id)
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.community_id.in_(scope), Suggestion.state == "open", Suggestion.id > after)
            .order_by(Suggestion.id)
            .limit(limit)
        )
        return [await self._suggestion_view(r) for r in rows.all()]

    async def reports_for_staff(
        self, staff_chat_id: int, limit: int = 20, after: int = 0
    ) -> list[ReportView]:
        """Hazard reports not yet fixed in this staff member's communities (and below), oldest first;
        ``after`` an id: the next page."""
        scope = await self._staff_scope(staff_chat_id)
        rows = await self.session.scalars(
            select(HazardReport)
            .where(
                HazardReport.community_id.in_(scope), HazardReport.state != "fixed", HazardReport.id > after
            )
            .order_by(HazardReport.id)
            .limit(limit)
        )
        return [await self._report_view(r) for r in rows.all()]

    async def my_items(self, chat_id: int) -> dict[str, list[SuggestionView] | list[ReportView]]:
        resident = await self._resident(chat_id)
        suggestions = await self.session.scalars(
            select(Suggestion).where(Suggestion.resident_id == resident.id)
        )
        reports = await self.session.scalars(
            select(HazardReport).where(HazardReport.resident_id == resident.id)
        )
        return {
            "suggestions": [await self._suggestion_view(s) for s in suggestions.all()],
            "reports": [await self._report_view(r) for r in reports.all()],
        }
