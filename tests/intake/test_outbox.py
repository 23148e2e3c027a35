"""The outbox under failures: retries with back-off, at least once, never twice to the person, and a
notification that keeps failing surfaces to the coordinator."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from intake.models import Notification
from intake.outbox import any_due, deliver_due, enqueue
from tests.intake.conftest import COORD_QSC, MEDIATOR_A, MEDIATOR_C, RESIDENT, Db, open_case, seeded


class FlakySender:
    """Fails the first ``failures`` attempts of every notification (raising or hanging), then delivers."""

    def __init__(self, failures: int = 0, mode: str = "raise", fail_for: set[int] | None = None) -> None:
        self.failures, self.mode, self.fail_for = failures, mode, fail_for
        self.attempts: Counter[tuple[int, str, str]] = Counter()
        self.delivered: list[tuple[int, str, dict[str, Any]]] = []

    async def send(self, recipient_chat_id: int, kind: str, payload: dict[str, Any]) -> None:
        key = (recipient_chat_id, kind, str(sorted(payload.items())))
        self.attempts[key] += 1
        failing = self.fail_for is None or recipient_chat_id in self.fail_for
        if failing and self.attempts[key] <= self.failures:
            if self.mode == "hang":
                await asyncio.sleep(30)
            raise ConnectionError("telegram unreachable")
        self.delivered.append((recipient_chat_id, kind, payload))


async def _deliver(db: Db, sender: FlakySender) -> None:
    await deliver_due(db.sessions, sender, db.settings, db.clock.now())


async def _statuses(db: Db) -> Counter[str]:
    async with db.sessions() as session:
        return Counter(await session.scalars(select(Notification.status)))


async def test_retries_with_backoff_deliver_each_notice_exactly_once(db: Db) -> None:
    await seeded(db)
    await open_case(db)
    sender = FlakySender(failures=3)
    await _deliver(db, sender)
    assert sender.delivered == []
    await _deliver(db, sender)  # same moment: back-off holds every row
    assert sum(sender.attempts.values()) == 2  # case_received + case_offered, one attempt each
    for _ in range(6):
        db.clock.advance(seconds=db.settings.outbox_backoff_max_seconds)
        await _deliver(db, sender)
    kinds = sorted(kind for _, kind, _ in sender.delivered)
    assert kinds == ["case_offered", "case_received"]
    assert await _statuses(db) == Counter({"sent": 2})


async def test_backoff_grows_exponentially(db: Db) -> None:
    await seeded(db)
    await open_case(db)
    sender = FlakySender(failures=10, fail_for={RESIDENT})
    gaps = []
    for _ in range(3):
        await _deliver(db, sender)
        async with db.sessions() as session:
            row = await session.scalar(select(Notification).where(Notification.kind == "case_received"))
            assert row is not None
            gaps.append((row.next_attempt_at - db.clock.now()).total_seconds())
            db.clock.set(row.next_attempt_at)
    base = db.settings.outbox_backoff_seconds
    assert gaps == [base, base * 2, base * 4]


async def test_a_hanging_sender_times_out_and_is_retried(db: Db) -> None:
    await seeded(db)
    await open_case(db)
    db.settings.outbox_send_timeout_seconds = 0.05
    sender = FlakySender(failures=1, mode="hang")
    await _deliver(db, sender)
    assert sender.delivered == []
    db.clock.advance(seconds=db.settings.outbox_backoff_seconds)
    await _deliver(db, sender)
    assert len(sender.delivered) == 2 and await _statuses(db) == Counter({"sent": 2})


async def test_a_delivered_offer_is_marked_delivered(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    await _deliver(db, FlakySender())
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    assert [o["status"] for o in view.offers] == ["delivered"]


async def test_a_dead_offer_goes_to_the_next_mediator_and_the_coordinator_is_told(db: Db) -> None:
    await seeded(db)
    case_no = await open_case(db)
    sender = FlakySender(failures=100, fail_for={MEDIATOR_A})
    for _ in range(db.settings.outbox_max_attempts + 1):
        await _deliver(db, sender)
        db.clock.advance(seconds=db.settings.outbox_backoff_max_seconds)
    async with db.sessions() as session:
        view = await db.services(session).cases.show_admin(case_no)
    assert [(o["mediator"], o["status"]) for o in view.offers] == [
        ("王大伯", "failed"),
        ("张老师", "delivered"),
    ]
    surfaced = [(c, p) for c, k, p in sender.delivered if k == "delivery_failed"]
    assert len(surfaced) == 1 and surfaced[0][0] == COORD_QSC
    assert surfaced[0][1]["kind"] == "case_offered" and surfaced[0][1]["recipient_chat_id"] == MEDIATOR_A
    assert [c for c, k, _ in sender.delivered if k == "case_offered"] == [MEDIATOR_C]
    assert await _statuses(db) == Counter({"sent": 3, "dead": 1})


async def test_enqueue_deduplicates(db: Db) -> None:
    async with db.sessions() as session:
        first = await enqueue(
            session, recipient_chat_id=1, kind="k", payload={}, dedup_key="same", now=db.clock.now()
        )
        second = await enqueue(
            session, recipient_chat_id=1, kind="k", payload={}, dedup_key="same", now=db.clock.now()
        )
        await session.commit()
    assert (first, second) == (True, False)


async def test_two_workers_never_send_the_same_row(db: Db) -> None:
    async with db.sessions() as session:
        for i in range(40):
            await enqueue(
                session,
                recipient_chat_id=100 + i,
                kind="k",
                payload={"i": i},
                dedup_key=f"k{i}",
                now=db.clock.now(),
            )
        await session.commit()
    sender = FlakySender()
    await asyncio.gather(*(deliver_due(db.sessions, sender, db.settings, db.clock.now()) for _ in range(3)))
    assert sorted(c for c, _, _ in sender.delivered) == list(range(100, 140))


async def test_a_worker_that_died_mid_send_is_taken_over_after_the_lease(db: Db) -> None:
    async with db.sessions() as session:
        await enqueue(
            session, recipient_chat_id=7, kind="k", payload={}, dedup_key="lease", now=db.clock.now()
        )
        await session.commit()
        row = await session.scalar(select(Notification))
        assert row is not None
        row.status, row.claimed_until = "sending", db.clock.now() + timedelta(minutes=5)
        await session.commit()
    sender = FlakySender()
    await _deliver(db, sender)
    assert sender.delivered == []
    db.clock.advance(minutes=6)
    await _deliver(db, sender)
    assert [c for c, _, _ in sender.delivered] == [7]


async def test_any_due_tells_whether_a_delivery_pass_has_work(db: Db) -> None:
    async def due() -> bool:
        async with db.sessions() as session:
            return await any_due(session, db.clock.now())

    await seeded(db)
    assert not await due()
    await open_case(db)
    assert await due()
    sender = FlakySender(failures=1)
    await _deliver(db, sender)  # both fail once: due again only after the back-off
    assert not await due()
    db.clock.advance(seconds=db.settings.outbox_backoff_max_seconds)
    assert await due()
    await _deliver(db, sender)
    assert not await due() and len(sender.delivered) == 2
