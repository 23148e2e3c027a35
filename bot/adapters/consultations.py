"""The bot's consultation port (众人商量) on ``intake.consultations.ConsultationService``."""

from __future__ import annotations

from typing import Any

from bot import services as port
from bot.services import ServiceError
from intake.consultations import (
    BallotView,
    ConsultationView,
    checked_options,
    checked_title,
)
from intake.deadlines import parse_deadline
from intake.errors import IntakeError
from intake.services import Services as IntakeServices
from prompts import catalog

# Refusals worded for this feature; any other error gets the case service's generic wording.
_INPUT_FIELDS = ("option", "options", "title", "deadline", "household", "per", "community")


def _refusal(error: IntakeError) -> ServiceError:
    code = getattr(error, "code", "invalid_input")
    params: dict[str, Any] = getattr(error, "params", {})
    key = f"consultation.errors.{code}"
    if code == "invalid_input" and params.get("field") in _INPUT_FIELDS:
        key = f"consultation.errors.bad_{params['field']}"
    if catalog().has(key):
        return ServiceError(key)
    from bot.adapters.intake_backend import _error

    return _error(error)


def _ballot(view: ConsultationView, local: str, mine: int | None = None) -> port.Ballot:
    return port.Ballot(
        id=view.id,
        title=view.title,
        description=view.description,
        community_name=view.community_name,
        per=view.per,
        state=view.state,
        closes_local=local,
        options=tuple(port.ConsultOption(o.id, o.label) for o in view.options),
        my_option_id=mine,
    )


class Consultations:
    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc
        self.service = svc.consultations

    async def _call(self, coroutine: Any) -> Any:
        try:
            return await coroutine
        except IntakeError as error:
            raise _refusal(error) from error

    def _from_ballot(self, ballot: BallotView) -> port.Ballot:
        view = ballot.consultation
        return _ballot(view, self.service.local_time(view.closes_at), ballot.my_option_id)

    async def open_for(self, chat_id: int) -> list[port.Ballot]:
        if await self.svc.residents.get(chat_id) is None:
            return []
        return [self._from_ballot(b) for b in await self._call(self.service.open_for(chat_id))]

    async def vote(self, consultation_id: int, chat_id: int, option_id: int) -> port.VoteResult:
        if await self.svc.residents.get(chat_id) is None:
            raise ServiceError("bot.errors.not_registered")
        receipt = await self._call(self.service.vote(consultation_id, chat_id, option_id))
        return port.VoteResult(receipt.label, receipt.changed, receipt.unchanged)

    async def set_household(self, chat_id: int, label: str) -> str:
        return str(await self._call(self.service.set_household(chat_id, label)))

    async def opener_communities(self, chat_id: int) -> list[tuple[str, str]]:
        return list(await self.service.opener_communities(chat_id))

    async def turnout_for_staff(self, chat_id: int) -> list[port.Turnout]:
        return [
            port.Turnout(
                r.consultation_id, r.title, r.votes, r.eligible, self.service.local_time(r.closes_at)
            )
            for r in await self.service.overview_for_staff(chat_id)
        ]

    async def cancel(self, consultation_id: int, chat_id: int) -> str:
        view = await self._call(self.service.cancel(consultation_id, chat_id))
        return str(view.title)

    @staticmethod
    def _checked(check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except IntakeError as error:
            raise _refusal(error) from error

    def _deadline(self, text: str) -> Any:
        return self._checked(parse_deadline, text, self.svc.clock.now(), self.svc.settings.timezone)

    async def check_title(self, text: str) -> str:
        return str(self._checked(checked_title, text))

    async def check_options(self, lines: list[str]) -> list[str]:
        return list(self._checked(checked_options, lines))

    async def check_deadline(self, text: str) -> str:
        return self.service.local_time(self._deadline(text))

    async def create(
        self, chat_id: int, community: str, title: str, options: list[str], deadline: str, per: str
    ) -> port.Ballot:
        closes_at = self._deadline(deadline)
        view = await self._call(
            self.service.create(community, title, options, closes_at, per=per, staff_chat_id=chat_id)
        )
        return _ballot(view, self.service.local_time(view.closes_at))
