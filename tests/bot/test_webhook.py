"""The webhook server checks Telegram's secret token and feeds accepted updates to the same handlers."""

from __future__ import annotations

import os
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import build_webhook_app
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import offline_settings


def _update(text: str) -> dict[str, object]:
    return {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 0,
            "text": text,
            "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "张"},
        },
    }


async def test_webhook_rejects_a_wrong_secret_and_serves_the_right_one(telegram: FakeTelegram) -> None:
    settings = offline_settings(
        telegram,
        Path(os.environ["HESHI_DATA_DIR"]),
        webhook_secret="s3cret-token",
        webhook_url="https://bot.example.org/telegram",
    )
    app, bot, _dp, _backend = await build_webhook_app(settings)
    async with TestClient(TestServer(app)) as client:
        assert telegram.webhook is not None and telegram.webhook["secret_token"] == "s3cret-token"
        wrong = await client.post(
            "/telegram", json=_update("/help"), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        assert wrong.status == 401
        assert not telegram.messages[1001]
        right = await client.post(
            "/telegram", json=_update("/help"), headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        )
        assert right.status == 200
        await telegram.wait_text(1001, "我能帮您做这些事")
    await bot.session.close()
