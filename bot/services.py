"""The one seam between the bot's handlers and the services they use.

Handlers speak only to the ports below (plain dataclasses, no database or Telegram types). A
``Backend`` binds them to real services: the case service in ``intake/`` and the assistant in
``knowledge/``. Integration with those services happens in this module and in the adapter that
implements ``Backend``; nothing else in ``bot/`` imports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from aiogram.fsm.storage.base import BaseStorage

PROGRESS_ACTIONS = ("contacted", "meeting", "agreement", "failed", "refer", "close")


class ServiceError(Exception):
    """A refused operation; ``key`` names a catalog message the user sees, ``params`` fill it."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class AccessDenied(ServiceError):
    def __init__(self) -> None:
        super().__init__("bot.errors.not_yours")


# ---------------------------------------------------------------------- data the handlers see
@dataclass(frozen=True)
class Community:
    code: str
    name: str
    level: str = "village"
    parent: str | None = None
    grids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resident:
    chat_id: int
    name: str
    community: str | None
    grid: str | None
    language: str
    consented: bool
    phone: str | None = None


@dataclass
class Attachment:
    kind: str  # photo, voice, document
    file_id: str


@dataclass
class CaseDraft:
    """What the intake form gathers; also the pre-filled draft the assistant offers."""

    category: str | None = None
    description: str | None = None
    respondent: str | None = None
    relation: str | None = None
    place: str | None = None
    outcome: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    anonymous: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "description": self.description,
            "respondent": self.respondent,
            "relation": self.relation,
            "place": self.place,
            "outcome": self.outcome,
            "attachments": [{"kind": a.kind, "file_id": a.file_id} for a in self.attachments],
            "anonymous": self.anonymous,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseDraft:
        text = {
            k: data.get(k) for k in ("category", "description", "respondent", "relation", "place", "outcome")
        }
        draft = cls(**text)  # type: ignore[arg-type]
        draft.attachments = [Attachment(a["kind"], a["file_id"]) for a in data.get("attachments") or []]
        draft.anonymous = bool(data.get("anonymous"))
        return draft


@dataclass(frozen=True)
class CaseEvent:
    at: datetime
    action: str
    to_state: str | None
    note: str | None = None


@dataclass(frozen=True)
class CaseView:
    case_no: str
    state: str
    category: str
    description: str
    place: str | None
    community: str
    created_at: datetime
    complainant_chat_id: int | None
    mediator_chat_id: int | None = None
    mediator_name: str | None = None
    respondent: str | None = None
    relation: str | None = None
    outcome: str | None = None
    anonymous: bool = False
    attachments: tuple[Attachment, ...] = ()
    events: tuple[CaseEvent, ...] = ()
    # Contacts appear only when the viewer may see them (the assigned mediator).
    complainant_name: str | None = None
    complainant_phone: str | None = None


@dataclass(frozen=True)
class TeamTopic:
    """A case's forum topic in the mediators' group and its offer card that still has buttons."""

    thread_id: int | None = None
    card_message_id: int | None = None


@dataclass(frozen=True)
class Invitation:
    """A single-use mediator invitation: the token goes into a /start deep link."""

    token: str
    valid_hours: int


@dataclass(frozen=True)
class OpenedCase:
    case_no: str
    offered_to: int | None


@dataclass(frozen=True)
class Citation:
    id: str
    law: str
    article: str
    quote: str
    score: float = 0.0


@dataclass
class AssistantReply:
    intent: str
    urgent: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    category: str | None = None
    offer_case: CaseDraft | None = None
    messages: list[str] = field(default_factory=list)  # ready to send, each within Telegram's limit
    safety: str | None = None  # the urgent safety notice, when the assistant words it itself


# ---------------------------------------------------------------------- ports
class ResidentPort(Protocol):
    async def get(self, chat_id: int) -> Resident | None: ...
    async def register(
        self, chat_id: int, name: str, community: str, grid: str | None, language: str
    ) -> Resident: ...
    async def consent(self, chat_id: int, version: str) -> None: ...
    async def set_language(self, chat_id: int, language: str) -> None: ...
    async def export(self, chat_id: int) -> dict[str, Any]: ...
    async def delete(self, chat_id: int) -> None: ...


class CommunityPort(Protocol):
    async def list(self) -> list[Community]: ...
    async def get(self, code: str) -> Community | None: ...
    async def add(self, code: str, name: str, parent: str | None, level: str) -> Community: ...


class CasePort(Protocol):
    async def open(self, chat_id: int, community: str, grid: str | None, draft: CaseDraft) -> OpenedCase: ...
    async def for_resident(self, chat_id: int) -> list[CaseView]: ...
    async def for_mediator(self, chat_id: int) -> list[CaseView]: ...
    async def view_as_mediator(self, case_no: str, chat_id: int) -> CaseView: ...
    async def is_offered_to(self, case_no: str, chat_id: int) -> bool: ...
    async def accept(self, case_no: str, chat_id: int) -> CaseView: ...
    async def decline(self, case_no: str, chat_id: int, reason: str) -> None: ...
    async def progress(self, case_no: str, chat_id: int, action: str, note: str | None) -> CaseView: ...
    async def feedback(self, case_no: str, chat_id: int, score: int, comment: str | None) -> None: ...
    async def stats(self) -> dict[str, dict[str, int]]: ...


