"""Access rules, the resident's export and deletion, PII masking."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from intake.cases import AttachmentIn, Respondent
from intake.errors import AccessDenied, InvalidInput, NotFound
from intake.models import Case, CaseParty, Notification, Recusal, Resident
from intake.privacy import PiiMaskingFilter, mask_id_number, mask_phone, mask_pii
from tests.intake.conftest import (
    COORD_QSC,
    COORD_TYZ,
    MEDIATOR_A,
    MEDIATOR_B,
    RESIDENT,
    RESIDENT_2,
    STRANGER,
    Db,
    open_case,
    seeded,
)


async def test_who_sees_what(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, respondents=[Respondent("刘某", "邻居", "13900001111")])
    async with db.sessions() as session:
        cases = db.services(session).cases
        await db.services(session).communities.add_staff(
            7201, "绿水社区主任", role="coordinator", community_code="LSS"
        )
        own = await cases.show(case_no, RESIDENT)
        assert own.respondents[0]["contact"] == "13900001111"
        offered = await cases.show(case_no, MEDIATOR_A)  # offered, not yet accepted
        assert offered.respondents[0]["contact"] is None and offered.complainant_contact is None
        for outsider in (RESIDENT_2, MEDIATOR_B, STRANGER, 7201):
            with pytest.raises(AccessDenied):
                await cases.show(case_no, outsider)
        assert (await cases.show(case_no, COORD_TYZ)).respondents[0]["contact"] == "13900001111"  # town above
        await cases.accept_offer(case_no, MEDIATOR_A)
        assigned = await cases.show(case_no, MEDIATOR_A)
        assert assigned.respondents[0]["contact"] == "13900001111"
        assert assigned.complainant_contact == "13812345678"
        assert [c.case_no for c in await cases.list_for(RESIDENT)] == [case_no]
        assert await cases.list_for(RESIDENT_2) == []
        assert [c.case_no for c in await cases.list_for(MEDIATOR_A)] == [case_no]
        assert [c.case_no for c in await cases.list_for(COORD_QSC)] == [case_no]
        assert await cases.list_for(7201) == []


async def test_export_holds_everything_and_is_json(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, respondents=[Respondent("刘某")], attachments=[AttachmentIn("f1", "photo")])
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.participation.submit_suggestion(RESIDENT, "村口路灯坏了")
        await svc.chat_states.set_state(f"bot:{RESIDENT}:{RESIDENT}", "Intake:description", chat_id=RESIDENT)
        await session.commit()
        data = await svc.residents.export_data(RESIDENT)
    text = json.dumps(data, ensure_ascii=False)
    assert data["profile"]["phone"] == "13812345678"
    assert data["cases"][0]["case_no"] == case_no and data["cases"][0]["events"]
    assert data["cases"][0]["attachments"] == [{"file_id": "f1", "kind": "photo"}]
    assert "村口路灯坏了" in text and data["chat_states"][0]["state"] == "Intake:description"


async def test_deletion_keeps_an_anonymised_record(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db, respondents=[Respondent("刘某", contact="13900001111")], address="3组5号")
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.participation.submit_report(RESIDENT, "桥栏杆断了", latitude=30.1, longitude=120.2)
        await svc.chat_states.set_data("k", {"draft": "x"}, chat_id=RESIDENT)
        await svc.cases.recuse(case_no, RESIDENT, MEDIATOR_A, "是对方亲戚")
        report = await svc.residents.delete_data(RESIDENT)
        await session.commit()
    assert report.cases_anonymised == 1 and report.cases_withdrawn == 1 and report.chat_states == 1
    async with db.sessions() as session:
        svc = db.services(session)
        assert await svc.residents.get(RESIDENT) is None
        with pytest.raises(NotFound):
            await svc.residents.export_data(RESIDENT)
        case = await session.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None and case.state == "withdrawn" and case.category == "邻里纠纷"
        assert (case.description, case.address, case.complainant_id) == ("", "", None)
        assert await session.scalar(select(func.count()).select_from(CaseParty)) == 0
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.recipient_chat_id == RESIDENT)
            )
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(Resident)) == 1  # RESIDENT_2 remains
        view = await svc.cases.show_admin(case_no)
        assert all(str(RESIDENT) not in e["actor"] and not e["note"] for e in view.events)
        assert await session.scalar(select(Recusal.requested_by)) == "resident"
        assert await svc.chat_states.get("k") is None
        stats = await svc.stats.summary()
        assert stats.by_state == {"withdrawn": 1}


def test_masking_of_phones_and_id_numbers() -> None:
    assert mask_phone("电话13812345678") == "电话138****5678"
    assert mask_phone("+86 138-1234-5678") == "+86 138****5678"
    assert mask_phone("座机0571-87654321") == "座机0571-****4321"
    assert mask_id_number("身份证33010219800101123X") == "身份证3301**********123X"
    assert mask_pii("编号QSC-202611-0007 金额2000元") == "编号QSC-202611-0007 金额2000元"
    assert mask_pii("330102198001011234 13812345678") == "3301**********1234 138****5678"


def test_the_logging_filter_masks_messages_and_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("heshi.test.pii")
    logger.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger="heshi.test.pii"):
        logger.info("resident %s phoned from %s", "张三", "13812345678")
        logger.info("id 330102198001011234")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
    assert "330102198001011234" not in caplog.text


async def test_files_are_added_by_the_complainant_or_the_handler_only(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    async with db.sessions() as session:
        cases = db.services(session).cases
        await cases.add_attachment(case_no, RESIDENT, "voice-1", "voice")
        with pytest.raises(AccessDenied):
            await cases.add_attachment(case_no, STRANGER, "x", "photo")
        with pytest.raises(InvalidInput):
            await cases.add_attachment(case_no, RESIDENT, "x", "sticker")
        await session.commit()
        view = await cases.show(case_no, RESIDENT)
    assert view.attachments == [{"file_id": "voice-1", "kind": "voice"}]
    assert view.events[-1]["actor"] == f"resident:{RESIDENT}"
