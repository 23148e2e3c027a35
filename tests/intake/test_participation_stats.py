"""Suggestions and hazard reports; statistics and the CSV export; the chat-state repository."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from intake.cases import AgreementIn
from intake.errors import AccessDenied, InvalidInput
from tests.intake.conftest import (
    COORD_QSC,
    GRID_WORKER_1,
    MEDIATOR_A,
    RESIDENT,
    RESIDENT_2,
    Db,
    notifications,
    open_case,
    seeded,
)


async def test_suggestion_gets_a_public_reply(db: Db) -> None:
    await seeded(db)
    async with db.sessions() as session:
        p = db.services(session).participation
        s = await p.submit_suggestion(RESIDENT, "建议在村口装路灯")
        with pytest.raises(AccessDenied):
            await p.reply_suggestion(s.id, RESIDENT_2, "好")
        answered = await p.reply_suggestion(s.id, COORD_QSC, "已列入下月计划")
        await session.commit()
    assert answered.state == "answered" and answered.public_reply == "已列入下月计划"
    assert [c for c, _, _ in await notifications(db, "suggestion_new")] == [COORD_QSC]
    assert [c for c, _, _ in await notifications(db, "suggestion_replied")] == [RESIDENT]


async def test_hazard_report_goes_to_the_grid_worker_and_is_tracked_to_fixed(db: Db) -> None:
    await seeded(db)
    async with db.sessions() as session:
        p = db.services(session).participation
        r = await p.submit_report(
            RESIDENT,
            "桥栏杆断了",
            photo_file_ids=["ph1"],
            latitude=30.2,
            longitude=120.1,
            location_text="村东小桥",
        )
        assert r.grid == "QSC-01" and r.routed_to_chat_id == GRID_WORKER_1
        with pytest.raises(InvalidInput):
            await p.update_report(r.id, GRID_WORKER_1, "open")
        await p.update_report(r.id, GRID_WORKER_1, "in_progress")
        fixed = await p.update_report(r.id, COORD_QSC, "fixed", "已更换栏杆")
        with pytest.raises(InvalidInput, match="fixed"):
            await p.update_report(r.id, COORD_QSC, "in_progress")
        other = await p.submit_report(RESIDENT_2, "路面塌陷", grid_code="QSC-02")
        await session.commit()
    assert fixed.state == "fixed" and fixed.public_reply == "已更换栏杆"
    assert other.routed_to_chat_id == COORD_QSC  # grid without a worker: the village coordinator
    assert [p["state"] for c, _, p in await notifications(db, "report_updated")] == ["in_progress", "fixed"]


async def test_statistics_and_csv(db: Db, tmp_path: Path) -> None:
    await seeded(db)
    done = await open_case(db)
    await open_case(db, "婚姻家庭", address="a")
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.accept_offer(done, MEDIATOR_A)
        await cases.start_mediation(done, MEDIATOR_A)
        db.clock.advance(days=4)
        await cases.record_agreement(done, MEDIATOR_A, AgreementIn("oral", "道歉", date(2026, 11, 6)))
        await session.commit()
    async with db.sessions() as session:
        stats = await db.services(session).stats.summary()
        assert (await db.services(session).stats.summary("LSS")).total == 0
        count = await db.services(session).stats.export_csv(tmp_path / "cases.csv")
    assert stats.total == 2 and stats.open == 2 and stats.resolved == 1
    assert stats.by_category == {"邻里纠纷": 1, "婚姻家庭": 1}
    assert stats.by_state == {"agreed": 1, "accepted": 1}
    assert stats.by_community == {"QSC": 2}
    assert stats.on_time_rate == 1.0 and stats.median_days_to_resolution == 4.0
    rows = list(csv.DictReader((tmp_path / "cases.csv").open(encoding="utf-8-sig")))
    assert count == 2 and {r["case_no"] for r in rows} == {done, "QSC-202611-0002"}
    assert "description" not in rows[0] and rows[0]["mediator"] in ("王大伯", "")


async def test_median_of_an_even_count(db: Db) -> None:
    await seeded(db)
    days = [1, 2, 6, 10]
    for i, d in enumerate(days):
        case_no = await open_case(db, "其他", address=f"{i}")
        async with db.sessions() as session:
            db.clock.advance(days=d)
            await db.services(session).cases.withdraw(case_no, RESIDENT)
            await session.commit()
            db.clock.advance(days=-d)
    async with db.sessions() as session:
        stats = await db.services(session).stats.summary()
    assert stats.median_days_to_resolution == 4.0 and stats.resolved == 4


async def test_chat_state_repository(db: Db) -> None:
    async with db.sessions() as session:
        repo = db.services(session).chat_states
        assert await repo.get("k") is None
        await repo.set_state("k", "Form:name", chat_id=5)
        await repo.set_data("k", {"name": "陈", "n": 1})
        await session.commit()
    async with db.sessions() as session:
        repo = db.services(session).chat_states
        record = await repo.get("k")
        assert record is not None and record.state == "Form:name" and record.data == {"name": "陈", "n": 1}
        await repo.set_state("k", None)
        await repo.delete("k")
        assert await repo.get("k") is None
