"""Plain read models the services return (dataclasses; ``to_dict`` gives JSON-ready values)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from intake.outbox import jsonable


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = jsonable(asdict(self))  # type: ignore[call-overload]
        return result


@dataclass(frozen=True)
class CommunityView(_Dict):
    code: str
    name: str
    level: str
    parent: str | None
    grid_worker_chat_id: int | None


@dataclass(frozen=True)
class StaffView(_Dict):
    chat_id: int
    name: str
    role: str
    community: str


@dataclass(frozen=True)
class MediatorView(_Dict):
    chat_id: int
    name: str
    communities: list[str]
    specialties: list[str]
    capacity: int
    level: int
    status: str
    open_cases: int = 0


@dataclass(frozen=True)
class ResidentView(_Dict):
    chat_id: int
    display_name: str
    phone: str | None
    community: str | None
    grid: str | None
    language: str
    consent_at: datetime | None
    consent_version: str | None


@dataclass(frozen=True)
class OpenedCase(_Dict):
    case_no: str
    state: str
    offered_to: MediatorView | None
    coordinator_chat_id: int | None
    linked_to: str | None
    level: int = 1


@dataclass(frozen=True)
class CaseSummary(_Dict):
    case_no: str
    state: str
    category: str
    community: str
    mediator: str | None
    level: int
    urgent: bool
    opened_at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class CaseView(_Dict):
    case_no: str
    state: str
    category: str
    community: str
    grid: str | None
    address: str
    description: str
    desired_outcome: str
    urgent: bool
    anonymous: bool
    level: int
    level_name: str
    mediator: str | None
    mediator_chat_id: int | None
    complainant: str | None
    complainant_contact: str | None
    respondents: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    linked_to: str | None
    opened_at: datetime
    due_at: datetime | None
    referral: str
    agreement: dict[str, Any] | None
    events: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SuggestionView(_Dict):
    id: int
    community: str
    text: str
    state: str
    public_reply: str
    created_at: datetime


@dataclass(frozen=True)
class ReportView(_Dict):
    id: int
    community: str
    grid: str | None
    text: str
    photo_file_ids: list[str]
    latitude: float | None
    longitude: float | None
    location_text: str
    routed_to_chat_id: int | None
    state: str
    public_reply: str
    created_at: datetime
