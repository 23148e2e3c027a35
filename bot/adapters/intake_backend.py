"""The bot's ports on the real case service (``intake``): the one place the bot meets it.

One ``intake.services.Services`` per update (the middleware commits it); outbox delivery and the
clocks through ``intake.outbox.deliver_due`` and ``intake.scheduler.tick``; the FSM storage on
intake's ``chat_states`` table. The FSM storage has its own connection pool (on SQLite its own
database file): a handler may save its form state while its own transaction holds a connection, so
sharing one pool could leave every connection held by a handler waiting for another one (on SQLite,
where intake starts every transaction with BEGIN IMMEDIATE, one file would make the two wait on each
other outright).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import services as port
from bot.adapters.consultations import Consultations
from bot.services import Assistant, CaseDraft, NotificationSender, ServiceError
from bot.storage import ChatStateStore, DatabaseStorage, SessionChatStates, SqliteChatStates, chat_of
from intake.cases import AgreementIn, AttachmentIn, NewCase, Respondent
from intake.chat_states import ChatStateRepository
from intake.db import make_engine, make_read_engine, make_sessionmaker, upgrade
from intake.errors import IntakeError
from intake.invites import AlreadyMediator, InviteExpired, InviteUnknown, InviteUsed
from intake.lifecycle import OPEN_STATES
from intake.outbox import any_due, deliver_due
from intake.scheduler import tick
from intake.services import Services as IntakeServices
from intake.settings import IntakeSettings
from intake.views import CaseView as IntakeCaseView


def _error(error: IntakeError) -> ServiceError:
    code = getattr(error, "code", "") or "invalid_input"
    # "key" and "lang" are the catalog lookup's own argument names: pass them on renamed.
    params = {("ref_" + k if k in ("key", "lang") else k): v for k, v in getattr(error, "params", {}).items()}
    return ServiceError(f"bot.errors.intake.{code}", **params)


class _Calls:
    """Run an intake call, turning its errors into the bot's catalog-keyed ``ServiceError``."""

    async def call(self, coroutine: Any) -> Any:
        try:
            return await coroutine
        except IntakeError as error:
            raise _error(error) from error


def _case(view: IntakeCaseView) -> port.CaseView:
    respondent = view.respondents[0] if view.respondents else {}
    return port.CaseView(
        case_no=view.case_no,
        state=view.state,
        category=view.category,
        description=view.description,
        place=view.address or None,
        community=view.community,
        created_at=view.opened_at,
        complainant_chat_id=None,
        mediator_chat_id=view.mediator_chat_id,
        mediator_name=view.mediator,
        respondent=respondent.get("name"),
        relation=respondent.get("relation") or None,
        outcome=view.desired_outcome or None,
        anonymous=view.anonymous,
        attachments=tuple(port.Attachment(a.get("kind", ""), a.get("file_id", "")) for a in view.attachments),
        events=tuple(
            port.CaseEvent(_when(e.get("at")), str(e.get("action", "")), e.get("to_state"), e.get("note"))
            for e in view.events
        ),
        complainant_name=view.complainant,
        complainant_phone=view.complainant_contact,
    )


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)) if value else datetime.now()


class Residents(_Calls):
    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc
        self.written: set[int] = set()  # chat ids written in this unit of work

    async def get(self, chat_id: int) -> port.Resident | None:
        view = await self.svc.residents.get(chat_id)
        if view is None:
            return None
        return port.Resident(
            view.chat_id,
            view.display_name,
            view.community,
            view.grid,
            view.language,
            view.consent_at is not None,
            view.phone,
        )

    async def register(
        self, chat_id: int, name: str, community: str, grid: str | None, language: str
    ) -> port.Resident:
        self.written.add(chat_id)
        await self.call(
            self.svc.residents.register(
                chat_id, name, language=language, community_code=community, grid_code=grid
            )
        )
        resident = await self.get(chat_id)
        assert resident is not None
        return resident

    async def consent(self, chat_id: int, version: str) -> None:
        self.written.add(chat_id)
        await self.call(self.svc.residents.give_consent(chat_id, version))

    async def set_language(self, chat_id: int, language: str) -> None:
        self.written.add(chat_id)
        view = await self.svc.residents.get(chat_id)
        if view is None:  # not registered yet: a bare record holding only the language
            await self.call(self.svc.residents.register(chat_id, "", language=language))
            return
        await self.call(
            self.svc.residents.register(
                chat_id,
                view.display_name,
                language=language,
                community_code=view.community,
                grid_code=view.grid,
            )
        )

    async def export(self, chat_id: int) -> dict[str, Any]:
        return dict(await self.call(self.svc.residents.export_data(chat_id)))

    async def delete(self, chat_id: int) -> None:
        self.written.add(chat_id)
        await self.call(self.svc.residents.delete_data(chat_id))


