"""Communities (区县 → 镇街 → 村社 → 网格), staff and mediators: the administrators' services."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.errors import InvalidInput, NotFound
from intake.lifecycle import CATEGORIES, LADDER
from intake.models import Case, Community, Mediator, MediatorArea, Offer, Staff
from intake.views import CommunityView, MediatorView, StaffView

LEVELS = ("county", "town", "village", "grid")
STAFF_ROLES = ("coordinator", "grid_worker", "admin", "duty")
MEDIATOR_STATUSES = ("active", "on_leave", "retired")
# States in which a case counts against its mediator's capacity.
LOAD_STATES = ("assigned", "in_mediation", "escalated")


async def community_by_code(session: AsyncSession, code: str) -> Community:
    row = await session.scalar(select(Community).where(Community.code == code))
    if row is None:
        raise NotFound("community", code)
    return row


async def ancestors(session: AsyncSession, community: Community) -> list[Community]:
    """The community itself, then its parent, up to the county."""
    chain = [community]
    while chain[-1].parent_id is not None and len(chain) < 8:
        parent = await session.get(Community, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    return chain


async def descendant_ids(session: AsyncSession, community_id: int) -> set[int]:
    """The community and everything below it (a few hundred rows at most per county)."""
    rows = (await session.execute(select(Community.id, Community.parent_id))).all()
    children: dict[int | None, list[int]] = {}
    for child, parent in rows:
        children.setdefault(parent, []).append(child)
    found, frontier = {community_id}, [community_id]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


async def code_of(session: AsyncSession, community_id: int | None) -> str | None:
    if community_id is None:
        return None
    return await session.scalar(select(Community.code).where(Community.id == community_id))


async def mediator_loads(session: AsyncSession, mediator_ids: Iterable[int]) -> dict[int, int]:
    """Open cases held plus offers waiting for an answer, for many mediators in two grouped queries."""
    ids = list(mediator_ids)
    loads = dict.fromkeys(ids, 0)
    if not ids:
        return loads
    held = await session.execute(
        select(Case.mediator_id, func.count())
        .where(Case.mediator_id.in_(ids), Case.state.in_(LOAD_STATES))
        .group_by(Case.mediator_id)
    )
    waiting = await session.execute(
        select(Offer.mediator_id, func.count())
        .where(Offer.mediator_id.in_(ids), Offer.status.in_(("offered", "delivered")))
        .group_by(Offer.mediator_id)
    )
    for mediator_id, count in [*held.tuples().all(), *waiting.tuples().all()]:
        if mediator_id is not None:
            loads[mediator_id] += int(count)
    return loads


async def mediator_load(session: AsyncSession, mediator_id: int) -> int:
    """Open cases held plus offers waiting for an answer."""
    held = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.mediator_id == mediator_id, Case.state.in_(LOAD_STATES))
    )
    waiting = await session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.mediator_id == mediator_id, Offer.status.in_(("offered", "delivered")))
    )
    return int(held or 0) + int(waiting or 0)


class CommunityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _view(self, row: Community) -> CommunityView:
        return CommunityView(
            row.code, row.name, row.level, await code_of(self.session, row.parent_id), row.grid_worker_chat_id
        )

    async def add(
        self,
        code: str,
        name: str,
        *,
        level: str,
        parent_code: str | None = None,
        grid_worker_chat_id: int | None = None,
    ) -> CommunityView:
        code, name = code.strip(), name.strip()
        if level not in LEVELS:
            raise InvalidInput("level", f"must be one of {', '.join(LEVELS)}")
        if not code or not name:
            raise InvalidInput("code", "code and name must not be empty")
        if await self.session.scalar(select(Community.id).where(Community.code == code)):
            raise InvalidInput("code", f"community {code} already exists")
        parent = await community_by_code(self.session, parent_code) if parent_code else None
        if parent is not None and LEVELS.index(parent.level) >= LEVELS.index(level):
            raise InvalidInput("parent", f"a {level} cannot sit under a {parent.level}")
        row = Community(
            code=code,
            name=name,
            level=level,
            parent_id=parent.id if parent else None,
            grid_worker_chat_id=grid_worker_chat_id,
        )
        self.session.add(row)
        await self.session.flush()
        return await self._view(row)

    async def set_grid_worker(self, code: str, chat_id: int | None) -> CommunityView:
        row = await community_by_code(self.session, code)
        row.grid_worker_chat_id = chat_id
        await self.session.flush()
        return await self._view(row)

    async def get(self, code: str) -> CommunityView:
        return await self._view(await community_by_code(self.session, code))

    async def list(self) -> list[CommunityView]:
        rows = await self.session.scalars(select(Community).order_by(Community.code))
        codes = {row.id: row.code for row in rows.all()}
        rows = await self.session.scalars(select(Community).order_by(Community.code))
        return [
            CommunityView(r.code, r.name, r.level, codes.get(r.parent_id or -1), r.grid_worker_chat_id)
            for r in rows
        ]

    async def children(self, code: str) -> builtins.list[CommunityView]:
        parent = await community_by_code(self.session, code)
        rows = await self.session.scalars(
            select(Community).where(Community.parent_id == parent.id).order_by(Community.code)
        )
        return [CommunityView(r.code, r.name, r.level, code, r.grid_worker_chat_id) for r in rows]

    async def add_staff(
        self, chat_id: int, name: str, *, role: str = "coordinator", community_code: str
    ) -> StaffView:
        if role not in STAFF_ROLES:
            raise InvalidInput("role", f"must be one of {', '.join(STAFF_ROLES)}")
        community = await community_by_code(self.session, community_code)
        self.session.add(Staff(chat_id=chat_id, name=name.strip(), role=role, community_id=community.id))
        await self.session.flush()
        return StaffView(chat_id, name.strip(), role, community.code)

    async def list_staff(self, community_code: str | None = None) -> builtins.list[StaffView]:
        query = select(Staff, Community.code).join(Community, Community.id == Staff.community_id)
        if community_code:
            query = query.where(Community.code == community_code)
        rows = await self.session.execute(query.order_by(Community.code, Staff.role, Staff.id))
        return [StaffView(s.chat_id, s.name, s.role, code) for s, code in rows.all()]

    async def staff_community_ids(self, chat_id: int) -> set[int]:
        """Every community a staff member may see: the ones they work for and everything below."""
        own = await self.session.scalars(select(Staff.community_id).where(Staff.chat_id == chat_id))
        seen: set[int] = set()
        for community_id in own:
            seen |= await descendant_ids(self.session, community_id)
        return seen


class MediatorService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _by_chat(self, chat_id: int) -> Mediator:
        row = await self.session.scalar(select(Mediator).where(Mediator.chat_id == chat_id))
        if row is None:
            raise NotFound("mediator", chat_id)
        return row

    async def view(self, row: Mediator) -> MediatorView:
        codes = [
            code for area in row.areas if (code := await code_of(self.session, area.community_id)) is not None
        ]
        return MediatorView(
            row.chat_id,
            row.name,
            sorted(codes),
            list(row.specialties or []),
            row.capacity,
            row.level,
            row.status,
            await mediator_load(self.session, row.id),
        )

    async def add(
        self,
        chat_id: int,
        name: str,
        *,
        communities: Iterable[str],
        specialties: Iterable[str] = (),
        capacity: int = 3,
        level: int = 1,
        phone: str | None = None,
    ) -> MediatorView:
        specialties = list(dict.fromkeys(specialties))
        unknown = [s for s in specialties if s not in CATEGORIES]
        if unknown:
            raise InvalidInput(
                "specialty", f"unknown categories {unknown}; use one of {', '.join(CATEGORIES)}"
            )
        if level not in LADDER:
            raise InvalidInput("level", f"must be between 1 and {max(LADDER)}")
        if capacity < 0:
            raise InvalidInput("capacity", "must not be negative")
        if not name.strip():
            raise InvalidInput("name", "must not be empty")
        if await self.session.scalar(select(Mediator.id).where(Mediator.chat_id == chat_id)):
            raise InvalidInput("chat_id", f"a mediator with chat id {chat_id} already exists")
        areas = [await community_by_code(self.session, code) for code in dict.fromkeys(communities)]
        if not areas:
            raise InvalidInput("community", "a mediator serves at least one community or grid")
        row = Mediator(
            chat_id=chat_id,
            name=name.strip(),
            phone=phone,
            specialties=specialties,
            capacity=capacity,
            level=level,
            status="active",
            areas=[MediatorArea(community_id=area.id) for area in areas],
        )
        self.session.add(row)
        await self.session.flush()
        return await self.view(row)

    async def get(self, chat_id: int) -> MediatorView:
        return await self.view(await self._by_chat(chat_id))

    async def is_mediator(self, chat_id: int) -> bool:
        return bool(await self.session.scalar(select(Mediator.id).where(Mediator.chat_id == chat_id)))

    async def set_status(self, chat_id: int, status: str) -> MediatorView:
        if status not in MEDIATOR_STATUSES:
            raise InvalidInput("status", f"must be one of {', '.join(MEDIATOR_STATUSES)}")
        row = await self._by_chat(chat_id)
        row.status = status
        await self.session.flush()
        return await self.view(row)

    async def list(self, community_code: str | None = None) -> list[MediatorView]:
        query = select(Mediator).order_by(Mediator.level, Mediator.name)
        if community_code:
            community = await community_by_code(self.session, community_code)
            query = query.join(MediatorArea).where(MediatorArea.community_id == community.id)
        return [await self.view(row) for row in await self.session.scalars(query)]
