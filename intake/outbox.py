"""The notification outbox: rows written in the same transaction as the change they announce, then
delivered by ``deliver_due`` with retries and exponential back-off.

Delivery is at least once; the dedup key makes sure one event is enqueued once, and a claim (a lease
on the row) makes sure two workers never send the same row at the same time. A row that keeps failing
becomes ``dead`` and a ``delivery_failed`` notification surfaces it to the case's coordinator.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.models import Case, Notification, Offer
from intake.privacy import mask_pii
from intake.settings import IntakeSettings

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=5)


class NotificationSender(Protocol):
    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Deliver one notification; raise on any failure."""


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


async def enqueue(
    session: AsyncSession,
    *,
    recipient_chat_id: int,
    kind: str,
    payload: dict[str, Any],
    dedup_key: str,
    now: datetime,
    case_id: int | None = None,
    offer_id: int | None = None,
) -> bool:
    """Add a notification unless one with the same dedup key exists. Returns whether it was added."""
    values = {
        "recipient_chat_id": recipient_chat_id,
        "kind": kind,
        "payload": jsonable(payload),
        "dedup_key": dedup_key[:200],
        "case_id": case_id,
        "offer_id": offer_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def enqueue_many(session: AsyncSession, items: list[dict[str, Any]], now: datetime) -> None:
    """Bulk ``enqueue`` (same dedup rule): items have recipient_chat_id, kind, payload, dedup_key, case_id."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(items), 500):
        values = [
            {
                "recipient_chat_id": item["recipient_chat_id"],
                "kind": item["kind"],
                "payload": jsonable(item["payload"]),
                "dedup_key": str(item["dedup_key"])[:200],
                "case_id": item.get("case_id"),
                "offer_id": None,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "created_at": now,
            }
            for item in items[start : start + 500]
        ]
        statement = dialect.insert(Notification).values(values)
        await session.execute(statement.on_conflict_do_nothing(index_elements=["dedup_key"]))


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(settings: IntakeSettings, attempts: int) -> timedelta:
    seconds = settings.outbox_backoff_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.outbox_backoff_max_seconds))


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a sender whose lease ran out."""
    return ((Notification.status == "pending") & (Notification.next_attempt_at <= now)) | (
        (Notification.status == "sending") & (Notification.claimed_until < now)
    )


async def any_due(session: AsyncSession, now: datetime) -> bool:
    """Whether a delivery pass would find work: a read, so a caller can skip the claiming transaction
    (it takes SQLite's write lock) when the outbox has nothing due."""
    return (await session.scalar(select(Notification.id).where(_due(now)).limit(1))) is not None


async def _claim(sessions: async_sessionmaker[AsyncSession], now: datetime, limit: int) -> list[Notification]:
    async with sessions() as session:
        due = _due(now)
        ids = list(
            await session.scalars(
                select(Notification.id).where(due).order_by(Notification.next_attempt_at).limit(limit)
            )
        )
        claimed: list[Notification] = []
        for notification_id in ids:
            result = await session.execute(
                update(Notification)
                .where(Notification.id == notification_id, due)
                .values(status="sending", claimed_until=now + CLAIM_LEASE)
            )
            if getattr(result, "rowcount", 0) == 1:
                row = await session.get(Notification, notification_id)
                if row is not None:
                    claimed.append(row)
        await session.commit()
        return claimed


async def _mark_sent(session: AsyncSession, row: Notification, now: datetime) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == row.id)
        .values(status="sent", sent_at=now, attempts=row.attempts + 1, claimed_until=None, last_error="")
    )
    if row.offer_id is not None and row.kind == "case_offered":
        await session.execute(
            update(Offer)
            .where(Offer.id == row.offer_id, Offer.status == "offered")
            .values(status="delivered", delivered_at=now)
        )


async def _mark_failed(
    session: AsyncSession, row: Notification, error: str, settings: IntakeSettings, now: datetime
) -> bool:
    """Record a failed attempt; returns True when the row is now dead."""
    attempts = row.attempts + 1
    dead = attempts >= settings.outbox_max_attempts
    await session.execute(
        update(Notification)
        .where(Notification.id == row.id)
        .values(
            status="dead" if dead else "pending",
            attempts=attempts,
            claimed_until=None,
            last_error=error[:500],
            next_attempt_at=now + backoff(settings, attempts),
        )
    )
    if dead:
        await _surface_dead(session, row, attempts, error, settings, now)
    return dead


async def _surface_dead(
    session: AsyncSession,
    row: Notification,
    attempts: int,
    error: str,
    settings: IntakeSettings,
    now: datetime,
) -> None:
    from intake.routing import Router  # routing enqueues through this module

    router = Router(session, settings, now)
    case = await session.get(Case, row.case_id) if row.case_id is not None else None
    if row.offer_id is not None and case is not None:
        await router.offer_failed(case, row.offer_id, error)
    if row.kind == "delivery_failed":
        return  # never notify about a failed notice about a failed notice
    recipients = await router.responsible_chat_ids(case)
    for chat_id in recipients:
        if chat_id == row.recipient_chat_id:
            continue
        await enqueue(
            session,
            recipient_chat_id=chat_id,
            kind="delivery_failed",
            payload={
                "case_no": case.case_no if case else None,
                "kind": row.kind,
                "recipient_chat_id": row.recipient_chat_id,
                "attempts": attempts,
                "error": mask_pii(error)[:200],
            },
            dedup_key=f"delivery_failed:{row.id}:{chat_id}",
            now=now,
            case_id=row.case_id,
        )


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    sender: NotificationSender,
    settings: IntakeSettings,
    now: datetime,
) -> DeliveryReport:
    """Send every due notification once; each outcome is committed on its own."""
    report = DeliveryReport()
    for row in await _claim(sessions, now, settings.outbox_batch_size):
        try:
            # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that arrives as the send
            # completes (CPython gh-86296), and the scheduler looping on would never stop.
            async with asyncio.timeout(settings.outbox_send_timeout_seconds):
                await sender.send(row.recipient_chat_id, row.kind, dict(row.payload or {}))
        except Exception as error:  # any failure of the channel is retried later
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            log.warning("notification %s (%s) failed: %s", row.id, row.kind, mask_pii(message))
            async with sessions() as session:
                dead = await _mark_failed(session, row, message, settings, now)
                await session.commit()
            report.dead += dead
            report.retried += not dead
            report.errors.append(message)
            continue
        async with sessions() as session:
            await _mark_sent(session, row, now)
            await session.commit()
        report.sent += 1
    return report
