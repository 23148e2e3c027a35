"""Community consultations (众人的事情由众人商量): staff open a proposal with 2–6 options and a deadline;
residents of the community vote once each (or once per household) and may change their vote until the
deadline; the clock closes it and the frozen tally is announced to the residents and to the staff.

Votes are private: only counts ever leave this module, and counts only once the consultation is closed
(early numbers would sway the vote). A vote row holds the resident so that they can change, export and
delete it; nothing here shows it to anyone else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from intake.admin import CommunityService, ancestors, community_by_code, descendant_ids
from intake.clock import ClockedService
from intake.deadlines import checked_deadline
from intake.errors import AccessDenied, ConsentRequired, IntakeError, InvalidInput, NotFound
from intake.models import (
    Community,
    Consultation,
    ConsultationOption,
    ConsultationVote,
    Resident,
    ResidentHousehold,
    Staff,
)
from intake.outbox import enqueue_many
from intake.settings import IntakeSettings
from intake.views import _Dict

PER_MODES = ("resident", "household")
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_TITLE, MAX_DESCRIPTION, MAX_LABEL, MAX_HOUSE = 200, 1000, 40, 40
# Who may open a consultation: coordinators and administrators of the community or above it.
OPENER_ROLES = ("coordinator", "admin")


# ---------------------------------------------------------------------------------------- errors
class ConsultationClosed(IntakeError):
    code = "consultation_closed"

    def __init__(self, consultation_id: int) -> None:
        super().__init__(
            f"consultation {consultation_id} is no longer open (closed or cancelled)",
            consultation_id=consultation_id,
        )


class NotEligible(IntakeError):
    code = "not_eligible"

    def __init__(self, consultation_id: int) -> None:
        super().__init__(
            f"not a resident of the community of consultation {consultation_id}",
            consultation_id=consultation_id,
        )


class HouseholdRequired(IntakeError):
    """A one-vote-per-household consultation and the resident has not said which household yet."""

    code = "household_required"

    def __init__(self, consultation_id: int) -> None:
        super().__init__("tell us your household first", consultation_id=consultation_id)


class HouseholdAlreadyVoted(IntakeError):
    """Another member of the household has cast the household's vote."""

    code = "household_voted"

    def __init__(self, consultation_id: int) -> None:
        super().__init__("another member of this household has voted", consultation_id=consultation_id)


# ---------------------------------------------------------------------------------------- views
@dataclass(frozen=True)
class OptionView(_Dict):
    id: int
    position: int
    label: str


@dataclass(frozen=True)
class ConsultationView(_Dict):
    id: int
    community: str
    community_name: str
    title: str
    description: str
    per: str
    state: str
    options: list[OptionView]
    closes_at: datetime
    closed_at: datetime | None
    created_at: datetime
    result: dict[str, Any] | None = None


@dataclass(frozen=True)
class BallotView(_Dict):
    """An open consultation as one resident sees it: their own choice, if any."""

    consultation: ConsultationView
    my_option_id: int | None
    household: str | None = None


@dataclass(frozen=True)
class VoteReceipt(_Dict):
    consultation_id: int
    option_id: int
    label: str
    changed: bool  # an earlier vote was changed to this option
    unchanged: bool = False  # the same option pressed again


@dataclass(frozen=True)
class ResultsView(_Dict):
    """Counts per option (``None`` while open), how many voted and how many could have."""

    consultation_id: int
    title: str
    community: str
    per: str
    state: str
    closes_at: datetime
    votes: int
    eligible: int
    turnout: float | None
    counts: list[dict[str, Any]] | None = field(default=None)


