"""``heshi consult create/list/results`` through typer's CliRunner on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from intake.db import make_engine, make_sessionmaker
from intake.models import Consultation
from intake.services import Services
from intake.settings import IntakeSettings


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


async def _residents_vote(consultation_id: int, option_ids: list[int]) -> None:
    """Two residents vote (as the bot would), then the deadline is moved into the past."""
    settings = IntakeSettings()
    engine = make_engine(settings.resolved_database_url)
    async with make_sessionmaker(engine)() as session:
        svc = Services(session, settings)
        for chat_id, option_id in zip((101, 102), option_ids, strict=True):
            await svc.residents.register(chat_id, "村民", community_code="QSC")
            await svc.residents.give_consent(chat_id, "v1")
            await svc.consultations.vote(consultation_id, chat_id, option_id)
        await session.execute(update(Consultation).values(closes_at=datetime.now(UTC) - timedelta(minutes=1)))
        await session.commit()
    await engine.dispose()


def test_consult_commands() -> None:
    _run("communities", "add", "TYZ", "桃源镇", "--level", "town")
    _run("communities", "add", "QSC", "青山村", "--parent", "TYZ")
    _run("staff", "add", "--name", "主任", "--chat-id", "70", "--community", "QSC")
    args = ["consult", "create", "--community", "qsc", "--title", "健身广场放哪里？"]
    args += ["--option", "村口", "--option", "学校旁", "--deadline", "3天"]
    opened = json.loads(_run(*args, "--by", "70", "--json"))
    assert opened["state"] == "open" and [o["label"] for o in opened["options"]] == ["村口", "学校旁"]
    assert "error: not allowed" in _run(*args, "--by", "555", code=2)
    assert "error: options" in _run(*args[:-2], "--deadline", "3天", "--option", "村口", code=2)
    assert "error: deadline" in _run(*args[:-1], "昨天", code=2)

    listed = _run("consult", "list", "--community", "QSC")
    assert f"#{opened['id']} [open] QSC 健身广场放哪里？ — 村口 / 学校旁" in listed
    assert "counts are shown once" in _run("consult", "results", str(opened["id"]))

    asyncio.run(_residents_vote(opened["id"], [o["id"] for o in opened["options"]][::-1]))
    assert json.loads(_run("cases", "tick", "--json"))["consultations_closed"] == 1
    results = json.loads(_run("consult", "results", str(opened["id"]), "--json"))
    assert results["state"] == "closed" and results["votes"] == 2 and results["turnout"] == 1.0
    assert [(c["label"], c["votes"]) for c in results["counts"]] == [("村口", 1), ("学校旁", 1)]
    assert "村口: 1" in _run("consult", "results", str(opened["id"]))
    assert json.loads(_run("consult", "list", "--state", "open", "--json")) == {"consultations": []}
    assert "error: consultation 99 not found" in _run("consult", "results", "99", code=2)
    again = json.loads(_run(*args, "--json"))
    assert "error: not allowed" in _run("consult", "cancel", str(again["id"]), "--by", "555", code=2)
    assert f"cancelled #{again['id']} [cancelled]" in _run("consult", "cancel", str(again["id"]))
    assert "error: consultation" in _run("consult", "cancel", str(again["id"]), code=2)