class Communities(_Calls):
    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc

    async def _all(self) -> list[Any]:
        return list(await self.svc.communities.list())

    @staticmethod
    def _view(row: Any, rows: list[Any]) -> port.Community:
        grids = tuple(r.code for r in rows if r.parent == row.code and r.level == "grid")
        return port.Community(row.code, row.name, row.level, row.parent, grids)

    async def list(self) -> list[port.Community]:
        rows = await self._all()
        return [self._view(row, rows) for row in rows if row.level != "grid"]

    async def get(self, code: str) -> port.Community | None:
        rows = await self._all()
        wanted = code.strip().upper()
        return next((self._view(row, rows) for row in rows if row.code.upper() == wanted), None)

    async def add(self, code: str, name: str, parent: str | None, level: str) -> port.Community:
        view = await self.call(self.svc.communities.add(code, name, level=level, parent_code=parent))
        return port.Community(view.code, view.name, view.level, view.parent)


class Cases(_Calls):
    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc

    async def open(self, chat_id: int, community: str, grid: str | None, draft: CaseDraft) -> port.OpenedCase:
        if not draft.category or not draft.description:
            raise ServiceError("bot.errors.draft_incomplete")
        respondents = [Respondent(draft.respondent, draft.relation or "")] if draft.respondent else []
        new = NewCase(
            complainant_chat_id=chat_id,
            community_code=community,
            category=draft.category,
            description=draft.description,
            desired_outcome=draft.outcome or "",
            grid_code=grid,
            address=draft.place or "",
            respondents=respondents,
            attachments=[AttachmentIn(a.file_id, a.kind) for a in draft.attachments],
            anonymous=draft.anonymous,
        )
        opened = await self.call(self.svc.cases.open(new))
        return port.OpenedCase(opened.case_no, opened.offered_to.chat_id if opened.offered_to else None)

    async def _views(self, chat_id: int) -> list[port.CaseView]:
        summaries = await self.call(self.svc.cases.list_for(chat_id))
        return [_case(await self.call(self.svc.cases.show(s.case_no, chat_id))) for s in summaries]

    async def for_resident(self, chat_id: int) -> list[port.CaseView]:
        return await self._views(chat_id)

    async def for_mediator(self, chat_id: int) -> list[port.CaseView]:
        return [
            c
            for c in await self._views(chat_id)
            if c.mediator_chat_id == chat_id and (c.state in OPEN_STATES or c.state == "failed")
        ]

    async def view_as_mediator(self, case_no: str, chat_id: int) -> port.CaseView:
        view = _case(await self.call(self.svc.cases.show(case_no, chat_id)))
        if view.mediator_chat_id != chat_id:
            raise port.AccessDenied()
        return view

    async def is_offered_to(self, case_no: str, chat_id: int) -> bool:
        """Whether the case waits for this person's answer (an open offer to them), per the database."""
        if not await self.svc.mediators.is_mediator(chat_id):
            return False
        offers = await self.call(self.svc.cases.pending_offers(chat_id))
        return any(summary.case_no == case_no for summary in offers)

    async def accept(self, case_no: str, chat_id: int) -> port.CaseView:
        current = await self.call(self.svc.cases.show(case_no, chat_id))
        if current.mediator_chat_id == chat_id:  # the same button pressed twice
            raise ServiceError("bot.errors.already_yours")
        return _case(await self.call(self.svc.cases.accept_offer(case_no, chat_id)))

    async def decline(self, case_no: str, chat_id: int, reason: str) -> None:
        await self.call(self.svc.cases.decline_offer(case_no, chat_id, reason))

    async def _in_mediation(self, case: port.CaseView, chat_id: int) -> None:
        if case.state == "assigned":
            await self.call(self.svc.cases.start_mediation(case.case_no, chat_id))

    async def progress(self, case_no: str, chat_id: int, action: str, note: str | None) -> port.CaseView:
        case = await self.view_as_mediator(case_no, chat_id)
        text = (note or "").strip()
        cases = self.svc.cases
        if action in ("contacted", "meeting", "note"):
            if action != "note":  # reaching the parties starts the mediation; a bare note moves nothing
                await self._in_mediation(case, chat_id)
            # An event on the case history, whatever the state; "已联系双方" needs no words of its own.
            await self.call(cases.add_note(case_no, chat_id, text or "已联系双方", action))
        elif action == "agreement":
            await self._in_mediation(case, chat_id)
            parties = [
                {"name": case.complainant_name or "申请人", "role": "申请人"},
                {"name": case.respondent or "被申请人", "role": "被申请人"},
            ]
            await self.call(
                cases.record_agreement(
                    case_no,
                    chat_id,
                    AgreementIn(
                        form="oral",
                        terms=text or "（口头协议）",
                        signed_on=date.today(),
                        parties=parties,
                        facts_and_issues=case.description,
                    ),
                )
            )
        elif action == "failed":
            await self._in_mediation(case, chat_id)
            await self.call(cases.record_failure(case_no, chat_id, text or "调解不成"))
        elif action == "refer":
            await self.call(cases.escalate(case_no, chat_id, text or "上报上一级"))
        elif action == "close":
            await self.call(cases.close(case_no, chat_id, text))
        else:
            raise ServiceError("bot.errors.unknown_action")
        return _case(await self.call(cases.show(case_no, chat_id)))

    async def feedback(self, case_no: str, chat_id: int, score: int, comment: str | None) -> None:
        await self.call(self.svc.cases.feedback(case_no, chat_id, score, comment or ""))

    async def stats(self) -> dict[str, dict[str, int]]:
        summary = (await self.svc.stats.summary()).to_dict()
        return {
            "category": dict(summary.get("by_category") or {}),
            "state": dict(summary.get("by_state") or {}),
        }


