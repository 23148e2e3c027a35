"""Bot settings (env prefix ``HESHI_``), validated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ChatIds = Annotated[list[int], NoDecode]

# A syntactically valid token for the terminal chat and tests, which talk to the fake Bot API.
OFFLINE_TOKEN = "123456789:heshi-offline-terminal-token"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "heshi"


class BotSettings(BaseSettings):
    """Everything the Telegram bot needs; see docs/bot.md for each variable."""

    model_config = SettingsConfigDict(env_prefix="HESHI_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    telegram_token: SecretStr = SecretStr(OFFLINE_TOKEN)
    telegram_api_base: str | None = None  # e.g. http://127.0.0.1:8081 for a self-hosted Bot API server
    telegram_timeout: float = 30.0  # seconds per Bot API request

    webhook_url: str | None = None  # public https URL Telegram posts to, e.g. https://bot.example.org/tg
    webhook_secret: SecretStr | None = None  # checked against X-Telegram-Bot-Api-Secret-Token
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_path: str = "/telegram"

    admin_chat_ids: ChatIds = Field(default_factory=list)
    duty_chat_ids: ChatIds = Field(default_factory=list)  # alerted at once on urgent messages
    mediators_chat_id: int | None = None  # optional mediators' group (a forum: one topic per case)

    throttle_rate: float = 1.0  # messages per second allowed per user, sustained
    throttle_burst: int = 10  # messages allowed at once before throttling starts
    throttle_cooldown: float = 30.0  # seconds a flooding user is ignored after the warning

    default_language: str = "zh"
    redis_url: SecretStr | None = None  # FSM storage in Redis instead of the database
    scheduler_interval: float = 15.0  # seconds between case-clock ticks and outbox deliveries
    shutdown_grace: float = 10.0  # seconds updates in flight get to finish when the bot stops
    # bot run / webhook: answers and triage in a process of their own (another core, no shared lock)
    assistant_process: bool = True
    privacy_version: str = "2026-11"

    @field_validator("admin_chat_ids", "duty_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("HESHI_DEFAULT_LANGUAGE must be zh or en")
        return value
