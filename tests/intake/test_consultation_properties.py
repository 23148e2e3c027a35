"""Property test of the voting rules (hypothesis RuleBasedStateMachine over the real service and a real
database): whatever residents press, in whatever order, with households changing, time passing, forged
buttons and deletions, each voter has at most one counted vote, every tally adds up to the number of
voters, the service agrees with a plain reference model, and an announced result never changes."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from intake.clock import FakeClock
from intake.consultations import normalise_house
from intake.db import make_engine, make_sessionmaker, upgrade
from intake.errors import IntakeError
from intake.models import Consultation, ConsultationVote
from intake.services import Services
from intake.settings import IntakeSettings
from tests.conftest import pg_url
from tests.intake.conftest import COORD_QSC, drop_database, pg_admin, seed

# Six residents of 青山村 (two grids) and one of 绿水社区, who may never vote in 青山村.
VILLAGERS = [3101, 3102, 3103, 3104, 3105, 3106]
OUTSIDER = 3201
PEOPLE = [*VILLAGERS, OUTSIDER]
HOUSES = ["1号", "2号", "3 号"]
_TEMPLATE: dict[str, str] = {}


async def _seed(url: str) -> None:
    await upgrade(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session:
        svc = Services(session, IntakeSettings(database_url=url), FakeClock())
        await seed(svc, mediators=False)
        for i, chat_id in enumerate(PEOPLE):
            place = ("LSS", "LSS-01") if chat_id == OUTSIDER else ("QSC", f"QSC-0{1 + i % 2}")
            await svc.residents.register(chat_id, f"居民{i}", community_code=place[0], grid_code=place[1])
            await svc.residents.give_consent(chat_id, "v1")
        await session.commit()
    await engine.dispose()


def _template(backend: str) -> str:
    if backend not in _TEMPLATE:
        if backend == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="heshi-prop-consult-")) / "template.db"
            asyncio.run(_seed(f"sqlite+aiosqlite:///{path}"))
            _TEMPLATE[backend] = str(path)
        else:
            name = f"heshi_cprop_tmpl_{uuid.uuid4().hex[:10]}"
            asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
            asyncio.run(_seed(_pg_url(name)))
            _TEMPLATE[backend] = name
    return _TEMPLATE[backend]


def _pg_url(name: str) -> str:
    return (pg_url() or "").rsplit("/", 1)[0] + f"/{name}"


@dataclass
class Model:
    """What the rules say should have happened to one consultation."""

    id: int
    per: str
    option_ids: list[int]
    closes_at: Any
    closed: bool = False
    votes: dict[int, tuple[int, str]] = field(default_factory=dict)  # resident → (option, voter key)
    announced: dict[str, Any] | None = None


class VotingMachine(RuleBasedStateMachine):
    backend: ClassVar[str] = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="heshi-prop-vote-"))
        self.pg_name: str | None = None
        if self.backend == "sqlite":
            shutil.copy(_template("sqlite"), self.dir / "v.db")
            url = f"sqlite+aiosqlite:///{self.dir / 'v.db'}"
        else:
            self.pg_name = f"heshi_cprop_{uuid.uuid4().hex[:12]}"
            template = _template("postgres")
            self.loop.run_until_complete(pg_admin(f'CREATE DATABASE "{self.pg_name}" TEMPLATE "{template}"'))
            url = _pg_url(self.pg_name)
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.clock = FakeClock()
        self.settings = IntakeSettings(database_url=url)
        self.consultations: list[Model] = []
        self.houses: dict[int, str] = {}  # resident chat id → household key suffix
        self.deleted: set[int] = set()
        self.resident_ids: dict[int, int] = {}

    def teardown(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())
        self.loop.run_until_complete(drop_database(self.pg_name))
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _do(self, work: Callable[[Services], Awaitable[Any]]) -> Any:
        """One operation in one transaction; a refusal rolls back and is returned, not raised."""

        async def run() -> Any:
            async with self.sessions() as session:
                try:
                    result = await work(Services(session, self.settings, self.clock))
                except IntakeError as error:
                    await session.rollback()
                    return error
                await session.commit()
                return result

        return self.loop.run_until_complete(run())

    # -- operations -------------------------------------------------------------------------------
    @initialize(hours=st.integers(2, 72))
    def open_one_of_each(self, hours: int) -> None:
        self.open_consultation("resident", hours)
        self.open_consultation("household", hours)

    @precondition(lambda self: len(self.consultations) < 4)
    @rule(per=st.sampled_from(["resident", "household"]), hours=st.integers(2, 72))
    def open_consultation(self, per: str, hours: int) -> None:
        closes_at = self.clock.now() + timedelta(hours=hours)
        view = self._do(
            lambda s: s.consultations.create(
                "QSC",
                "修路还是修桥？",
                ["修路", "修桥", "都不修"],
                closes_at,
                per=per,
                staff_chat_id=COORD_QSC,
            )
        )
        assert not isinstance(view, IntakeError), view
        self.consultations.append(Model(view.id, per, [o.id for o in view.options], view.closes_at))

    @rule(person=st.sampled_from(PEOPLE), house=st.sampled_from(HOUSES))
    def set_household(self, person: int, house: str) -> None:
        result = self._do(lambda s: s.consultations.set_household(person, house))
        assert isinstance(result, IntakeError) == (person in self.deleted)
        if person not in self.deleted:
            self.houses[person] = normalise_house(house)

    @rule(
        index=st.integers(0, 3),
        person=st.sampled_from(PEOPLE),
        choice=st.integers(0, 2),
        forged=st.booleans(),
    )
    def vote(self, index: int, person: int, choice: int, forged: bool) -> None:
        model = self.consultations[index % len(self.consultations)]
        others = [c for c in self.consultations if c is not model]
        option = others[0].option_ids[choice] if forged and others else model.option_ids[choice]
        expected = self._expected_key(model, person, option)
        result = self._do(lambda s: s.consultations.vote(model.id, person, option))
        assert isinstance(result, IntakeError) == (expected is None), (result, expected)
        if expected is not None:
            model.votes[person] = (option, expected)

    # Voting is what residents do most: a second rule doubles its share of the steps.
    @rule(index=st.integers(0, 3), person=st.sampled_from(PEOPLE), choice=st.integers(0, 2))
    def vote_again(self, index: int, person: int, choice: int) -> None:
        self.vote(index, person, choice, False)

    def _expected_key(self, model: Model, person: int, option: int) -> str | None:
        """The voter key the vote counts under, or ``None`` when the rules refuse it."""
        if model.closed or self.clock.now() >= model.closes_at or option not in model.option_ids:
            return None
        if person == OUTSIDER or person in self.deleted:
            return None
        if person in model.votes:
            return model.votes[person][1]  # a change keeps the key it was cast under
        if model.per == "resident":
            key = f"r:{person}"
        elif person not in self.houses:
            return None
        else:
            grid = VILLAGERS.index(person) % 2
            key = f"h:{grid}:{self.houses[person]}"
        taken = {k for _, k in model.votes.values()}
        return None if key in taken else key

    @rule(hours=st.integers(1, 48), ticks=st.booleans())
    def time_passes(self, hours: int, ticks: bool) -> None:
        """Time moves on; the scheduler may not have run yet (a deadline passed, still marked open)."""
        self.clock.advance(hours=hours)
        if not ticks:
            return
        report = self._do(lambda s: s.tick())
        for model in self.consultations:
            if not model.closed and model.closes_at <= self.clock.now():
                model.closed = True
        assert report.consultations_closed == sum(
            1 for m in self.consultations if m.closed and m.announced is None
        )

    @rule(person=st.sampled_from(VILLAGERS))
    def delete_my_data(self, person: int) -> None:
        result = self._do(lambda s: s.residents.delete_data(person))
        assert isinstance(result, IntakeError) == (person in self.deleted)
        self.deleted.add(person)
        self.houses.pop(person, None)
        for model in self.consultations:
            if not model.closed:
                model.votes.pop(person, None)

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def one_counted_vote_per_voter_and_tallies_add_up(self) -> None:
        async def check() -> None:
            async with self.sessions() as session:
                c = Services(session, self.settings, self.clock).consultations
                for model in self.consultations:
                    rows = list(
                        await session.scalars(
                            select(ConsultationVote).where(ConsultationVote.consultation_id == model.id)
                        )
                    )
                    assert len({r.resident_id for r in rows}) == len(rows)
                    assert len({r.voter_key for r in rows}) == len(rows)
                    results = await c.results(model.id)
                    row = await session.get(Consultation, model.id)
                    assert row is not None
                    if model.closed:
                        assert row.state == "closed" and results.counts is not None
                        assert sum(n["votes"] for n in results.counts) == results.votes
                        assert results.votes == len(model.votes)
                        expected = sorted(option for option, _ in model.votes.values())
                        counted = sorted(n["option_id"] for n in results.counts for _ in range(n["votes"]))
                        assert counted == expected
                        if model.announced is None:
                            model.announced = dict(results.to_dict())
                        assert results.to_dict() == model.announced  # never rewritten
                    else:
                        assert row.state == "open" and results.counts is None
                        assert results.votes == len(rows) == len(model.votes)
                        assert sorted(r.option_id for r in rows) == sorted(o for o, _ in model.votes.values())
                    assert results.votes <= results.eligible
                total = await session.scalar(select(func.count()).select_from(ConsultationVote))
                assert (total or 0) <= len(VILLAGERS) * max(len(self.consultations), 1)

        self.loop.run_until_complete(check())


VotingMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_voting_machine = VotingMachine.TestCase


class PostgresVotingMachine(VotingMachine):
    backend = "postgres"


@pytest.mark.postgres
def test_voting_machine_on_postgres() -> None:
    if not pg_url():
        pytest.skip("HESHI_TEST_PG_URL is not set (make test starts a PostgreSQL server)")
    try:
        run_state_machine_as_test(
            PostgresVotingMachine,
            settings=settings(
                max_examples=10,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        if "postgres" in _TEMPLATE:
            asyncio.run(drop_database(_TEMPLATE.pop("postgres")))