class MediatorPort(Protocol):
    async def is_mediator(self, chat_id: int) -> bool: ...
    async def add(self, chat_id: int, name: str, community: str, specialties: list[str]) -> None: ...
    async def create_invite(self, community: str, created_by: int) -> Invitation: ...
    async def redeem_invite(self, token: str, chat_id: int, name: str) -> str:
        """The community's name; ``ServiceError`` (``invite.*``) when the invitation cannot be used."""
        ...


@dataclass(frozen=True)
class SuggestionItem:
    id: int
    label: str  # S00012, as the resident was told
    community: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ReportItem:
    id: int
    label: str  # R00012
    community: str
    grid: str | None
    text: str
    place: str  # the words given, else the coordinates, else ""
    state: str  # open, in_progress
    photos: int
    created_at: datetime


class ParticipationPort(Protocol):
    async def suggest(self, chat_id: int, community: str | None, text: str) -> str: ...
    async def report(
        self,
        chat_id: int,
        community: str | None,
        text: str,
        photo: str | None,
        location: tuple[float, float] | None,
    ) -> str: ...

    # Staff of a community (coordinators): what waits for them, checked by the case service.
    async def is_staff(self, chat_id: int) -> bool: ...
    # Oldest first, ``limit`` at most, ids greater than ``after`` (the next page).
    async def open_suggestions(self, chat_id: int, limit: int, after: int = 0) -> list[SuggestionItem]: ...
    async def open_reports(self, chat_id: int, limit: int, after: int = 0) -> list[ReportItem]: ...
    async def reply_suggestion(self, chat_id: int, suggestion_id: int, text: str) -> None: ...
    async def mark_report(self, chat_id: int, report_id: int, state: str, reply: str) -> None: ...


@dataclass(frozen=True)
class ConsultOption:
    id: int
    label: str


@dataclass(frozen=True)
class Ballot:
    """A consultation (众人商量) as one person sees it; ``counts`` only once it has closed."""

    id: int
    title: str
    description: str
    community_name: str
    per: str  # resident | household
    state: str  # open | closed
    closes_local: str  # the deadline in the community's local time, e.g. 2026-11-30 20:00
    options: tuple[ConsultOption, ...]
    my_option_id: int | None = None


@dataclass(frozen=True)
class VoteResult:
    label: str
    changed: bool
    unchanged: bool


@dataclass(frozen=True)
class Turnout:
    """An open consultation as staff see it: how many have voted so far (never who, nor what)."""

    id: int
    title: str
    votes: int
    eligible: int
    closes_local: str


class ConsultationPort(Protocol):
    async def open_for(self, chat_id: int) -> list[Ballot]: ...
    async def vote(self, consultation_id: int, chat_id: int, option_id: int) -> VoteResult: ...
    async def set_household(self, chat_id: int, label: str) -> str: ...
    async def opener_communities(self, chat_id: int) -> list[tuple[str, str]]: ...
    async def turnout_for_staff(self, chat_id: int) -> list[Turnout]: ...
    async def cancel(self, consultation_id: int, chat_id: int) -> str: ...
    async def check_title(self, text: str) -> str: ...
    async def check_options(self, lines: list[str]) -> list[str]: ...
    async def check_deadline(self, text: str) -> str: ...
    async def create(
        self, chat_id: int, community: str, title: str, options: list[str], deadline: str, per: str
    ) -> Ballot: ...


@dataclass
class Services:
    """Everything one update may use, bound to one database session (committed after the update)."""

    residents: ResidentPort
    communities: CommunityPort
    cases: CasePort
    mediators: MediatorPort
    participation: ParticipationPort
    consultations: ConsultationPort
    # Work to do only once the transaction is committed (clear a form, confirm to the user).
    on_commit: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    used_database: bool = False  # set by the backend at the commit: the update read or wrote something
    # Set by the backend at the commit: every resident this update wrote through ``residents``, as read
    # back inside the same transaction (None: deleted), so the bot can remember the new value instead of
    # reading it again on the resident's next message.
    written_residents: dict[int, Resident | None] = field(default_factory=dict)


class NotificationSender(Protocol):
    """Delivers one outbox notification; raising means "not delivered, try again later"."""

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None: ...


class Assistant(Protocol):
    """Answers and triage; synchronous and CPU-bound, so the bot runs it in a worker thread."""

    def respond(self, message: str, community: str | None, lang: str) -> AssistantReply: ...


class Backend(Protocol):
    """The services for a whole bot process."""

    assistant: Assistant

    def unit_of_work(self) -> AbstractAsyncContextManager[Services]:
        """One transaction, committed on leaving the block; it takes a database connection only at
        its first statement."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Services]:
        """A short read outside any update's transaction; on SQLite it runs beside the one writer."""
        ...

    def fsm_storage(self) -> BaseStorage: ...
    async def deliver_notifications(self, sender: NotificationSender, now: datetime) -> int: ...
    async def tick(self, now: datetime) -> int: ...
    async def ingest_document(self, path: Path, community: str | None) -> int: ...
    async def close(self) -> None: ...

    # What outbox delivery needs to know beyond a notification's payload.
    async def case_details(self, case_no: str, viewer_chat_id: int) -> dict[str, Any]: ...
    async def team_topic(self, case_no: str) -> TeamTopic: ...
    async def save_team_topic(self, case_no: str, topic: TeamTopic) -> None: ...
    async def language_of(self, chat_id: int) -> str | None: ...
