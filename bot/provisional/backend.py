"""A provisional, deliberately small implementation of the bot's ports.

It exists only so the bot, the terminal chat and the demo run end to end while the real case service
(``intake/``) is being written in parallel. It keeps the same contracts (outbox written in the same
transaction as the change it announces, access checks, events for every move) but not intake's
routing rules, clocks or escalation ladder. ``bot.runtime.load_backend`` prefers the intake adapter
as soon as ``intake`` provides it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.provisional.models import (
    Base,
    CaseEventRow,
    CaseRow,
    ChatStateRow,
    CommunityRow,
    FeedbackRow,
    InviteRow,
    MediatorRow,
    OutboxRow,
    ParticipationRow,
    ResidentRow,
)
from bot.services import (
    AccessDenied,
    Assistant,
    Attachment,
    CaseDraft,
    CaseEvent,
    CaseView,
    Community,
    NotificationSender,
    OpenedCase,
    Resident,
    ServiceError,
    Services,
)
from bot.storage import DatabaseStorage

OPEN_STATES = ("submitted", "assigned", "in_mediation", "agreed", "follow_up")
# action -> (allowed from-states, to-state, notification kind for the resident)
MOVES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "contacted": (("assigned", "in_mediation"), "in_mediation", "case_contacted"),
    "meeting": (("assigned", "in_mediation"), "in_mediation", "case_meeting"),
    "agreement": (("assigned", "in_mediation"), "agreed", "case_agreed"),
    "failed": (("assigned", "in_mediation"), "failed", "case_failed"),
    "refer": (("assigned", "in_mediation", "failed"), "escalated", "case_referred"),
    "close": (("agreed", "failed", "follow_up", "in_mediation"), "closed", "case_closed"),
    "note": (OPEN_STATES, "", ""),
}
OFFER_TIMEOUT = timedelta(hours=24)
MEDIATION_DAYS = 30
MAX_ATTEMPTS_BEFORE_SURFACING = 8


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _local(moment: datetime) -> datetime:
    """This backend stores naive local times."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def _outbox(session: AsyncSession, recipient: int | None, kind: str, payload: dict[str, Any]) -> None:
    if recipient is None:
        return
    now = _now()
    session.add(
        OutboxRow(recipient=recipient, kind=kind, payload=payload, created_at=now, next_attempt_at=now)
    )


def _case_payload(case: CaseRow) -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "category": case.category,
        "summary": case.description[:300],
        "place": case.place or "—",
        "community": case.community,
        "created_at": case.created_at.isoformat(),
    }


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Residents(_Repo):
    async def get(self, chat_id: int) -> Resident | None:
        row = await self.session.get(ResidentRow, chat_id)
        if row is None:
            return None
        return Resident(
            row.chat_id,
            row.name,
            row.community,
            row.grid,
            row.language,
            row.consent_at is not None,
            row.phone,
        )

    async def register(
        self, chat_id: int, name: str, community: str, grid: str | None, language: str
    ) -> Resident:
        row = await self.session.get(ResidentRow, chat_id)
        if row is None:
            row = ResidentRow(chat_id=chat_id, name=name, language=language)
            self.session.add(row)
        row.community, row.grid = community, grid
        await self.session.flush()
        return Resident(
            chat_id, row.name, community, grid, row.language, row.consent_at is not None, row.phone
        )

    async def consent(self, chat_id: int, version: str) -> None:
        row = await self.session.get(ResidentRow, chat_id)
        if row is None:
            raise ServiceError("bot.errors.not_registered")
        row.consent_version, row.consent_at = version, _now()

    async def set_language(self, chat_id: int, language: str) -> None:
        row = await self.session.get(ResidentRow, chat_id)
        if row is not None:
            row.language = language

    async def export(self, chat_id: int) -> dict[str, Any]:
        row = await self.session.get(ResidentRow, chat_id)
        cases = (
            await self.session.scalars(select(CaseRow).where(CaseRow.complainant_chat_id == chat_id))
        ).all()
        return {
            "resident": None
            if row is None
            else {
                "chat_id": row.chat_id,
                "name": row.name,
                "phone": row.phone,
                "community": row.community,
                "grid": row.grid,
                "language": row.language,
                "consent_version": row.consent_version,
                "consent_at": row.consent_at.isoformat() if row.consent_at else None,
            },
            "cases": [
                {
                    **_case_payload(c),
                    "description": c.description,
                    "state": c.state,
                    "respondent": c.respondent,
                    "outcome": c.outcome,
                }
                for c in cases
            ],
        }

    async def delete(self, chat_id: int) -> None:
        # Cases stay for statistics, stripped of everything that identifies the resident.
        for case in (
            await self.session.scalars(select(CaseRow).where(CaseRow.complainant_chat_id == chat_id))
        ).all():
            case.complainant_chat_id = None
            case.description = "（已应当事人要求删除）"
            case.respondent = case.relation = case.place = case.outcome = None
            case.attachments = []
        await self.session.execute(delete(ResidentRow).where(ResidentRow.chat_id == chat_id))
        await self.session.execute(
            delete(ChatStateRow).where(ChatStateRow.key.like(f"%:{chat_id}:{chat_id}%"))
        )


