"""What waits for a staff member: open suggestions and unfixed reports of their communities and below."""

from __future__ import annotations

import pytest

from intake.errors import AccessDenied
from tests.intake.conftest import COORD_QSC, COORD_TYZ, RESIDENT, Db, seeded


async def test_staff_see_their_communities_and_below_only(db: Db) -> None:
    await seeded(db)
    async with db.sessions() as session:
        svc = db.services(session)
        p = svc.participation
        await svc.communities.add_staff(7777, "绿水社区主任", role="coordinator", community_code="LSS")
        suggestion = await p.submit_suggestion(RESIDENT, "篮球场开灯")
        report = await p.submit_report(RESIDENT, "路灯坏了", grid_code="QSC-01")
        for staff in (COORD_QSC, COORD_TYZ):  # the village and the town above it
            assert [s.id for s in await p.suggestions_for_staff(staff)] == [suggestion.id]
            assert [r.id for r in await p.reports_for_staff(staff)] == [report.id]
        assert await p.suggestions_for_staff(7777) == [] and await p.reports_for_staff(7777) == []
        with pytest.raises(AccessDenied):
            await p.reports_for_staff(RESIDENT)
        await p.update_report(report.id, COORD_QSC, "in_progress")
        assert [r.state for r in await p.reports_for_staff(COORD_QSC)] == ["in_progress"]
        await p.update_report(report.id, COORD_QSC, "fixed", "修好了")
        await p.reply_suggestion(suggestion.id, COORD_QSC, "下月开灯")
        assert await p.reports_for_staff(COORD_QSC) == [] and await p.suggestions_for_staff(COORD_QSC) == []
