"""One object holding every service bound to one session (one unit of work)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from intake.admin import CommunityService, MediatorService
from intake.cases import CaseService
from intake.chat_states import ChatStateRepository
from intake.clock import Clock, ClockedService
from intake.consultations import ConsultationService
from intake.invites import InviteService
from intake.participation import ParticipationService
from intake.residents import ResidentService
from intake.scheduler import TickReport, tick
from intake.settings import IntakeSettings
from intake.stats import StatsService
from intake.team import TeamThreads


class Services(ClockedService):
    def __init__(
        self, session: AsyncSession, settings: IntakeSettings | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__(session, settings, clock)
        self.residents = ResidentService(session, self.settings, self.clock)
        self.communities = CommunityService(session)
        self.mediators = MediatorService(session)
        self.invites = InviteService(session, self.settings, self.clock)
        self.cases = CaseService(session, self.settings, self.clock)
        self.participation = ParticipationService(session, self.settings, self.clock)
        self.consultations = ConsultationService(session, self.settings, self.clock)
        self.stats = StatsService(session)
        self.chat_states = ChatStateRepository(session)
        self.team_threads = TeamThreads(session)

    async def tick(self) -> TickReport:
        return await tick(self.session, self.settings, self.clock.now())