class Communities(_Repo):
    async def list(self) -> list[Community]:
        rows = (await self.session.scalars(select(CommunityRow).order_by(CommunityRow.code))).all()
        return [self._view(row, rows) for row in rows if row.level != "grid"]

    @staticmethod
    def _view(row: CommunityRow, rows: Any) -> Community:
        grids = tuple(r.code for r in rows if r.parent == row.code and r.level == "grid")
        return Community(row.code, row.name, row.level, row.parent, grids)

    async def get(self, code: str) -> Community | None:
        rows = (await self.session.scalars(select(CommunityRow))).all()
        for row in rows:
            if row.code.upper() == code.strip().upper():
                return self._view(row, rows)
        return None

    async def add(self, code: str, name: str, parent: str | None, level: str) -> Community:
        row = await self.session.get(CommunityRow, code) or CommunityRow(code=code)
        row.name, row.parent, row.level = name, parent, level
        self.session.add(row)
        return Community(code, name, level, parent)


class Mediators(_Repo):
    async def is_mediator(self, chat_id: int) -> bool:
        return await self.session.get(MediatorRow, chat_id) is not None

    async def add(self, chat_id: int, name: str, community: str, specialties: list[str]) -> None:
        row = await self.session.get(MediatorRow, chat_id) or MediatorRow(chat_id=chat_id)
        row.name, row.community, row.specialties, row.active = name, community, specialties, True
        self.session.add(row)

    async def create_invite(self, community: str, created_by: int) -> str:
        token = secrets.token_urlsafe(9)
        self.session.add(InviteRow(token=token, community=community, created_by=created_by))
        return token

    async def redeem_invite(self, token: str, chat_id: int, name: str) -> str | None:
        invite = await self.session.get(InviteRow, token)
        if invite is None or invite.used_by is not None:
            return None
        invite.used_by = chat_id
        await self.add(chat_id, name, invite.community, [])
        return invite.community


class Participation(_Repo):
    async def suggest(self, chat_id: int, community: str | None, text: str) -> str:
        return await self._add("suggestion", chat_id, community, text, None, None)

    async def report(
        self,
        chat_id: int,
        community: str | None,
        text: str,
        photo: str | None,
        location: tuple[float, float] | None,
    ) -> str:
        return await self._add("report", chat_id, community, text, photo, location)

    async def _add(
        self,
        kind: str,
        chat_id: int,
        community: str | None,
        text: str,
        photo: str | None,
        location: tuple[float, float] | None,
    ) -> str:
        row = ParticipationRow(
            kind=kind,
            chat_id=chat_id,
            community=community,
            text=text,
            photo=photo,
            latitude=location[0] if location else None,
            longitude=location[1] if location else None,
            created_at=_now(),
        )
        self.session.add(row)
        await self.session.flush()
        return f"{'S' if kind == 'suggestion' else 'R'}{row.id:05d}"


