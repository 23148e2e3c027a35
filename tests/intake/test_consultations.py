"""Consultations (众人商量): opening, voting, changing, households, closing by the clock, results,
privacy — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.consultations import (
    ConsultationClosed,
    ConsultationView,
    HouseholdAlreadyVoted,
    HouseholdRequired,
    NotEligible,
)
from intake.deadlines import parse_deadline
from intake.errors import AccessDenied, ConsentRequired, InvalidInput, NotFound
from intake.models import ConsultationVote
from tests.intake.conftest import COORD_QSC, COORD_TYZ, RESIDENT, RESIDENT_2, Db, notifications, seeded

LSS_RESIDENT, NO_CONSENT = 1003, 1004
OPTIONS = ["修在村口", "修在学校旁", "暂不修"]


async def _setup(db: Db) -> None:
    await seeded(db, mediators=False)
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.residents.register(LSS_RESIDENT, "绿水居民", community_code="LSS", grid_code="LSS-01")
        await svc.residents.give_consent(LSS_RESIDENT, "v1")
        await svc.residents.register(NO_CONSENT, "没同意", community_code="QSC", grid_code="QSC-02")
        await session.commit()


async def _open(db: Db, per: str = "resident", days: int = 3, community: str = "QSC") -> ConsultationView:
    async with db.sessions() as session:
        view = await db.services(session).consultations.create(
            community,
            "村里新建健身广场，放在哪里？",
            OPTIONS,
            db.clock.now() + timedelta(days=days),
            per=per,
            description="请大家商量。",
            staff_chat_id=COORD_QSC,
        )
        await session.commit()
    return view


async def _vote(db: Db, consultation_id: int, chat_id: int, option_id: int) -> object:
    async with db.sessions() as session:
        receipt = await db.services(session).consultations.vote(consultation_id, chat_id, option_id)
        await session.commit()
    return receipt


async def _tick(db: Db) -> int:
    async with db.sessions() as session:
        report = await db.services(session).tick()
        await session.commit()
    return report.consultations_closed


async def test_opening_notifies_the_consenting_residents_of_the_community(db: Db) -> None:
    await _setup(db)
    view = await _open(db)
    assert [o.label for o in view.options] == OPTIONS and view.state == "open"
    opened = await notifications(db, "consultation_opened")
    assert sorted(chat for chat, _, _ in opened) == [RESIDENT, RESIDENT_2]  # not LSS, not without consent
    payload = opened[0][2]
    assert payload["title"] == view.title and payload["lang"] == "zh"
    assert [o["label"] for o in payload["options"]] == OPTIONS  # type: ignore[union-attr]


async def test_only_staff_of_the_community_may_open_one_and_bad_input_is_refused(db: Db) -> None:
    await _setup(db)
    deadline = db.clock.now() + timedelta(days=2)
    async with db.sessions() as session:
        c = db.services(session).consultations
        with pytest.raises(AccessDenied):
            await c.create("QSC", "题目", OPTIONS, deadline, staff_chat_id=RESIDENT)
        with pytest.raises(AccessDenied):
            await c.create("LSS", "题目", OPTIONS, deadline, staff_chat_id=COORD_QSC)
        town_wide = await c.create("LSS", "题目", OPTIONS, deadline, staff_chat_id=COORD_TYZ)
        assert town_wide.community == "LSS"
        assert [code for code, _ in await c.opener_communities(COORD_QSC)] == ["QSC"]
        for options in (["只有一个"], [str(i) for i in range(7)], ["同意", "同意 "], ["好", "  "]):
            with pytest.raises(InvalidInput):
                await c.create("QSC", "题目", options, deadline, staff_chat_id=COORD_QSC)
        for bad in (db.clock.now() - timedelta(hours=1), db.clock.now() + timedelta(days=91)):
            with pytest.raises(InvalidInput, match="deadline"):
                await c.create("QSC", "题目", OPTIONS, bad, staff_chat_id=COORD_QSC)
        with pytest.raises(InvalidInput, match="title"):
            await c.create("QSC", " ", OPTIONS, deadline, staff_chat_id=COORD_QSC)
        with pytest.raises(InvalidInput, match="per"):
            await c.create("QSC", "题目", OPTIONS, deadline, per="family", staff_chat_id=COORD_QSC)


async def test_vote_change_and_refusals_change_nothing(db: Db) -> None:
    await _setup(db)
    view = await _open(db)
    other = await _open(db)
    first, second, _ = view.options
    assert not (await _vote(db, view.id, RESIDENT, first.id)).changed  # type: ignore[attr-defined]
    assert (await _vote(db, view.id, RESIDENT, second.id)).changed  # type: ignore[attr-defined]
    assert (await _vote(db, view.id, RESIDENT, second.id)).unchanged  # type: ignore[attr-defined]
    await _vote(db, view.id, RESIDENT_2, second.id)
    refusals: list[tuple[type[Exception], int, int, int]] = [
        (NotEligible, view.id, LSS_RESIDENT, first.id),  # another community
        (ConsentRequired, view.id, NO_CONSENT, first.id),
        (InvalidInput, view.id, RESIDENT, other.options[0].id),  # a forged button: another's option
        (NotFound, 999_999, RESIDENT, first.id),
        (NotFound, view.id, 424242, first.id),  # not a resident at all
    ]
    for error, consultation_id, chat_id, option_id in refusals:
        with pytest.raises(error):
            await _vote(db, consultation_id, chat_id, option_id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        ballots = await c.open_for(RESIDENT)
        assert [(b.consultation.id, b.my_option_id) for b in ballots] == [
            (view.id, second.id),
            (other.id, None),
        ]
        assert await c.open_for(LSS_RESIDENT) == []
        overview = await c.overview_for_staff(COORD_QSC)
        assert sorted((r.votes, r.counts) for r in overview) == [(0, None), (2, None)]
        assert await c.overview_for_staff(RESIDENT) == []
        interim = await c.results(view.id, COORD_QSC)
        assert interim.counts is None and interim.votes == 2 and interim.eligible == 2
        with pytest.raises(AccessDenied):
            await c.results(view.id, LSS_RESIDENT)


async def test_the_clock_closes_it_and_announces_the_tally(db: Db) -> None:
    await _setup(db)
    view = await _open(db, days=2)
    first, second, third = view.options
    await _vote(db, view.id, RESIDENT, first.id)
    await _vote(db, view.id, RESIDENT_2, first.id)
    await _vote(db, view.id, RESIDENT_2, third.id)
    db.clock.advance(days=2)  # at the deadline, before any tick: voting is already refused
    with pytest.raises(ConsultationClosed):
        await _vote(db, view.id, RESIDENT, second.id)
    assert await _tick(db) == 1
    assert await _tick(db) == 0  # idempotent
    with pytest.raises(ConsultationClosed):
        await _vote(db, view.id, RESIDENT, second.id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        result = await c.results(view.id, RESIDENT)
        assert (await c.get(view.id)).state == "closed" and await c.open_for(RESIDENT) == []
    assert result.counts == [
        {"option_id": first.id, "label": OPTIONS[0], "votes": 1},
        {"option_id": second.id, "label": OPTIONS[1], "votes": 0},
        {"option_id": third.id, "label": OPTIONS[2], "votes": 1},
    ]
    assert (result.votes, result.eligible, result.turnout) == (2, 2, 1.0)
    closed = await notifications(db, "consultation_closed")
    assert sorted(chat for chat, _, _ in closed) == [RESIDENT, RESIDENT_2]
    staff = await notifications(db, "consultation_results")
    assert [chat for chat, _, _ in staff] == [COORD_QSC]
    payload = staff[0][2]
    assert payload["counts"] == result.counts
    assert str(RESIDENT) not in str(payload) and str(RESIDENT_2) not in str(payload)  # counts, no voters


async def test_one_vote_per_household(db: Db) -> None:
    await _setup(db)
    view = await _open(db, per="household")
    first, second, _ = view.options
    with pytest.raises(HouseholdRequired):
        await _vote(db, view.id, RESIDENT, first.id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        assert await c.set_household(RESIDENT, "3组 12号") == "3组 12号"
        await c.set_household(RESIDENT_2, "３组１２号")  # the same house, typed differently
        await session.commit()
    await _vote(db, view.id, RESIDENT, first.id)
    with pytest.raises(HouseholdAlreadyVoted):
        await _vote(db, view.id, RESIDENT_2, second.id)
    await _vote(db, view.id, RESIDENT, second.id)  # the household's voter may change it
    async with db.sessions() as session:
        c = db.services(session).consultations
        await c.set_household(RESIDENT_2, "5组3号")  # moved: a household of its own
        await session.commit()
    await _vote(db, view.id, RESIDENT_2, second.id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        await c.set_household(RESIDENT, "5组3号")  # cannot vote again by joining another household
        await session.commit()
    await _vote(db, view.id, RESIDENT, first.id)  # changes their own vote; still two votes in all
    async with db.sessions() as session:
        interim = await db.services(session).consultations.results(view.id)
    assert interim.votes == 2 and interim.eligible == 2


async def test_the_database_refuses_a_second_vote_and_a_foreign_option(db: Db) -> None:
    await _setup(db)
    view = await _open(db)
    other = await _open(db)
    await _vote(db, view.id, RESIDENT, view.options[0].id)
    async with db.sessions() as session:
        mine = await session.scalar(select(ConsultationVote))
        assert mine is not None
        bad_rows = [
            {"option_id": view.options[1].id, "resident_id": mine.resident_id, "voter_key": "x"},
            {
                "option_id": view.options[1].id,
                "resident_id": mine.resident_id + 1,
                "voter_key": mine.voter_key,
            },
            {"option_id": other.options[0].id, "resident_id": mine.resident_id + 1, "voter_key": "y"},
        ]
    for values in bad_rows:
        async with db.sessions() as session:
            session.add(
                ConsultationVote(
                    consultation_id=view.id, cast_at=db.clock.now(), changed_at=db.clock.now(), **values
                )
            )
            with pytest.raises(IntegrityError):
                await session.flush()


async def test_export_and_delete_votes_with_the_residents_data(db: Db) -> None:
    await _setup(db)
    closed = await _open(db, days=1)
    still_open = await _open(db, days=5)
    await _vote(db, closed.id, RESIDENT, closed.options[2].id)
    await _vote(db, still_open.id, RESIDENT, still_open.options[0].id)
    await _vote(db, still_open.id, RESIDENT_2, still_open.options[0].id)
    db.clock.advance(days=1)
    assert await _tick(db) == 1
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.consultations.set_household(RESIDENT, "7号")
        exported = await svc.residents.export_data(RESIDENT)
        await svc.residents.delete_data(RESIDENT)
        await session.commit()
    assert exported["consultations"]["household"] == "7号"
    assert {(v["choice"], v["consultation_state"]) for v in exported["consultations"]["votes"]} == {
        (OPTIONS[2], "closed"),
        (OPTIONS[0], "open"),
    }
    async with db.sessions() as session:
        c = db.services(session).consultations
        announced = await c.results(closed.id)
        interim = await c.results(still_open.id)
        remaining = list(await session.scalars(select(ConsultationVote)))
    assert announced.votes == 1 and announced.counts and announced.counts[2]["votes"] == 1  # frozen tally
    assert interim.votes == 1 and len(remaining) == 1  # the open one no longer counts the deleted vote


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("3天", "2026-11-05 20:00"),
        ("三天后", "2026-11-05 20:00"),
        ("3 days", "2026-11-05 20:00"),
        ("明天", "2026-11-03 20:00"),
        ("12小时", "2026-11-03 04:00"),
        ("11-30", "2026-11-30 20:00"),
        ("11月30日", "2026-11-30 20:00"),
        ("11月30日18点", "2026-11-30 18:00"),
        ("2026-11-30 18:30", "2026-11-30 18:30"),
        ("１１／３０", "2026-11-30 20:00"),
        ("1-5", "2027-01-05 20:00"),  # said in November: next January
    ],
)
def test_deadlines_as_staff_type_them(text: str, expected_local: str) -> None:
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    moment = parse_deadline(text, now)
    assert moment.tzinfo is not None
    from zoneinfo import ZoneInfo

    assert f"{moment.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}" == expected_local


@pytest.mark.parametrize("text", ["", "下周", "13-40", "2026-02-30", "30分钟", "100天", "11-01", "abc"])
def test_bad_deadlines_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput, match="deadline"):
        parse_deadline(text, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))


async def test_one_reminder_before_the_deadline_to_those_who_have_not_voted(db: Db) -> None:
    await _setup(db)
    each = await _open(db, days=3)
    household = await _open(db, per="household", days=3)
    short = await _open(db, days=1)  # shorter than twice the 24-hour window: no reminder
    await _vote(db, each.id, RESIDENT, each.options[0].id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        await c.set_household(RESIDENT, "1号")
        await c.set_household(RESIDENT_2, "1 号")
        await session.commit()
    await _vote(db, household.id, RESIDENT, household.options[1].id)
    db.clock.advance(days=1, hours=12)  # 36 hours before the first two close; the short one closes
    async with db.sessions() as session:
        first = await db.services(session).tick()
        await session.commit()
    assert (first.consultation_reminders, first.consultations_closed) == (0, 1)
    db.clock.advance(hours=13)  # 23 hours before they close
    async with db.sessions() as session:
        report = await db.services(session).tick()
        again = await db.services(session).tick()
        await session.commit()
    assert (report.consultation_reminders, report.consultations_closed) == (2, 0)
    assert again.consultation_reminders == 0
    reminders = await notifications(db, "consultation_reminder")
    # RESIDENT voted in both; RESIDENT_2 only lacks a vote in the per-person one (their household voted).
    assert [(chat, p["consultation_id"]) for chat, _, p in reminders] == [(RESIDENT_2, each.id)]
    assert short.id not in {p["consultation_id"] for _, _, p in reminders}


async def test_staff_cancel_an_open_consultation(db: Db) -> None:
    await _setup(db)
    view = await _open(db)
    await _vote(db, view.id, RESIDENT, view.options[0].id)
    async with db.sessions() as session:
        c = db.services(session).consultations
        with pytest.raises(AccessDenied):
            await c.cancel(view.id, RESIDENT)
        cancelled = await c.cancel(view.id, COORD_QSC)
        with pytest.raises(ConsultationClosed):
            await c.cancel(view.id, COORD_QSC)
        await session.commit()
    assert cancelled.state == "cancelled"
    with pytest.raises(ConsultationClosed):
        await _vote(db, view.id, RESIDENT_2, view.options[0].id)
    db.clock.advance(days=4)
    assert await _tick(db) == 0
    async with db.sessions() as session:
        results = await db.services(session).consultations.results(view.id)
        assert await session.scalar(select(ConsultationVote)) is None  # the votes went with it
    assert results.state == "cancelled" and results.counts is None and results.votes == 0
    told = await notifications(db, "consultation_cancelled")
    assert sorted(chat for chat, _, _ in told) == [RESIDENT, RESIDENT_2]


async def _try_vote(db: Db, consultation_id: int, chat_id: int, option_id: int) -> str:
    async with db.sessions() as session:
        try:
            await db.services(session).consultations.vote(consultation_id, chat_id, option_id)
        except HouseholdAlreadyVoted:
            await session.rollback()
            return "refused"
        await session.commit()
        return "counted"


async def _vote_rows(db: Db, consultation_id: int) -> int:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(ConsultationVote).where(ConsultationVote.consultation_id == consultation_id)
        )
        return len(rows.all())


async def test_racing_votes_one_household_and_a_double_tap(db: Db) -> None:
    """Two sessions at once (as two bot processes): one household vote wins; a double tap is one vote."""
    await _setup(db)
    async with db.sessions() as session:
        c = db.services(session).consultations
        await c.set_household(RESIDENT, "9号")
        await c.set_household(RESIDENT_2, "9号")
        await session.commit()
    for _ in range(3):
        view = await _open(db, per="household")
        first, second = view.options[0].id, view.options[1].id
        results = await asyncio.gather(
            _try_vote(db, view.id, RESIDENT, first), _try_vote(db, view.id, RESIDENT_2, second)
        )
        assert sorted(results) == ["counted", "refused"] and await _vote_rows(db, view.id) == 1
        each = await _open(db)
        taps = await asyncio.gather(
            _try_vote(db, each.id, RESIDENT, each.options[0].id),
            _try_vote(db, each.id, RESIDENT, each.options[1].id),
        )
        assert taps == ["counted", "counted"] and await _vote_rows(db, each.id) == 1
