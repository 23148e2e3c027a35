"""The case service's tables (SQLAlchemy 2.0 typed models). Every change goes through Alembic."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UTCDateTime, utcnow

# Chat ids of Telegram users and groups need 64 bits; SQLite wants INTEGER for rowid aliases.
ChatId = BigInteger().with_variant(Integer(), "sqlite")
PK = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Mapped[int]:
    return mapped_column(PK, primary_key=True, autoincrement=True)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Community(Base):
    """One node of 区县 → 镇街 → 村社 → 网格. A grid has its grid worker (网格员)."""

    __tablename__ = "communities"
    __table_args__ = (CheckConstraint("level IN ('county','town','village','grid')", name="level"),)

    id: Mapped[int] = _id()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_worker_chat_id: Mapped[int | None] = mapped_column(ChatId)
    created_at: Mapped[datetime] = _created()


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = _id()
    chat_id: Mapped[int] = mapped_column(ChatId, unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _created()


class Staff(Base):
    """Coordinators (调委会, 矛调中心, 共享法庭 liaison), grid workers and administrators."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('coordinator','grid_worker','admin','duty')", name="role"),
        UniqueConstraint("chat_id", "role", "community_id"),
    )

    id: Mapped[int] = _id()
    chat_id: Mapped[int] = mapped_column(ChatId, index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    created_at: Mapped[datetime] = _created()


class Mediator(Base):
    """A 和事佬 volunteer (level 1) or a member of a higher rung of the ladder (levels 2–4)."""

    __tablename__ = "mediators"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("status IN ('active','on_leave','retired')", name="status"),
    )

    id: Mapped[int] = _id()
    chat_id: Mapped[int] = mapped_column(ChatId, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(10), default="active")
    level: Mapped[int] = mapped_column(Integer, default=1)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()

    areas: Mapped[list[MediatorArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class MediatorArea(Base):
    """A community or grid that a mediator serves."""

    __tablename__ = "mediator_areas"

    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CaseCounter(Base):
    """The last sequence number handed out per community and month (``QSC-202611-0007``)."""

    __tablename__ = "case_counters"

    community_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        Index("ix_cases_state_due_at", "state", "due_at"),
        Index("ix_cases_community_id_state", "community_id", "state"),
        Index("ix_cases_mediator_id_state", "mediator_id", "state"),
        Index("ix_cases_resolution_days", "resolution_days"),
    )

    id: Mapped[int] = _id()
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    complainant_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    address: Mapped[str] = mapped_column(String(200), default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    level: Mapped[int] = mapped_column(Integer, default=1)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id", ondelete="SET NULL"))
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    linked_to_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    referral: Mapped[str] = mapped_column(String(200), default="")
    # The case's thread in the mediators' team chat (a Telegram forum topic), once one is opened, and
    # the offer card there whose buttons are still live.
    team_thread_id: Mapped[int | None] = mapped_column(ChatId)
    team_card_message_id: Mapped[int | None] = mapped_column(ChatId)
    opened_at: Mapped[datetime] = _created()
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_days: Mapped[float | None] = mapped_column(Float)
    resolved_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    parties: Mapped[list[CaseParty]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CaseParty.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Attachment.id"
    )


class CaseParty(Base):
    """A respondent (the other party) of a case: name, relation to the complainant, contact if given."""

    __tablename__ = "case_parties"

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    relation: Mapped[str] = mapped_column(String(50), default="")
    contact: Mapped[str] = mapped_column(String(100), default="")
    chat_id: Mapped[int | None] = mapped_column(ChatId)


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("kind IN ('photo','voice','document','video')", name="kind"),)

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = _created()


class CaseEvent(Base):
    """Append-only history: the whole life of a case is its events."""

    __tablename__ = "case_events"

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class Offer(Base):
    """One handoff attempt of a case to a mediator, tracked apart from the case state."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('offered','delivered','acknowledged','declined','timed_out','failed','withdrawn')",
            name="status",
        ),
        Index("ix_offers_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="offered")
    offered_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")


class Recusal(Base):
    __tablename__ = "recusals"
    __table_args__ = (UniqueConstraint("case_id", "mediator_id"),)

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = _created()


class Agreement(Base):
    """人民调解法 第二十九条: parties, facts and issues, agreed terms, how and by when performed."""

    __tablename__ = "agreements"
    __table_args__ = (CheckConstraint("form IN ('oral','written')", name="form"),)

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    form: Mapped[str] = mapped_column(String(8))
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    facts_and_issues: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    performance_method: Mapped[str] = mapped_column(Text, default="")
    performance_deadline: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date] = mapped_column(Date)
    judicial_deadline: Mapped[date] = mapped_column(Date)
    judicial_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()


class FollowUp(Base):
    """A 回访: was the agreement performed?"""

    __tablename__ = "follow_ups"

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    performed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = _created()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()


class Notification(Base):
    """The outbox: written in the same transaction as the change it announces."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN ('pending','sending','sent','dead','cancelled')", name="status"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = _id()
    recipient_chat_id: Mapped[int] = mapped_column(ChatId, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Suggestion(Base):
    __tablename__ = "suggestions"
    __table_args__ = (CheckConstraint("state IN ('open','answered')", name="state"),)

    id: Mapped[int] = _id()
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    public_reply: Mapped[str] = mapped_column(Text, default="")
    replied_by: Mapped[str] = mapped_column(String(40), default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()


class HazardReport(Base):
    __tablename__ = "hazard_reports"
    __table_args__ = (CheckConstraint("state IN ('open','in_progress','fixed')", name="state"),)

    id: Mapped[int] = _id()
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    text: Mapped[str] = mapped_column(Text)
    photo_file_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_text: Mapped[str] = mapped_column(String(200), default="")
    routed_to_chat_id: Mapped[int | None] = mapped_column(ChatId)
    state: Mapped[str] = mapped_column(String(12), default="open")
    public_reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MediatorInvite(Base):
    """A single-use, expiring invitation that registers whoever opens it as a mediator.

    Only a hash of the token is stored: a database dump does not hand out working invitations.
    """

    __tablename__ = "mediator_invites"

    id: Mapped[int] = _id()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    created_by_chat_id: Mapped[int] = mapped_column(ChatId)
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_chat_id: Mapped[int | None] = mapped_column(ChatId)


class ChatState(Base):
    """Persistent conversation state for the bot (aiogram FSM storage); no chat-platform types."""

    __tablename__ = "chat_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(ChatId, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Consultation(Base):
    """众人的事情由众人商量: a proposal with 2–6 options that the residents of a community vote on until
    ``closes_at``; ``result`` is the tally frozen when it closes (what was announced)."""

    __tablename__ = "consultations"
    __table_args__ = (  # cancelled: withdrawn by staff before the deadline, its votes deleted
        CheckConstraint("per IN ('resident','household')", name="per"),
        CheckConstraint("state IN ('open','closed','cancelled')", name="state"),
        Index("ix_consultations_state_closes_at", "state", "closes_at"),
    )

    id: Mapped[int] = _id()
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    per: Mapped[str] = mapped_column(String(10), default="resident")
    state: Mapped[str] = mapped_column(String(10), default="open")
    opened_by: Mapped[str] = mapped_column(String(40))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()

    options: Mapped[list[ConsultationOption]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ConsultationOption.position"
    )


class ConsultationOption(Base):
    __tablename__ = "consultation_options"
    __table_args__ = (
        UniqueConstraint("consultation_id", "position"),
        # The target of the votes' composite foreign key: a vote's option belongs to its consultation.
        UniqueConstraint("id", "consultation_id"),
    )

    id: Mapped[int] = _id()
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(60))


class ConsultationVote(Base):
    """One counted vote per voter: ``voter_key`` is the resident (``r:<id>``) or their household
    (``h:<community id>:<house>``). A resident also votes at most once per consultation, whatever
    household they later say they belong to. Nobody but the voter is ever shown who chose what."""

    __tablename__ = "consultation_votes"
    __table_args__ = (
        UniqueConstraint("consultation_id", "voter_key"),
        UniqueConstraint("consultation_id", "resident_id"),
        ForeignKeyConstraint(
            ["option_id", "consultation_id"],
            ["consultation_options.id", "consultation_options.consultation_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = _id()
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(PK)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    voter_key: Mapped[str] = mapped_column(String(120))
    cast_at: Mapped[datetime] = _created()
    changed_at: Mapped[datetime] = _created()


class ResidentHousehold(Base):
    """The household a resident says they belong to, entered once: their grid (or village) plus the
    house number or address they type (normalised), e.g. ``QSC-01`` + ``3组12号``."""

    __tablename__ = "resident_households"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    label: Mapped[str] = mapped_column(String(60))
    household_key: Mapped[str] = mapped_column(String(120), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
