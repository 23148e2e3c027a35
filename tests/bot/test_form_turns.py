"""Under a burst, form work takes turns and questions go straight in (``bot.middlewares.lanes``)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram.types import CallbackQuery, Message

from bot.middlewares.lanes import FormTurns

USER = {"id": 1001, "is_bot": False, "first_name": "张"}
CHAT = {"id": 1001, "type": "private"}


def _message(text: str) -> Message:
    return Message.model_validate({"message_id": 1, "date": 0, "chat": CHAT, "from": USER, "text": text})


def _press() -> CallbackQuery:
    return CallbackQuery.model_validate({"id": "1", "from": USER, "chat_instance": "c", "data": "x"})


async def test_form_work_takes_turns_and_a_question_goes_straight_in() -> None:
    turns = FormTurns(at_once=1)
    release = asyncio.Event()
    running: list[str] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        running.append(data["name"])
        if data["name"] == "press":
            await release.wait()
        return str(data["name"])

    press = asyncio.create_task(turns(handler, _press(), {"name": "press"}))
    await asyncio.sleep(0)
    in_form = {"name": "step", "raw_state": "IntakeForm:respondent"}
    step = asyncio.create_task(turns(handler, _message("东边邻居"), in_form))
    question = asyncio.create_task(turns(handler, _message("宅基地能继承吗？"), {"name": "question"}))
    assert await asyncio.wait_for(question, 5) == "question"  # not held up by the form work
    assert running == ["press", "question"] and not step.done()  # the form step waits its turn
    release.set()
    assert await asyncio.wait_for(step, 5) == "step"
    assert await press == "press"
