"""The persistent form state: written through to the database, read from memory, copies handed out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.adapters.intake_backend import IntakeBackend
from bot.storage import SqliteChatStates, storage_key
from intake.chat_states import ChatStateRepository
from intake.db import make_sessionmaker
from intake.models import ChatState

KEY = StorageKey(bot_id=1, chat_id=1001, user_id=1001)


async def test_form_state_is_written_through_and_read_back_after_a_restart(backend: IntakeBackend) -> None:
    storage = backend.fsm_storage()
    await storage.set_state(KEY, "IntakeForm:place")
    await storage.set_data(KEY, {"draft": {"place": "东头"}, "done": ["category"]})
    data = await storage.get_data(KEY)
    data["draft"]["place"] = "changed by the handler, not saved"
    assert (await storage.get_data(KEY))["draft"]["place"] == "东头"
    assert await storage.get_state(KEY) == "IntakeForm:place"

    restarted = backend.fsm_storage()  # a new process: nothing in memory, all from the database
    assert await restarted.get_state(KEY) == "IntakeForm:place"
    assert await restarted.get_data(KEY) == {"draft": {"place": "东头"}, "done": ["category"]}


async def test_a_failed_write_leaves_no_cached_guess(
    backend: IntakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = backend.fsm_storage()
    await storage.set_state(KEY, "IntakeForm:place")
    assert await storage.get_state(KEY) == "IntakeForm:place"

    async def refuse(key: str, state: str | None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(storage.store, "save_state", refuse)
    with pytest.raises(OSError):
        await storage.set_state(KEY, "IntakeForm:outcome")
    assert await storage.get_state(KEY) == "IntakeForm:place"  # what the database holds


async def test_the_sqlite_store_writes_rows_sqlalchemy_reads(backend: IntakeBackend) -> None:
    """The fast SQLite store and intake's repository share the table: same JSON, same timestamps."""
    storage = backend.fsm_storage()
    assert isinstance(storage.store, SqliteChatStates)
    await storage.set_data(KEY, {"draft": {"description": "邻居的狗"}, "done": []})
    await storage.set_state(KEY, "IntakeForm:respondent")
    async with make_sessionmaker(backend.states_engine)() as session:
        row = await session.get(ChatState, storage_key(KEY))
        assert row is not None
        assert (row.chat_id, row.state) == (1001, "IntakeForm:respondent")
        assert row.data == {"draft": {"description": "邻居的狗"}, "done": []}
        assert abs((datetime.now(UTC) - row.updated_at).total_seconds()) < 600
        await ChatStateRepository(session).set_data(storage_key(KEY), {"done": ["category"]})
        await session.commit()
    assert await backend.fsm_storage().get_data(KEY) == {"done": ["category"]}
    assert await backend.fsm_storage().get_state(KEY) == "IntakeForm:respondent"