class Mediators(_Calls):
    """Invitations are single use and expire (``intake.invites``): stored server side as a hash."""

    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc

    async def is_mediator(self, chat_id: int) -> bool:
        return bool(await self.svc.mediators.is_mediator(chat_id))

    async def add(self, chat_id: int, name: str, community: str, specialties: list[str]) -> None:
        await self.call(
            self.svc.mediators.add(chat_id, name, communities=[community], specialties=specialties)
        )

    async def create_invite(self, community: str, created_by: int) -> port.Invitation:
        invite = await self.call(self.svc.invites.create(community, created_by))
        hours = (invite.expires_at - self.svc.clock.now()).total_seconds() / 3600
        return port.Invitation(invite.token, max(1, round(hours)))

    async def redeem_invite(self, token: str, chat_id: int, name: str) -> str:
        try:
            return await self.svc.invites.redeem(token, chat_id, name)
        except (InviteUnknown, InviteUsed, InviteExpired, AlreadyMediator) as error:
            raise ServiceError(f"invite.{error.code}") from error
        except IntakeError as error:
            raise _error(error) from error


class Participation(_Calls):
    def __init__(self, svc: IntakeServices) -> None:
        self.svc = svc

    async def suggest(self, chat_id: int, community: str | None, text: str) -> str:
        view = await self.call(
            self.svc.participation.submit_suggestion(chat_id, text, community_code=community)
        )
        return f"S{view.id:05d}"

    async def report(
        self,
        chat_id: int,
        community: str | None,
        text: str,
        photo: str | None,
        location: tuple[float, float] | None,
    ) -> str:
        view = await self.call(
            self.svc.participation.submit_report(
                chat_id,
                text,
                photo_file_ids=(photo,) if photo else (),
                latitude=location[0] if location else None,
                longitude=location[1] if location else None,
                community_code=community,
            )
        )
        return f"R{view.id:05d}"

    async def is_staff(self, chat_id: int) -> bool:
        return bool(await self.svc.communities.staff_community_ids(chat_id))

    async def open_suggestions(self, chat_id: int, limit: int, after: int = 0) -> list[port.SuggestionItem]:
        views = await self.call(self.svc.participation.suggestions_for_staff(chat_id, limit, after))
        return [port.SuggestionItem(v.id, f"S{v.id:05d}", v.community, v.text, v.created_at) for v in views]

    async def open_reports(self, chat_id: int, limit: int, after: int = 0) -> list[port.ReportItem]:
        views = await self.call(self.svc.participation.reports_for_staff(chat_id, limit, after))
        return [
            port.ReportItem(
                v.id,
                f"R{v.id:05d}",
                v.community,
                v.grid,
                v.text,
                v.location_text
                or (
                    f"{v.latitude:.5f},{v.longitude:.5f}"
                    if v.latitude is not None and v.longitude is not None
                    else ""
                ),
                v.state,
                len(v.photo_file_ids),
                v.created_at,
            )
            for v in views
        ]

    async def reply_suggestion(self, chat_id: int, suggestion_id: int, text: str) -> None:
        await self.call(self.svc.participation.reply_suggestion(suggestion_id, chat_id, text))

    async def mark_report(self, chat_id: int, report_id: int, state: str, reply: str) -> None:
        await self.call(self.svc.participation.update_report(report_id, chat_id, state, reply))