def normalise_house(label: str) -> str:
    """``3 组 12 号`` and ``３组１２号`` are the same house: width-folded, spaces removed, upper-cased."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label)).upper()


def _text(value: str, name: str, limit: int, *, required: bool = True, one_line: bool = True) -> str:
    value = " ".join(value.split()) if one_line else value.strip()
    if required and not value:
        raise InvalidInput(name, "must not be empty")
    if len(value) > limit:
        raise InvalidInput(name, f"longer than {limit} characters")
    return value


def checked_title(title: str) -> str:
    return _text(title, "title", MAX_TITLE)


def checked_options(options: list[str]) -> list[str]:
    labels = [_text(o, "option", MAX_LABEL) for o in options if o.strip()]
    if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
        raise InvalidInput("options", f"give {MIN_OPTIONS} to {MAX_OPTIONS} options")
    if len(set(labels)) != len(labels):
        raise InvalidInput("options", "two options are the same")
    return labels


# ---------------------------------------------------------------------------------------- service
class ConsultationService(ClockedService):
    # -- reading ---------------------------------------------------------------------------------
    async def _get(self, consultation_id: int, *, lock: bool = False) -> Consultation:
        query = select(Consultation).where(Consultation.id == consultation_id)
        if lock:  # PostgreSQL: votes and the closing tally of one consultation take turns
            query = query.with_for_update().execution_options(populate_existing=True)
        row = await self.session.scalar(query)
        if row is None:
            raise NotFound("consultation", consultation_id)
        return row

    async def _view(self, row: Consultation) -> ConsultationView:
        community = await self.session.get(Community, row.community_id)
        assert community is not None
        return ConsultationView(
            row.id,
            community.code,
            community.name,
            row.title,
            row.description,
            row.per,
            row.state,
            [OptionView(o.id, o.position, o.label) for o in row.options],
            row.closes_at,
            row.closed_at,
            row.created_at,
            row.result,
        )

    async def get(self, consultation_id: int) -> ConsultationView:
        return await self._view(await self._get(consultation_id))

    async def list_all(
        self, community_code: str | None = None, state: str | None = None, limit: int = 50
    ) -> list[ConsultationView]:
        """Server side (CLI): every consultation, newest first."""
        query = select(Consultation)
        if community_code:
            community = await community_by_code(self.session, community_code)
            query = query.where(
                Consultation.community_id.in_(await descendant_ids(self.session, community.id))
            )
        if state:
            query = query.where(Consultation.state == state)
        rows = await self.session.scalars(query.order_by(Consultation.id.desc()).limit(limit))
        return [await self._view(row) for row in rows.all()]

    async def _resident(self, chat_id: int) -> Resident:
        row = await self.session.scalar(select(Resident).where(Resident.chat_id == chat_id))
        if row is None:
            raise NotFound("resident", chat_id)
        return row

    @staticmethod
    def _home(resident: Resident) -> int | None:
        return resident.grid_id or resident.community_id

    async def _eligible(self, consultation: Consultation, resident: Resident) -> bool:
        area = await descendant_ids(self.session, consultation.community_id)
        return bool({resident.community_id, resident.grid_id} & area) and resident.consent_at is not None

    async def open_for(self, chat_id: int) -> list[BallotView]:
        """The open consultations this resident may vote in, each with their current choice."""
        resident = await self._resident(chat_id)
        homes = {c for c in (resident.community_id, resident.grid_id) if c is not None}
        places: set[int] = set()
        for home in homes:
            community = await self.session.get(Community, home)
            places |= {c.id for c in await ancestors(self.session, community)} if community else set()
        rows = await self.session.scalars(
            select(Consultation)
            .where(
                Consultation.state == "open",
                Consultation.closes_at > self.clock.now(),
                Consultation.community_id.in_(places),
            )
            .order_by(Consultation.closes_at)
        )
        mine = dict(
            (
                await self.session.execute(
                    select(ConsultationVote.consultation_id, ConsultationVote.option_id).where(
                        ConsultationVote.resident_id == resident.id
                    )
                )
            )
            .tuples()
            .all()
        )
        house = await self.household(chat_id)
        return [BallotView(await self._view(row), mine.get(row.id), house) for row in rows.all()]

    # -- staff -----------------------------------------------------------------------------------
    async def opener_community_ids(self, chat_id: int) -> set[int]:
        """Where this person may open a consultation: their communities as coordinator/admin and below."""
        own = await self.session.scalars(
            select(Staff.community_id).where(Staff.chat_id == chat_id, Staff.role.in_(OPENER_ROLES))
        )
        allowed: set[int] = set()
        for community_id in own.all():
            allowed |= await descendant_ids(self.session, community_id)
        return allowed

    async def opener_communities(self, chat_id: int) -> list[tuple[str, str]]:
        """(code, name) of the villages/communities and towns this person may consult, grids left out."""
        ids = await self.opener_community_ids(chat_id)
        rows = await self.session.execute(
            select(Community.code, Community.name)
            .where(Community.id.in_(ids), Community.level != "grid")
            .order_by(Community.code)
        )
        return [(code, name) for code, name in rows.tuples()]

    async def overview_for_staff(self, chat_id: int) -> list[ResultsView]:
        """Open consultations in the communities this person may consult: turnout so far, no counts."""
        area = await self.opener_community_ids(chat_id)
        ids = await self.session.scalars(
            select(Consultation.id)
            .where(Consultation.state == "open", Consultation.community_id.in_(area))
            .order_by(Consultation.closes_at)
        )
        return [await self.results(consultation_id) for consultation_id in ids.all()]

    async def create(
        self,
        community_code: str,
        title: str,
        options: list[str],
        closes_at: datetime,
        *,
        per: str = "resident",
        description: str = "",
        staff_chat_id: int | None = None,
    ) -> ConsultationView:
        """Open a consultation and notify every resident of the community (``staff_chat_id=None``: the
        server's command line, trusted)."""
        community = await community_by_code(self.session, community_code)
        if staff_chat_id is not None and community.id not in await self.opener_community_ids(staff_chat_id):
            raise AccessDenied("open a consultation in this community")
        if per not in PER_MODES:
            raise InvalidInput("per", f"must be one of {', '.join(PER_MODES)}")
        now = self.clock.now()
        row = Consultation(
            community_id=community.id,
            title=checked_title(title),
            description=_text(description, "description", MAX_DESCRIPTION, required=False, one_line=False),
            per=per,
            state="open",
            opened_by=f"staff:{staff_chat_id}" if staff_chat_id is not None else "admin",
            closes_at=checked_deadline(closes_at, now),
            created_at=now,
            options=[
                ConsultationOption(position=i, label=label)
                for i, label in enumerate(checked_options(options), start=1)
            ],
        )
        self.session.add(row)
        await self.session.flush()
        await self._tell(
            await self._voters(row), "consultation_opened", row.id, await self._ballot_payload(row)
        )
        return await self._view(row)

    async def _ballot_payload(self, row: Consultation) -> dict[str, Any]:
        """What a ballot message needs: the question, the deadline in local time and the options."""
        community = await self.session.get(Community, row.community_id)
        return {
            "consultation_id": row.id,
            "title": row.title,
            "description": row.description,
            "community": community.name if community else "",
            "per": row.per,
            "closes_at": row.closes_at,
            "closes_local": self.local_time(row.closes_at),
            "options": [{"id": o.id, "label": o.label} for o in row.options],
        }

    async def cancel(self, consultation_id: int, staff_chat_id: int | None = None) -> ConsultationView:
        """Withdraw an open consultation (a mistake, a matter settled otherwise): its votes are deleted,
        nothing is tallied, the residents are told."""
        row = await self._get(consultation_id, lock=True)
        if staff_chat_id is not None and row.community_id not in await self.opener_community_ids(
            staff_chat_id
        ):
            raise AccessDenied("cancel this consultation")
        if row.state != "open":
            raise ConsultationClosed(consultation_id)
        row.state, row.closed_at = "cancelled", self.clock.now()
        await self.session.execute(delete(ConsultationVote).where(ConsultationVote.consultation_id == row.id))
        await self.session.flush()
        payload = await self._ballot_payload(row)
        await self._tell(await self._voters(row), "consultation_cancelled", row.id, payload)
        return await self._view(row)

    def local_time(self, moment: datetime) -> str:
        """A deadline as residents read it: the community's local time, to the minute."""
        return f"{moment.astimezone(ZoneInfo(self.settings.timezone)):%Y-%m-%d %H:%M}"

    async def _voters(
        self, consultation: Consultation, *, only_not_voted: bool = False
    ) -> list[tuple[int, str]]:
        """(chat id, language) of every consented resident of the consultation's community and below;
        ``only_not_voted``: those without a vote of their own or of their household."""
        area = await descendant_ids(self.session, consultation.community_id)
        query = select(Resident.chat_id, Resident.language).where(
            Resident.consent_at.is_not(None),
            Resident.community_id.in_(area) | Resident.grid_id.in_(area),
        )
        if only_not_voted:
            votes = select(ConsultationVote.resident_id).where(
                ConsultationVote.consultation_id == consultation.id
            )
            query = query.where(Resident.id.not_in(votes))
            if consultation.per == "household":
                keys = select(ConsultationVote.voter_key).where(
                    ConsultationVote.consultation_id == consultation.id
                )
                query = query.outerjoin(
                    ResidentHousehold, ResidentHousehold.resident_id == Resident.id
                ).where(
                    ResidentHousehold.household_key.is_(None) | ResidentHousehold.household_key.not_in(keys)
                )
        rows = await self.session.execute(query.order_by(Resident.id))
        return [(chat, lang) for chat, lang in rows.tuples()]

    async def _staff_to_tell(self, consultation: Consultation) -> list[int]:
        """Whoever opened it, and the coordinators/admins of its community (else the nearest above)."""
        chats: list[int] = []
        if consultation.opened_by.startswith("staff:"):
            chats.append(int(consultation.opened_by.split(":", 1)[1]))
        community = await self.session.get(Community, consultation.community_id)
        for place in await ancestors(self.session, community) if community else []:
            found = await self.session.scalars(
                select(Staff.chat_id).where(Staff.community_id == place.id, Staff.role.in_(OPENER_ROLES))
            )
            rows = found.all()
            if rows:
                chats.extend(rows)
                break
        return list(dict.fromkeys(chats))

    async def _tell(
        self, recipients: list[tuple[int, str]], kind: str, consultation_id: int, payload: dict[str, Any]
    ) -> None:
        await enqueue_many(
            self.session,
            [
                {
                    "recipient_chat_id": chat,
                    "kind": kind,
                    "payload": {**payload, "lang": lang},
                    "dedup_key": f"{kind}:{consultation_id}:{chat}",
                }
                for chat, lang in recipients
            ],
            self.clock.now(),
        )

    # -- voting ----------------------------------------------------------------------------------
    async def vote(self, consultation_id: int, chat_id: int, option_id: int) -> VoteReceipt:
        """Cast or change this resident's vote. Refused (nothing changes) when the consultation is
        closed or past its deadline, the option is not one of its options, the resident is not of its
        community, or another member of their household has voted."""
        consultation = await self._get(consultation_id, lock=True)
        if consultation.state != "open" or self.clock.now() >= consultation.closes_at:
            raise ConsultationClosed(consultation_id)
        option = next((o for o in consultation.options if o.id == option_id), None)
        if option is None:
            raise InvalidInput("option", "not an option of this consultation")
        resident = await self._resident(chat_id)
        if resident.consent_at is None:
            raise ConsentRequired(chat_id)
        if not await self._eligible(consultation, resident):
            raise NotEligible(consultation_id)
        mine = await self.session.scalar(
            select(ConsultationVote).where(
                ConsultationVote.consultation_id == consultation.id,
                ConsultationVote.resident_id == resident.id,
            )
        )
        if mine is not None:
            if mine.option_id == option.id:
                return VoteReceipt(consultation.id, option.id, option.label, changed=False, unchanged=True)
            mine.option_id, mine.changed_at = option.id, self.clock.now()
            await self.session.flush()
            return VoteReceipt(consultation.id, option.id, option.label, changed=True)
        voter_key = await self._voter_key(consultation, resident)
        taken = await self.session.scalar(
            select(ConsultationVote.id).where(
                ConsultationVote.consultation_id == consultation.id, ConsultationVote.voter_key == voter_key
            )
        )
        if taken is not None:
            raise HouseholdAlreadyVoted(consultation.id)
        try:
            async with self.session.begin_nested():
                self.session.add(
                    ConsultationVote(
                        consultation_id=consultation.id,
                        option_id=option.id,
                        resident_id=resident.id,
                        voter_key=voter_key,
                        cast_at=self.clock.now(),
                        changed_at=self.clock.now(),
                    )
                )
        except IntegrityError as error:  # a racing vote of the same household: the constraint decides
            raise HouseholdAlreadyVoted(consultation.id) from error
        return VoteReceipt(consultation.id, option.id, option.label, changed=False)

    async def _voter_key(self, consultation: Consultation, resident: Resident) -> str:
        if consultation.per == "resident":
            return f"r:{resident.id}"
        house = await self.session.get(ResidentHousehold, resident.id)
        if house is None:
            raise HouseholdRequired(consultation.id)
        return house.household_key

    # -- households ------------------------------------------------------------------------------
    async def set_household(self, chat_id: int, label: str) -> str:
        """Record the resident's household: their grid (else village) plus the house number they type."""
        resident = await self._resident(chat_id)
        home = self._home(resident)
        if home is None:
            raise InvalidInput("community", "choose your village or community first (/start)")
        house = _text(label, "household", MAX_HOUSE)
        key = f"h:{home}:{normalise_house(house)}"
        row = await self.session.get(ResidentHousehold, resident.id)
        if row is None:
            row = ResidentHousehold(resident_id=resident.id)
            self.session.add(row)
        row.community_id, row.label, row.household_key = home, house, key
        row.updated_at = self.clock.now()
        await self.session.flush()
        return house

    async def household(self, chat_id: int) -> str | None:
        resident = await self._resident(chat_id)
        row = await self.session.get(ResidentHousehold, resident.id)
        return row.label if row else None

    # -- results ---------------------------------------------------------------------------------
    async def _tally(self, consultation: Consultation) -> dict[str, Any]:
        rows = await self.session.execute(
            select(ConsultationVote.option_id, func.count())
            .where(ConsultationVote.consultation_id == consultation.id)
            .group_by(ConsultationVote.option_id)
        )
        by_option = {option_id: int(n) for option_id, n in rows.tuples()}
        votes = sum(by_option.values())
        eligible = max(await self._eligible_count(consultation), votes)
        return {
            "counts": [
                {"option_id": o.id, "label": o.label, "votes": by_option.get(o.id, 0)}
                for o in consultation.options
            ],
            "votes": votes,
            "eligible": eligible,
            "turnout": round(votes / eligible, 3) if eligible else None,
        }

    async def _eligible_count(self, consultation: Consultation) -> int:
        """Residents who may vote; for a household vote, the households those residents have named."""
        area = await descendant_ids(self.session, consultation.community_id)
        residents = (Resident.consent_at.is_not(None)) & (
            Resident.community_id.in_(area) | Resident.grid_id.in_(area)
        )
        if consultation.per == "resident":
            query = select(func.count()).select_from(Resident).where(residents)
        else:
            query = (
                select(func.count(func.distinct(ResidentHousehold.household_key)))
                .join(Resident, Resident.id == ResidentHousehold.resident_id)
                .where(residents)
            )
        return int(await self.session.scalar(query) or 0)

    async def results(self, consultation_id: int, viewer_chat_id: int | None = None) -> ResultsView:
        """Counts once closed (``counts`` is ``None`` while open); who voted what is never part of it.
        Viewers: staff of the community or above, and its residents; ``None`` is the server's CLI."""
        row = await self._get(consultation_id)
        if viewer_chat_id is not None and not await self._may_see(row, viewer_chat_id):
            raise AccessDenied("see this consultation")
        community = await self.session.get(Community, row.community_id)
        tally = row.result if row.state == "closed" and row.result else await self._tally(row)
        return ResultsView(
            row.id,
            row.title,
            community.code if community else "",
            row.per,
            row.state,
            row.closes_at,
            int(tally["votes"]),
            int(tally["eligible"]),
            tally["turnout"],
            list(tally["counts"]) if row.state == "closed" else None,
        )

    async def _may_see(self, row: Consultation, chat_id: int) -> bool:
        if row.community_id in await CommunityService(self.session).staff_community_ids(chat_id):
            return True
        resident = await self.session.scalar(select(Resident).where(Resident.chat_id == chat_id))
        return resident is not None and await self._eligible(row, resident)

    # -- closing ---------------------------------------------------------------------------------
    async def remind_due(self) -> int:
        """Once per consultation, ``consultation_reminder_hours`` before it closes, remind those who have
        not voted (a consultation shorter than twice that window gets no reminder). Idempotent."""
        window = timedelta(hours=self.settings.consultation_reminder_hours)
        now = self.clock.now()
        if not window:
            return 0
        due = await self.session.scalars(
            select(Consultation.id).where(
                Consultation.state == "open",
                Consultation.reminded_at.is_(None),
                Consultation.closes_at > now,
                Consultation.closes_at <= now + window,
            )
        )
        reminded = 0
        for consultation_id in due.all():
            row = await self._get(consultation_id, lock=True)
            if row.state != "open" or row.reminded_at is not None:
                continue
            row.reminded_at = now
            if row.closes_at - row.created_at > 2 * window:
                payload = await self._ballot_payload(row)
                await self._tell(
                    await self._voters(row, only_not_voted=True), "consultation_reminder", row.id, payload
                )
                reminded += 1
        await self.session.flush()
        return reminded

    async def close_due(self) -> int:
        """Close every consultation whose deadline has passed and announce its result. Idempotent."""
        due = await self.session.scalars(
            select(Consultation.id)
            .where(Consultation.state == "open", Consultation.closes_at <= self.clock.now())
            .order_by(Consultation.id)
        )
        closed = 0
        for consultation_id in due.all():
            row = await self._get(consultation_id, lock=True)
            if row.state == "open" and row.closes_at <= self.clock.now():
                await self._close(row)
                closed += 1
        return closed

    async def _close(self, row: Consultation) -> None:
        row.result = await self._tally(row)
        row.state, row.closed_at = "closed", self.clock.now()
        await self.session.flush()
        community = await self.session.get(Community, row.community_id)
        payload = {
            "consultation_id": row.id,
            "title": row.title,
            "community": community.name if community else "",
            "per": row.per,
            **row.result,
        }
        voters = await self._voters(row)
        languages: dict[int, str] = dict(voters)
        staff = [(chat, languages.get(chat, "zh")) for chat in await self._staff_to_tell(row)]
        await self._tell(voters, "consultation_closed", row.id, payload)
        await self._tell(staff, "consultation_results", row.id, payload)

    # -- the resident's data ---------------------------------------------------------------------
    async def export_for(self, resident_id: int) -> dict[str, Any]:
        votes = await self.session.execute(
            select(Consultation, ConsultationVote)
            .join(Consultation, Consultation.id == ConsultationVote.consultation_id)
            .where(ConsultationVote.resident_id == resident_id)
            .order_by(ConsultationVote.id)
        )
        house = await self.session.get(ResidentHousehold, resident_id)
        return {
            "household": house.label if house else None,
            "votes": [
                {
                    "consultation": consultation.title,
                    "choice": next((o.label for o in consultation.options if o.id == vote.option_id), ""),
                    "cast_at": vote.cast_at,
                    "changed_at": vote.changed_at,
                    "consultation_state": consultation.state,
                }
                for consultation, vote in votes.tuples()
            ],
        }

    async def delete_for(self, resident_id: int) -> int:
        """Remove the resident's votes and household. A closed consultation keeps its announced tally;
        an open one simply no longer counts the vote."""
        result = await self.session.execute(
            delete(ConsultationVote).where(ConsultationVote.resident_id == resident_id)
        )
        await self.session.execute(
            delete(ResidentHousehold).where(ResidentHousehold.resident_id == resident_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class _At:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


async def run_clock(session: AsyncSession, settings: IntakeSettings, now: datetime) -> tuple[int, int]:
    """The clock's entry point (``intake.scheduler.tick``): (reminded, closed) consultations."""
    service = ConsultationService(session, settings, _At(now))
    return await service.remind_due(), await service.close_due()
