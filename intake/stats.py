"""Statistics for the monthly report (SQL aggregates; fast over 100k cases) and the CSV export."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from intake import lifecycle as lc
from intake.admin import community_by_code, descendant_ids
from intake.models import Case, Community, Mediator

CSV_COLUMNS = (
    "case_no",
    "category",
    "community",
    "grid",
    "state",
    "level",
    "urgent",
    "mediator",
    "opened_at",
    "accepted_at",
    "due_at",
    "resolved_at",
    "resolution_days",
    "on_time",
    "closed_at",
)


@dataclass
class Stats:
    total: int = 0
    open: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_community: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    on_time_rate: float | None = None
    median_days_to_resolution: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StatsService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def summary(self, community_code: str | None = None) -> Stats:
        scope: ColumnElement[bool] = true()
        if community_code:
            community = await community_by_code(self.session, community_code)
            scope = Case.community_id.in_(await descendant_ids(self.session, community.id))
        stats = Stats()
        for column, target in ((Case.category, stats.by_category), (Case.state, stats.by_state)):
            rows = await self.session.execute(select(column, func.count()).where(scope).group_by(column))
            target.update({str(key): int(n) for key, n in rows.tuples().all()})
        rows = await self.session.execute(
            select(Community.code, func.count())
            .select_from(Case)
            .join(Community, Community.id == Case.community_id)
            .where(scope)
            .group_by(Community.code)
        )
        stats.by_community = {code: int(n) for code, n in rows.tuples().all()}
        stats.total = sum(stats.by_state.values())
        stats.open = sum(n for state, n in stats.by_state.items() if state in lc.OPEN_STATES)
        resolved, on_time = (
            await self.session.execute(
                select(
                    func.count(Case.resolution_days),
                    func.sum(case((Case.resolved_on_time.is_(True), 1), else_=0)),
                ).where(scope, Case.resolution_days.is_not(None))
            )
        ).one()
        stats.resolved = int(resolved or 0)
        if stats.resolved:
            stats.on_time_rate = round(int(on_time or 0) / stats.resolved, 4)
            stats.median_days_to_resolution = await self._median(scope, stats.resolved)
        return stats

    async def _median(self, scope: Any, count: int) -> float:
        """Median by two indexed ORDER BY … OFFSET look-ups (portable: SQLite has no percentile)."""
        base = select(Case.resolution_days).where(scope, Case.resolution_days.is_not(None))
        base = base.order_by(Case.resolution_days)
        lower = await self.session.scalar(base.offset((count - 1) // 2).limit(1))
        upper = await self.session.scalar(base.offset(count // 2).limit(1))
        return round((float(lower or 0) + float(upper or 0)) / 2, 2)

    async def export_csv(self, target: Path | IO[str], community_code: str | None = None) -> int:
        """One row per case, no personal data; returns the number of rows."""
        if isinstance(target, Path):
            with target.open("w", newline="", encoding="utf-8-sig") as handle:
                return await self._write(handle, community_code)
        return await self._write(target, community_code)

    async def _write(self, handle: IO[str], community_code: str | None) -> int:
        codes = dict((await self.session.execute(select(Community.id, Community.code))).tuples().all())
        names = dict((await self.session.execute(select(Mediator.id, Mediator.name))).tuples().all())
        query = select(
            Case.case_no,
            Case.category,
            Case.community_id,
            Case.grid_id,
            Case.state,
            Case.level,
            Case.urgent,
            Case.mediator_id,
            Case.opened_at,
            Case.accepted_at,
            Case.due_at,
            Case.resolved_at,
            Case.resolution_days,
            Case.resolved_on_time,
            Case.closed_at,
        )
        if community_code:
            community = await community_by_code(self.session, community_code)
            query = query.where(Case.community_id.in_(await descendant_ids(self.session, community.id)))
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        count = 0
        result = await self.session.stream(query.order_by(Case.id).execution_options(yield_per=2000))
        async for row in result:
            values = list(row)
            values[2] = codes.get(values[2], "")
            values[3] = codes.get(values[3], "") if values[3] else ""
            values[7] = names.get(values[7], "") if values[7] else ""
            writer.writerow(
                ["" if v is None else v.isoformat() if hasattr(v, "isoformat") else v for v in values]
            )
            count += 1
        return count