class _ChatStates:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = ChatStateRepository(session)

    async def load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        record = await self.repository.get(key)
        return (record.state, dict(record.data or {})) if record else (None, {})

    async def save_state(self, key: str, state: str | None) -> None:
        await self.repository.set_state(key, state, chat_id=chat_of(key))

    async def save_data(self, key: str, data: dict[str, Any]) -> None:
        await self.repository.set_data(key, data, chat_id=chat_of(key))


# How long an update may wait for a database connection. On SQLite the writer pool has one connection:
# a burst (100 residents confirming their cases in the same second) queues for it, and waiting is the
# right answer there, so this is a guard against a stuck connection, not a load limit.
QUEUE_TIMEOUT_SECONDS = 120


class IntakeBackend:
    def __init__(
        self,
        settings: IntakeSettings,
        engine: AsyncEngine,
        states_engine: AsyncEngine,
        assistant: Assistant,
        read_engine: AsyncEngine | None = None,
        states_read_engine: AsyncEngine | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        # Reads that need no transaction of the update (the resident's language, a handoff card's
        # details, the form state) go to the readers: on SQLite they read beside the one writer (WAL).
        self.read_engine = read_engine or engine
        self.readers: async_sessionmaker[AsyncSession] = make_sessionmaker(self.read_engine)
        self.states_engine = states_engine
        self.states_read_engine = states_read_engine or states_engine
        self._stores: list[SqliteChatStates] = []  # closed with the backend
        self.assistant = assistant

    @classmethod
    async def open(cls, assistant: Assistant, data_dir: Path | None = None) -> IntakeBackend:
        settings = IntakeSettings(data_dir=data_dir) if data_dir else IntakeSettings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        await upgrade(url)
        states_url = url  # on PostgreSQL the same database, through pools of its own
        if url.startswith("sqlite"):
            from intake.models import ChatState

            states_url = f"sqlite+aiosqlite:///{settings.data_dir / 'chat-states.db'}"
            creator = make_engine(states_url)
            async with creator.begin() as connection:
                table = ChatState.metadata.tables[ChatState.__tablename__]
                await connection.run_sync(lambda sync: table.create(sync, checkfirst=True))
            await creator.dispose()
        timeout = {"pool_timeout": QUEUE_TIMEOUT_SECONDS}
        return cls(
            settings,
            make_engine(url, **timeout),
            make_engine(states_url, **timeout),
            assistant,
            read_engine=make_read_engine(url, readers=16, **timeout) if url.startswith("sqlite") else None,
            states_read_engine=make_read_engine(states_url, **timeout) if url.startswith("sqlite") else None,
        )

    def _services(self, session: AsyncSession) -> port.Services:
        svc = IntakeServices(session, self.settings)
        return port.Services(
            Residents(svc),
            Communities(svc),
            Cases(svc),
            Mediators(svc),
            Participation(svc),
            Consultations(svc),
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[port.Services]:
        async with self.sessions() as session:
            services = self._services(session)
            yield services
            residents = services.residents
            if isinstance(residents, Residents):  # read back what was written, in the same transaction
                for chat_id in sorted(residents.written):
                    services.written_residents[chat_id] = await residents.get(chat_id)
            services.used_database = session.in_transaction()
            await session.commit()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[port.Services]:
        async with self.readers() as session:
            yield self._services(session)

    def fsm_storage(self) -> DatabaseStorage:
        store: ChatStateStore
        database = self.states_engine.url.database
        if self.states_engine.url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
            store = SqliteChatStates(Path(database))
            self._stores.append(store)
        else:
            store = SessionChatStates(
                make_sessionmaker(self.states_engine), _ChatStates, make_sessionmaker(self.states_read_engine)
            )
        return DatabaseStorage(store)

    async def deliver_notifications(self, sender: NotificationSender, now: datetime) -> int:
        async with self.readers() as session:  # most passes find nothing: do not take the writer for it
            if not await any_due(session, _utc(now)):
                return 0
        report = await deliver_due(self.sessions, sender, self.settings, _utc(now))
        return int(report.sent)

    async def tick(self, now: datetime) -> int:
        async with self.sessions() as session:
            report = await tick(session, self.settings, _utc(now))
            await session.commit()
        return int(report.total)

    async def case_details(self, case_no: str, viewer_chat_id: int) -> dict[str, Any]:
        """What a handoff card needs beyond the outbox payload (summary, place, opened at)."""
        async with self.readers() as session:
            view = await IntakeServices(session, self.settings).cases.show(case_no, viewer_chat_id)
        return {
            "summary": view.description[:300],
            "place": view.address or "—",
            "created_at": view.opened_at.isoformat(),
        }

    async def team_topic(self, case_no: str) -> port.TeamTopic:
        """The case's topic in the mediators' group (and its live offer card), if one was opened."""
        async with self.sessions() as session:
            found = await IntakeServices(session, self.settings).team_threads.get(case_no)
        return port.TeamTopic(found.thread_id, found.card_message_id)

    async def save_team_topic(self, case_no: str, topic: port.TeamTopic) -> None:
        """Stored at once, in its own transaction: the topic and the card exist on Telegram from now on."""
        async with self.sessions() as session:
            threads = IntakeServices(session, self.settings).team_threads
            await threads.set(case_no, topic.thread_id, topic.card_message_id)
            await session.commit()

    async def language_of(self, chat_id: int) -> str | None:
        """The language a resident chose (notifications follow it), None for anyone else."""
        async with self.sessions() as session:
            view = await IntakeServices(session, self.settings).residents.get(chat_id)
        return view.language if view is not None else None

    async def ingest_document(self, path: Path, community: str | None) -> int:
        """Into the knowledge base the assistant answers from, so the next question sees it."""
        from bot.adapters.answers import ingest_sources

        ingest_async = getattr(self.assistant, "ingest_async", None)
        if ingest_async is not None:  # the assistant's worker process
            return int(await ingest_async([path], community))
        ingest = getattr(self.assistant, "ingest", None)
        if ingest is None:
            return await asyncio.to_thread(ingest_sources, [path], community)
        return int(await asyncio.to_thread(ingest, [path], community))

    async def outbox_pending(self) -> int:
        from sqlalchemy import func, select

        from intake.models import Notification

        async with self.sessions() as session:
            query = select(func.count()).where(Notification.status == "pending")
            return int(await session.scalar(query) or 0)

    async def seed(self, communities: list[dict[str, Any]], mediators: list[dict[str, Any]]) -> None:
        """Sample data for the demo and the terminal chat: added only when missing."""
        async with self.sessions() as session:
            svc = IntakeServices(session, self.settings)
            known = {c.code for c in await svc.communities.list()}
            for item in communities:
                if item["code"] not in known:
                    await svc.communities.add(
                        item["code"],
                        item["name"],
                        level=item.get("level", "village"),
                        parent_code=item.get("parent"),
                        grid_worker_chat_id=item.get("grid_worker_chat_id"),
                    )
            for item in mediators:
                if not await svc.mediators.is_mediator(int(item["chat_id"])):
                    await svc.mediators.add(
                        int(item["chat_id"]),
                        item["name"],
                        communities=list(item.get("communities") or [item["community"]]),
                        specialties=list(item.get("specialties") or []),
                        capacity=int(item.get("capacity", 3)),
                        level=int(item.get("level", 1)),
                    )
            staff = {s.chat_id for s in await svc.communities.list_staff()}
            for item in communities:
                coordinator = item.get("coordinator_chat_id")
                if coordinator and coordinator not in staff and item.get("level") == "village":
                    await svc.communities.add_staff(
                        int(coordinator), "协调员", role="coordinator", community_code=item["code"]
                    )
                    staff.add(coordinator)
            await session.commit()

    async def close(self) -> None:
        close_assistant = getattr(self.assistant, "aclose", None)
        if close_assistant is not None:  # the assistant's worker process
            await close_assistant()
        for store in self._stores:
            await store.close()
        self._stores.clear()
        engines = (self.engine, self.read_engine, self.states_engine, self.states_read_engine)
        for engine in dict.fromkeys(engines):  # each once, in order
            await engine.dispose()


def _utc(now: datetime) -> datetime:
    from datetime import UTC

    return now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