class Cases(_Repo):
    async def _next_number(self, community: str, now: datetime) -> str:
        prefix = f"{community}-{now:%Y%m}-"
        count = await self.session.scalar(select(func.count()).where(CaseRow.case_no.like(prefix + "%")))
        return f"{prefix}{(count or 0) + 1:04d}"

    async def _event(
        self, case: CaseRow, actor: int | None, action: str, to_state: str | None, note: str | None = None
    ) -> None:
        self.session.add(
            CaseEventRow(
                case_id=case.id,
                at=_now(),
                actor=actor,
                action=action,
                from_state=case.state,
                to_state=to_state or case.state,
                note=note,
            )
        )
        if to_state:
            case.state = to_state

    async def _route(self, case: CaseRow) -> int | None:
        """Offer to the active mediator of the community with the fewest open cases (not yet declined)."""
        mediators = (
            await self.session.scalars(
                select(MediatorRow).where(MediatorRow.community == case.community, MediatorRow.active)
            )
        ).all()
        candidates = []
        for mediator in mediators:
            if mediator.chat_id in (case.declined_by or []) or mediator.chat_id == case.complainant_chat_id:
                continue
            load = await self.session.scalar(
                select(func.count()).where(
                    CaseRow.mediator_chat_id == mediator.chat_id, CaseRow.state.in_(OPEN_STATES)
                )
            )
            if (load or 0) < mediator.capacity:
                specialty = 0 if case.category in (mediator.specialties or []) else 1
                candidates.append((specialty, load or 0, mediator.chat_id))
        if candidates:
            chosen = min(candidates)[2]
            case.offered_to, case.offered_at = chosen, _now()
            await self._event(case, None, "offered", None, str(chosen))
            _outbox(self.session, chosen, "case_offered", _case_payload(case))
            return chosen
        community = await self.session.get(CommunityRow, case.community)
        case.offered_to = None
        coordinator = community.coordinator_chat_id if community else None
        await self._event(case, None, "no_mediator", None)
        _outbox(self.session, coordinator, "case_unrouted", _case_payload(case))
        return None

    async def open(self, chat_id: int, community: str, grid: str | None, draft: CaseDraft) -> OpenedCase:
        if not draft.category or not draft.description:
            raise ServiceError("bot.errors.draft_incomplete")
        now = _now()
        case = CaseRow(
            case_no=await self._next_number(community, now),
            community=community,
            grid=grid,
            category=draft.category,
            description=draft.description,
            respondent=draft.respondent,
            relation=draft.relation,
            place=draft.place,
            outcome=draft.outcome,
            attachments=[{"kind": a.kind, "file_id": a.file_id} for a in draft.attachments],
            anonymous=draft.anonymous,
            complainant_chat_id=chat_id,
            state="submitted",
            declined_by=[],
            created_at=now,
        )
        self.session.add(case)
        await self.session.flush()
        await self._event(case, chat_id, "opened", "submitted")
        offered = await self._route(case)
        return OpenedCase(case.case_no, offered)

    async def _load(self, case_no: str) -> CaseRow:
        case = await self.session.scalar(select(CaseRow).where(CaseRow.case_no == case_no))
        if case is None:
            raise ServiceError("bot.errors.no_such_case")
        return case

    async def _view(self, case: CaseRow, with_contacts: bool) -> CaseView:
        events = (
            await self.session.scalars(
                select(CaseEventRow).where(CaseEventRow.case_id == case.id).order_by(CaseEventRow.id)
            )
        ).all()
        mediator = (
            await self.session.get(MediatorRow, case.mediator_chat_id) if case.mediator_chat_id else None
        )
        resident = (
            await self.session.get(ResidentRow, case.complainant_chat_id)
            if with_contacts and case.complainant_chat_id
            else None
        )
        return CaseView(
            case.case_no,
            case.state,
            case.category,
            case.description,
            case.place,
            case.community,
            case.created_at,
            case.complainant_chat_id,
            case.mediator_chat_id,
            mediator.name if mediator else None,
            case.respondent,
            case.relation,
            case.outcome,
            case.anonymous,
            tuple(Attachment(a["kind"], a["file_id"]) for a in case.attachments or []),
            tuple(CaseEvent(e.at, e.action, e.to_state, e.note) for e in events),
            resident.name if resident else None,
            resident.phone if resident else None,
        )

    async def for_resident(self, chat_id: int) -> list[CaseView]:
        rows = (
            await self.session.scalars(
                select(CaseRow).where(CaseRow.complainant_chat_id == chat_id).order_by(CaseRow.id)
            )
        ).all()
        return [await self._view(row, False) for row in rows]

    async def for_mediator(self, chat_id: int) -> list[CaseView]:
        rows = (
            await self.session.scalars(
                select(CaseRow)
                .where(CaseRow.mediator_chat_id == chat_id, CaseRow.state.in_((*OPEN_STATES, "failed")))
                .order_by(CaseRow.id)
            )
        ).all()
        return [await self._view(row, True) for row in rows]

    async def view_as_mediator(self, case_no: str, chat_id: int) -> CaseView:
        case = await self._load(case_no)
        if case.mediator_chat_id != chat_id:
            raise AccessDenied()
        return await self._view(case, True)

    async def accept(self, case_no: str, chat_id: int) -> CaseView:
        case = await self._load(case_no)
        if case.mediator_chat_id == chat_id:
            raise ServiceError("bot.errors.already_yours")
        if case.offered_to != chat_id or case.state != "submitted":
            raise ServiceError("bot.errors.stale_offer")
        case.mediator_chat_id, case.offered_to = chat_id, None
        case.due_at = _now() + timedelta(days=MEDIATION_DAYS)
        await self._event(case, chat_id, "assigned", "assigned")
        mediator = await self.session.get(MediatorRow, chat_id)
        _outbox(
            self.session,
            case.complainant_chat_id,
            "case_assigned",
            {"case_no": case_no, "mediator_name": mediator.name if mediator else ""},
        )
        return await self._view(case, True)

    async def decline(self, case_no: str, chat_id: int, reason: str) -> None:
        case = await self._load(case_no)
        if case.offered_to != chat_id or case.state != "submitted":
            raise ServiceError("bot.errors.stale_offer")
        case.declined_by = [*(case.declined_by or []), chat_id]
        await self._event(case, chat_id, "declined", None, reason)
        await self._route(case)

    async def progress(self, case_no: str, chat_id: int, action: str, note: str | None) -> CaseView:
        case = await self._load(case_no)
        if case.mediator_chat_id != chat_id:
            raise AccessDenied()
        if action not in MOVES:
            raise ServiceError("bot.errors.unknown_action")
        allowed, to_state, kind = MOVES[action]
        if case.state not in allowed:
            raise ServiceError("bot.errors.invalid_move", state=case.state)
        await self._event(case, chat_id, action, to_state or None, note)
        if kind:
            _outbox(self.session, case.complainant_chat_id, kind, {"case_no": case_no, "note": note or ""})
        if to_state == "closed":
            _outbox(self.session, case.complainant_chat_id, "feedback_request", {"case_no": case_no})
        return await self._view(case, True)

    async def feedback(self, case_no: str, chat_id: int, score: int, comment: str | None) -> None:
        case = await self._load(case_no)
        if case.complainant_chat_id != chat_id:
            raise AccessDenied()
        if case.state != "closed":
            raise ServiceError("bot.errors.invalid_move", state=case.state)
        if not 1 <= score <= 5:
            raise ServiceError("bot.errors.bad_score")
        row = await self.session.get(FeedbackRow, case.id) or FeedbackRow(case_id=case.id)
        row.score, row.comment = score, comment
        self.session.add(row)

    async def stats(self) -> dict[str, dict[str, int]]:
        by_category = dict(
            (await self.session.execute(select(CaseRow.category, func.count()).group_by(CaseRow.category)))
            .tuples()
            .all()
        )
        by_state = dict(
            (await self.session.execute(select(CaseRow.state, func.count()).group_by(CaseRow.state)))
            .tuples()
            .all()
        )
        return {"category": by_category, "state": by_state}


