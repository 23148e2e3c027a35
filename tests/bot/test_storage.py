"""The persistent form state: written through to the database, read from memory, copies handed out."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.adapters import intake_backend
from bot.adapters.intake_backend import IntakeBackend

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

    async def refuse(self: Any, key: str, state: str | None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(intake_backend._ChatStates, "save_state", refuse)
    with pytest.raises(OSError):
        await storage.set_state(KEY, "IntakeForm:outcome")
    assert await storage.get_state(KEY) == "IntakeForm:place"  # what the database holds
