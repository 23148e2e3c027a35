from datetime import date

from intake.cases import AgreementIn, NewCase, Respondent
from tests.intake.conftest import COORD_QSC, MEDIATOR_A, RESIDENT, Db, seed


async def test_a_case_goes_from_opening_to_closing(db: Db) -> None:
    async with db.sessions() as session:
        svc = db.services(session)
        await seed(svc)
        opened = await svc.cases.open(
            NewCase(
                RESIDENT,
                "QSC",
                "邻里纠纷",
                "邻居的树挡住了我家的光",
                grid_code="QSC-01",
                respondents=[Respondent("刘某", "邻居")],
            )
        )
        await session.commit()
    assert opened.case_no.startswith("QSC-2026") and opened.case_no.endswith("-0001")
    assert opened.offered_to is not None and opened.offered_to.chat_id == MEDIATOR_A
    assert opened.coordinator_chat_id == COORD_QSC
    async with db.sessions() as session:
        svc = db.services(session)
        await svc.cases.accept_offer(opened.case_no, MEDIATOR_A)
        await svc.cases.start_mediation(opened.case_no, MEDIATOR_A)
        await svc.cases.record_agreement(
            opened.case_no, MEDIATOR_A, AgreementIn("written", "刘某修剪树枝", date(2026, 11, 5))
        )
        await svc.cases.record_follow_up(opened.case_no, MEDIATOR_A, performed=True)
        await svc.cases.feedback(opened.case_no, RESIDENT, 5, "谢谢")
        await session.commit()
        view = await svc.cases.show(opened.case_no, RESIDENT)
    assert view.state == "closed"
    moves = [(e["from_state"], e["to_state"]) for e in view.events if e["to_state"]]
    assert moves == [
        (None, "submitted"),
        ("submitted", "accepted"),
        ("accepted", "assigned"),
        ("assigned", "in_mediation"),
        ("in_mediation", "agreed"),
        ("agreed", "follow_up"),
        ("follow_up", "closed"),
    ]
