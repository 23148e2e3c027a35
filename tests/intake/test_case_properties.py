"""Property test: no sequence of operations reaches an invalid state, loses an event or leaves an open
case without an owner (hypothesis RuleBasedStateMachine over the real services and a real SQLite file)."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from intake import lifecycle as lc
from intake.cases import AgreementIn, NewCase, Respondent
from intake.clock import FakeClock
from intake.db import make_engine, make_sessionmaker, upgrade
from intake.errors import IntakeError
from intake.models import Case, CaseEvent, Offer
from intake.outbox import deliver_due
from intake.routing import PENDING_OFFER
from intake.services import Services
from intake.settings import IntakeSettings
from tests.conftest import pg_url
from tests.intake.conftest import (
    COORD_QSC,
    COORD_TYZ,
    MEDIATOR_A,
    MEDIATOR_B,
    MEDIATOR_C,
    RESIDENT,
    RESIDENT_2,
    TOWN_MEDIATOR,
    drop_database,
    pg_admin,
    seed,
)

MEDIATORS = [MEDIATOR_A, MEDIATOR_B, MEDIATOR_C, TOWN_MEDIATOR]
ACTORS = [*MEDIATORS, COORD_QSC, COORD_TYZ, RESIDENT, RESIDENT_2]
_TEMPLATE: dict[str, str] = {}


async def _seed_database(url: str) -> None:
    await upgrade(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        await seed(Services(session, IntakeSettings(database_url=url), FakeClock()))
        await session.commit()
    await engine.dispose()


def _sqlite_template() -> str:
    """One migrated and seeded database file, copied for every example (fast and isolated)."""
    if "sqlite" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="heshi-prop-")) / "template.db"
        asyncio.run(_seed_database(f"sqlite+aiosqlite:///{path}"))
        _TEMPLATE["sqlite"] = str(path)
    return _TEMPLATE["sqlite"]


def _pg_template() -> str:
    """A migrated and seeded PostgreSQL database that each example clones (CREATE DATABASE … TEMPLATE)."""
    if "postgres" not in _TEMPLATE:
        name = f"heshi_prop_tmpl_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(_seed_database(_pg_database_url(name)))
        _TEMPLATE["postgres"] = name
    return _TEMPLATE["postgres"]


def _pg_database_url(name: str) -> str:
    return (pg_url() or "").rsplit("/", 1)[0] + f"/{name}"


class FlakySender:
    def __init__(self) -> None:
        self.calls = 0

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.calls += 1
        if self.calls % 3 == 0:
            raise ConnectionError("flaky")


class CaseMachine(RuleBasedStateMachine):
    cases_opened: ClassVar[int] = 0

    backend: ClassVar[str] = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="heshi-prop-case-"))
        self.pg_name: str | None = None
        if self.backend == "sqlite":
            shutil.copy(_sqlite_template(), self.dir / "cases.db")
            url = f"sqlite+aiosqlite:///{self.dir / 'cases.db'}"
        else:
            template = _pg_template()
            self.pg_name = f"heshi_prop_{uuid.uuid4().hex[:12]}"
            self.loop.run_until_complete(pg_admin(f'CREATE DATABASE "{self.pg_name}" TEMPLATE "{template}"'))
            url = _pg_database_url(self.pg_name)
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.clock = FakeClock()
        self.settings = IntakeSettings(database_url=url, duty_staff_chat_ids=[9000], outbox_max_attempts=2)
        self.case_nos: list[str] = []
        self.seen_events: dict[int, list[tuple[int, str, str | None, str | None]]] = {}
        self.sender = FlakySender()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.run_until_complete(drop_database(self.pg_name))
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _do(self, work: Callable[[Services], Awaitable[Any]]) -> None:
        """Run one operation in one transaction; a refusal (IntakeError) must leave nothing behind."""

        async def run() -> None:
            async with self.sessions() as session:
                try:
                    await work(Services(session, self.settings, self.clock))
                except IntakeError:
                    await session.rollback()
                    return
                await session.commit()

        self.loop.run_until_complete(run())

    def _case(self, index: int) -> str:
        return self.case_nos[index % len(self.case_nos)]

    # -- operations -------------------------------------------------------------------------------

    @rule(
        category=st.sampled_from(lc.CATEGORIES),
        grid=st.sampled_from(["QSC-01", "QSC-02", None]),
        complainant=st.sampled_from([RESIDENT, RESIDENT_2]),
        respondent=st.sampled_from(["刘某", "王大伯", ""]),
        address=st.sampled_from(["", "3组", "5组"]),
        urgent=st.booleans(),
    )
    def open_case(
        self, category: str, grid: str | None, complainant: int, respondent: str, address: str, urgent: bool
    ) -> None:
        async def work(s: Services) -> None:
            new = NewCase(
                complainant,
                "QSC",
                category,
                "纠纷描述",
                grid_code=grid,
                address=address,
                urgent=urgent,
                respondents=[Respondent(respondent)] if respondent else [],
            )
            self.case_nos.append((await s.cases.open(new)).case_no)

        self._do(work)

    @precondition(lambda self: self.case_nos)
    @rule(i=st.integers(0, 30), who=st.sampled_from(MEDIATORS))
    def accept(self, i: int, who: int) -> None:
        self._do(lambda s: s.cases.accept_offer(self._case(i), who))

    @precondition(lambda self: self.case_nos)
    @rule(i=st.integers(0, 30), who=st.sampled_from(MEDIATORS))
    def decline(self, i: int, who: int) -> None:
        self._do(lambda s: s.cases.decline_offer(self._case(i), who, "忙"))

    @precondition(lambda self: self.case_nos)
    @rule(i=st.integers(0, 30), who=st.sampled_from(MEDIATORS), by=st.sampled_from([COORD_QSC, COORD_TYZ]))
    def assign(self, i: int, who: int, by: int) -> None:
        self._do(lambda s: s.cases.assign(self._case(i), who, by))

    @precondition(lambda self: self.case_nos)
    @rule(
        i=st.integers(0, 30),
        who=st.sampled_from(ACTORS),
        action=st.sampled_from(
            [
                "start",
                "agree",
                "fail",
                "close",
                "escalate",
                "reject",
                "withdraw",
                "follow_up_done",
                "follow_up_not_done",
                "urgent",
                "duplicate",
            ]
        ),
    )
    def move(self, i: int, who: int, action: str) -> None:
        case_no = self._case(i)

        async def work(s: Services) -> None:
            c = s.cases
            match action:
                case "start":
                    await c.start_mediation(case_no, who)
                case "agree":
                    await c.record_agreement(case_no, who, AgreementIn("oral", "和解", date(2026, 11, 20)))
                case "fail":
                    await c.record_failure(case_no, who, "不成", "共享法庭")
                case "close":
                    await c.close(case_no, who)
                case "escalate":
                    await c.escalate(case_no, who, "复杂")
                case "reject":
                    await c.reject(case_no, who, "非民事")
                case "withdraw":
                    await c.withdraw(case_no, who)
                case "follow_up_done" | "follow_up_not_done":
                    await c.record_follow_up(case_no, who, action == "follow_up_done")
                case "urgent":
                    await c.mark_urgent(case_no, who)
                case "duplicate":
                    await c.mark_duplicate(case_no, self.case_nos[0], who)

        self._do(work)

    @precondition(lambda self: self.case_nos)
    @rule(i=st.integers(0, 30), who=st.sampled_from(MEDIATORS), by=st.sampled_from([RESIDENT, RESIDENT_2]))
    def recuse(self, i: int, who: int, by: int) -> None:
        self._do(lambda s: s.cases.recuse(self._case(i), by, who, "亲戚"))

    @rule(who=st.sampled_from(MEDIATORS), status=st.sampled_from(["active", "on_leave"]))
    def availability(self, who: int, status: str) -> None:
        self._do(lambda s: s.mediators.set_status(who, status))

    @rule(hours=st.sampled_from([1, 13, 25, 24 * 8, 24 * 26]))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)
        self._do(lambda s: s.tick())

    @rule()
    def deliver(self) -> None:
        self.loop.run_until_complete(deliver_due(self.sessions, self.sender, self.settings, self.clock.now()))

    # -- invariants -------------------------------------------------------------------------------

    def _snapshot(self) -> tuple[list[Case], list[CaseEvent], list[Offer]]:
        async def read() -> tuple[list[Case], list[CaseEvent], list[Offer]]:
            async with self.sessions() as session:
                cases = list(await session.scalars(select(Case)))
                events = list(await session.scalars(select(CaseEvent).order_by(CaseEvent.id)))
                offers = list(await session.scalars(select(Offer)))
                return cases, events, offers

        return self.loop.run_until_complete(read())

    @invariant()
    def cases_are_consistent(self) -> None:
        cases, events, offers = self._snapshot()
        by_case: dict[int, list[CaseEvent]] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)
        for case in cases:
            assert case.state in lc.STATES
            history = by_case.get(case.id, [])
            # No event is ever lost or rewritten: what we saw before is still a prefix.
            seen = self.seen_events.get(case.id, [])
            now = [(e.id, e.action, e.from_state, e.to_state) for e in history]
            assert now[: len(seen)] == seen, f"history of {case.case_no} changed"
            self.seen_events[case.id] = now
            # The moves chain from nothing to the current state, each one allowed.
            moves = [e for e in history if e.to_state is not None]
            assert moves and moves[0].from_state is None and moves[0].to_state == lc.SUBMITTED
            for before, after in itertools.pairwise(moves):
                assert before.to_state == after.from_state
                assert lc.can_move(after.from_state or "", after.to_state or "")
            assert moves[-1].to_state == case.state
            pending = [o for o in offers if o.case_id == case.id and o.status in PENDING_OFFER]
            if case.state in lc.TERMINAL_STATES:
                assert not pending, f"{case.case_no} is {case.state} with a pending offer"
            elif case.state == lc.ASSIGNED:
                assert case.mediator_id is not None and not pending
            elif case.state == lc.IN_MEDIATION:
                # The assigned mediator, or (on an escalated case) the coordinator mediates.
                assert (case.mediator_id or case.coordinator_id) is not None and not pending
            elif case.mediator_id is None:
                # Nobody holds it yet: an offer is out, or a coordinator owns it.
                assert pending or case.coordinator_id is not None, f"{case.case_no} has no owner"
            assert 1 <= case.level <= lc.TOP_LEVEL


CaseMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_case_machine = CaseMachine.TestCase


class PostgresCaseMachine(CaseMachine):
    backend = "postgres"


PostgresCaseMachine.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.postgres
def test_case_machine_on_postgres() -> None:
    if not pg_url():
        pytest.skip("HESHI_TEST_PG_URL is not set (make test starts a PostgreSQL server)")
    try:
        run_state_machine_as_test(PostgresCaseMachine, settings=PostgresCaseMachine.TestCase.settings)
    finally:
        if "postgres" in _TEMPLATE:
            asyncio.run(drop_database(_TEMPLATE.pop("postgres")))
