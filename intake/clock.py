"""An injectable clock so the legal clocks can be tested without waiting a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from intake.settings import IntakeSettings


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (tests, benchmarks, replays)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


class ClockedService:
    """A service bound to one session, with the settings and an injectable clock."""

    def __init__(
        self, session: AsyncSession, settings: IntakeSettings | None = None, clock: Clock | None = None
    ) -> None:
        from intake.settings import IntakeSettings

        self.session = session
        self.settings = settings or IntakeSettings()
        self.clock = clock or SystemClock()