class ProvisionalBackend:
    """SQLite (or any SQLAlchemy async URL) tables prefixed ``bot_``; see the module docstring."""

    concurrency = 1  # SQLite has one writer: units of work queue in the process, not in busy-waits

    def __init__(self, engine: AsyncEngine, states_engine: AsyncEngine, assistant: Assistant) -> None:
        self.engine = engine
        self.states_engine = states_engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.assistant = assistant

    @classmethod
    async def open(cls, data_dir: Path, assistant: Assistant) -> ProvisionalBackend:
        data_dir.mkdir(parents=True, exist_ok=True)
        engine = _sqlite(data_dir / "bot-provisional.sqlite")
        # Form state in its own file: a handler saves its form while its own transaction is open.
        states_engine = _sqlite(data_dir / "bot-chat-states.sqlite")
        for target in (engine, states_engine):
            async with target.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
        return cls(engine, states_engine, assistant)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Services]:
        async with self.sessions.begin() as session:
            yield Services(
                Residents(session),
                Communities(session),
                Cases(session),
                Mediators(session),
                Participation(session),
            )

    def fsm_storage(self) -> DatabaseStorage:
        return DatabaseStorage(async_sessionmaker(self.states_engine, expire_on_commit=False), ChatStates)

    async def seed(self, communities: list[dict[str, Any]], mediators: list[dict[str, Any]]) -> None:
        async with self.sessions.begin() as session:
            for item in communities:
                row = await session.get(CommunityRow, item["code"]) or CommunityRow(code=item["code"])
                row.name, row.level, row.parent = (
                    item["name"],
                    item.get("level", "village"),
                    item.get("parent"),
                )
                row.coordinator_chat_id = item.get("coordinator_chat_id")
                session.add(row)
            for item in mediators:
                await Mediators(session).add(
                    int(item["chat_id"]), item["name"], item["community"], list(item.get("specialties", []))
                )

    async def deliver_notifications(self, sender: NotificationSender, now: datetime) -> int:
        now = _local(now)
        async with self.sessions() as session:
            due = (
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.sent_at.is_(None), OutboxRow.next_attempt_at <= now)
                    .order_by(OutboxRow.id)
                    .limit(100)
                )
            ).all()
        delivered = 0
        for item in due:
            try:
                await sender.send(item.recipient, item.kind, item.payload)
            except Exception as error:  # any failure: retry later with back-off
                await self._postpone(item.id, now, error)
                continue
            async with self.sessions.begin() as session:
                row = await session.get(OutboxRow, item.id)
                if row is not None:
                    row.sent_at = _now()
            delivered += 1
        return delivered

    async def _postpone(self, outbox_id: int, now: datetime, error: Exception) -> None:
        retry_after = getattr(error, "retry_after", None)
        async with self.sessions.begin() as session:
            row = await session.get(OutboxRow, outbox_id)
            if row is None:
                return
            row.attempts += 1
            delay = float(retry_after) if retry_after else min(2.0**row.attempts, 3600.0)
            row.next_attempt_at = now + timedelta(seconds=delay)
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            if row.attempts >= MAX_ATTEMPTS_BEFORE_SURFACING and not row.surfaced:
                row.surfaced = True
                case = await session.scalar(
                    select(CaseRow).where(CaseRow.case_no == row.payload.get("case_no"))
                )
                community = await session.get(CommunityRow, case.community) if case else None
                if (
                    community
                    and community.coordinator_chat_id
                    and community.coordinator_chat_id != row.recipient
                ):
                    _outbox(
                        session,
                        community.coordinator_chat_id,
                        "delivery_failed",
                        {"case_no": row.payload.get("case_no", ""), "recipient_chat_id": row.recipient},
                    )

    async def tick(self, now: datetime) -> int:
        """Re-offer unanswered handoffs and remind mediators of due dates; idempotent."""
        now = _local(now)
        changed = 0
        async with self.sessions.begin() as session:
            cases = Cases(session)
            stale = (
                await session.scalars(
                    select(CaseRow).where(
                        CaseRow.state == "submitted",
                        CaseRow.offered_to.is_not(None),
                        CaseRow.offered_at < now - OFFER_TIMEOUT,
                    )
                )
            ).all()
            for case in stale:
                case.declined_by = [*(case.declined_by or []), int(case.offered_to or 0)]
                await cases._event(case, None, "offer_timeout", None)
                await cases._route(case)
                changed += 1
            due = (
                await session.scalars(
                    select(CaseRow).where(
                        CaseRow.state.in_(("assigned", "in_mediation")),
                        CaseRow.reminded.is_(False),
                        CaseRow.due_at < now + timedelta(days=5),
                    )
                )
            ).all()
            for case in due:
                case.reminded = True
                _outbox(
                    session,
                    case.mediator_chat_id,
                    "due_reminder",
                    {"case_no": case.case_no, "due": f"{case.due_at:%Y-%m-%d}"},
                )
                changed += 1
        return changed

    async def ingest_document(self, path: Path, community: str | None) -> int:
        from bot.adapters.answers import ingest_sources, knowledge_available

        if not knowledge_available():
            raise NotImplementedError("the knowledge base is not installed")
        return await asyncio.to_thread(ingest_sources, [path], community)

    async def outbox_pending(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).where(OutboxRow.sent_at.is_(None))) or 0)

    async def close(self) -> None:
        await self.engine.dispose()
        await self.states_engine.dispose()


def _sqlite(path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


class ChatStates(_Repo):
    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        row = await self.session.get(ChatStateRow, key)
        return (row.state, dict(row.data or {})) if row else (None, {})

    async def _row(self, key: str) -> ChatStateRow:
        row = await self.session.get(ChatStateRow, key)
        if row is None:
            row = ChatStateRow(key=key, state=None, data={}, updated_at=_now())
            self.session.add(row)
        return row

    async def save_state(self, key: str, state: str | None) -> None:
        row = await self._row(key)
        row.state, row.updated_at = state, _now()

    async def save_data(self, key: str, data: dict[str, Any]) -> None:
        row = await self._row(key)
        row.data, row.updated_at = data, _now()
