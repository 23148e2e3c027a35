"""Settings of the case service (env prefix ``HESHI_``), validated at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "heshi"


class IntakeSettings(BaseSettings):
    """Database location, the legal clocks of 人民调解 and the notification outbox."""

    model_config = SettingsConfigDict(env_prefix="HESHI_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    # Empty means a SQLite file `heshi.db` inside data_dir. PostgreSQL: postgresql+asyncpg://user@host/db
    database_url: str = ""

    # Case numbers use the month in this time zone (QSC-202611-0007).
    timezone: str = "Asia/Shanghai"

    # Clocks (days unless named otherwise).
    mediation_due_days: int = Field(30, ge=1)
    reminder_before_days: int = Field(5, ge=0)
    judicial_confirmation_days: int = Field(30, ge=1)
    judicial_reminder_before_days: int = Field(7, ge=0)
    follow_up_after_days: int = Field(14, ge=1)
    offer_timeout_hours: float = Field(24.0, gt=0)
    # Residents who have not voted are reminded this many hours before a consultation closes (0: never).
    consultation_reminder_hours: float = Field(24.0, ge=0)

    # Outbox delivery.
    outbox_max_attempts: int = Field(8, ge=1)
    outbox_backoff_seconds: float = Field(30.0, gt=0)
    outbox_backoff_max_seconds: float = Field(3600.0, gt=0)
    outbox_send_timeout_seconds: float = Field(20.0, gt=0)
    outbox_batch_size: int = Field(100, ge=1)

    # A mediator invitation link works once, within this many hours.
    invite_ttl_hours: float = Field(72.0, gt=0)

    # Duty staff: chat ids told about urgent cases and about anything nobody else can own.
    duty_staff_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)

    # The mediators' team chat (a group): offers, assignments, progress and closing of every case are
    # copied there as ``team_*`` notifications. Same variable as the bot's setting.
    mediators_chat_id: int | None = None

    @field_validator("duty_staff_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.expanduser() / 'heshi.db'}"
