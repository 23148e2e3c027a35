"""CLI commands for coordinators and administrators: the database, communities, mediators and cases.

Heavy imports (SQLAlchemy, the intake services) happen inside the commands so ``heshi --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from intake.services import Services

T = TypeVar("T")

db_app = typer.Typer(help="The case database.", no_args_is_help=True)
communities_app = typer.Typer(help="Communities: 区县 → 镇街 → 村社 → 网格.", no_args_is_help=True)
staff_app = typer.Typer(help="Coordinators, grid workers and duty staff.", no_args_is_help=True)
mediators_app = typer.Typer(
    help="Mediators (和事佬 and the higher rungs of the ladder).", no_args_is_help=True
)
cases_app = typer.Typer(help="Mediation cases.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _show_one(view: Any, as_json: bool, line: str) -> None:
    """One result: its JSON object with --json, else one human line."""
    if as_json:
        _echo_json(view.to_dict())
    else:
        typer.echo(line)


def _show_many(views: Sequence[Any], as_json: bool, key: str, line: Callable[[Any], str]) -> None:
    if as_json:
        _echo_json({key: [v.to_dict() for v in views]})
        return
    for v in views:
        typer.echo(line(v))


def _run(work: Callable[[Services], Awaitable[T]], *, commit: bool = True) -> T:
    """Open the database (upgrading it first), run ``work`` in one transaction and commit."""
    from intake.db import make_engine, make_sessionmaker, upgrade
    from intake.errors import IntakeError
    from intake.services import Services
    from intake.settings import IntakeSettings

    async def main() -> T:
        settings = IntakeSettings()
        url = settings.resolved_database_url
        await upgrade(url)
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(Services(session, settings))
                if commit:
                    await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except IntakeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision.")) -> None:
    """Create or migrate the case database to the latest schema."""
    from intake.db import upgrade
    from intake.settings import IntakeSettings

    url = IntakeSettings().resolved_database_url
    asyncio.run(upgrade(url, revision))
    from intake.privacy import mask_pii

    typer.echo(f"database at {mask_pii(url.split('@')[-1])} is at {revision}")


@communities_app.command("add")
def communities_add(
    code: str,
    name: str,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent community code.")] = None,
    level: Annotated[str, typer.Option("--level", help="county|town|village|grid")] = "village",
    grid_worker_chat_id: Annotated[int | None, typer.Option("--grid-worker-chat-id")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a county, town, village/community or grid."""
    view = _run(
        lambda s: s.communities.add(
            code, name, level=level, parent_code=parent, grid_worker_chat_id=grid_worker_chat_id
        )
    )
    _show_one(
        view,
        as_json,
        f"added {view.level} {view.code} {view.name}" + (f" under {view.parent}" if view.parent else ""),
    )


@communities_app.command("list")
def communities_list(as_json: JsonOption = False) -> None:
    """List every community."""
    views = _run(lambda s: s.communities.list(), commit=False)
    _show_many(
        views,
        as_json,
        "communities",
        lambda v: f"{v.code:<12} {v.level:<8} {v.name}  parent={v.parent or '-'}",
    )


@staff_app.command("add")
def staff_add(
    name: Annotated[str, typer.Option("--name")],
    chat_id: Annotated[int, typer.Option("--chat-id")],
    community: Annotated[str, typer.Option("--community")],
    role: Annotated[str, typer.Option("--role", help="coordinator|grid_worker|admin|duty")] = "coordinator",
    as_json: JsonOption = False,
) -> None:
    """Add a coordinator (调委会 / 矛调中心 / 共享法庭 liaison), grid worker or duty staff member."""
    view = _run(lambda s: s.communities.add_staff(chat_id, name, role=role, community_code=community))
    _show_one(view, as_json, f"added {view.role} {view.name} for {view.community}")


@staff_app.command("list")
def staff_list(as_json: JsonOption = False) -> None:
    views = _run(lambda s: s.communities.list_staff(), commit=False)
    _show_many(views, as_json, "staff", lambda v: f"{v.community:<12} {v.role:<12} {v.name} chat={v.chat_id}")


@mediators_app.command("add")
def mediators_add(
    name: Annotated[str, typer.Option("--name")],
    chat_id: Annotated[int, typer.Option("--chat-id")],
    community: Annotated[list[str], typer.Option("--community", help="Community or grid code (repeatable).")],
    specialty: Annotated[
        list[str] | None, typer.Option("--specialty", help="Dispute category (repeatable).")
    ] = None,
    capacity: Annotated[int, typer.Option("--capacity", help="Open cases they can carry.")] = 3,
    level: Annotated[int, typer.Option("--level", help="1 和事佬, 2 调委会, 3 矛调中心, 4 共享法庭")] = 1,
    as_json: JsonOption = False,
) -> None:
    """Add a mediator."""
    view = _run(
        lambda s: s.mediators.add(
            chat_id, name, communities=community, specialties=specialty or [], capacity=capacity, level=level
        )
    )
    _show_one(
        view, as_json, f"added mediator {view.name} (level {view.level}) for {', '.join(view.communities)}"
    )


@mediators_app.command("list")
def mediators_list(
    community: str | None = typer.Option(None, "--community"), as_json: JsonOption = False
) -> None:
    """List mediators with their current load."""
    views = _run(lambda s: s.mediators.list(community), commit=False)
    _show_many(
        views,
        as_json,
        "mediators",
        lambda v: (
            f"{v.name:<8} L{v.level} {v.status:<8} load {v.open_cases}/{v.capacity} "
            f"{','.join(v.communities)} {','.join(v.specialties) or '(all categories)'}"
        ),
    )


@mediators_app.command("status")
def mediators_status(
    chat_id: int,
    status: Annotated[str, typer.Argument(help="active | on_leave | retired")],
    as_json: JsonOption = False,
) -> None:
    """Put a mediator on leave (no new offers) or back to active."""
    view = _run(lambda s: s.mediators.set_status(chat_id, status))
    _show_one(view, as_json, f"{view.name} is now {view.status}")


@cases_app.command("open")
def cases_open(
    community: Annotated[str, typer.Option("--community", help="Village/community or grid code.")],
    category: Annotated[str, typer.Option("--category")],
    complainant_chat_id: Annotated[int, typer.Option("--complainant-chat-id")],
    description: Annotated[str, typer.Option("--description")],
    respondent: Annotated[
        list[str] | None, typer.Option("--respondent", help="The other party's name (repeatable).")
    ] = None,
    desired_outcome: Annotated[str, typer.Option("--desired-outcome")] = "",
    address: Annotated[str, typer.Option("--address")] = "",
    urgent: Annotated[bool, typer.Option("--urgent")] = False,
    as_json: JsonOption = False,
) -> None:
    """Open a case on a resident's behalf (assisted filing) and offer it to the best mediator."""
    from intake.cases import NewCase, Respondent

    new = NewCase(
        complainant_chat_id,
        community,
        category,
        description,
        desired_outcome=desired_outcome,
        address=address,
        respondents=[Respondent(name) for name in respondent or []],
        urgent=urgent,
        assisted_by="staff:cli",
    )
    opened = _run(lambda s: s.cases.open(new))
    if as_json:
        _echo_json(opened.to_dict())
        return
    who = (
        f"offered to {opened.offered_to.name}" if opened.offered_to else f"escalated to level {opened.level}"
    )
    typer.echo(
        f"opened {opened.case_no}: {who}" + (f"; linked to {opened.linked_to}" if opened.linked_to else "")
    )


@cases_app.command("list")
def cases_list(
    state: Annotated[str | None, typer.Option("--state")] = None,
    community: Annotated[str | None, typer.Option("--community")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    as_json: JsonOption = False,
) -> None:
    """List cases, newest first."""
    rows = _run(lambda s: s.cases.list_all(state=state, community_code=community, limit=limit), commit=False)
    if as_json:
        _echo_json({"cases": [r.to_dict() for r in rows]})
        return
    for r in rows:
        due = r.due_at.date().isoformat() if r.due_at else "-"
        typer.echo(
            f"{r.case_no:<18} {r.state:<13} {r.category:<6} L{r.level} {r.mediator or '-':<8} due {due}"
            + (" URGENT" if r.urgent else "")
        )


@cases_app.command("show")
def cases_show(case_no: str, as_json: JsonOption = False) -> None:
    """Show one case with its whole history."""
    view = _run(lambda s: s.cases.show_admin(case_no), commit=False)
    if as_json:
        _echo_json(view.to_dict())
        return
    place = f"{view.community}/{view.grid}" if view.grid else view.community
    typer.echo(f"{view.case_no}  {view.state}  {view.category}  {place}")
    typer.echo(
        f"level {view.level} {view.level_name}; mediator {view.mediator or '-'}; due {view.due_at or '-'}"
    )
    typer.echo(view.description)
    for e in view.events:
        move = f"{e['from_state'] or ''}→{e['to_state']}" if e["to_state"] else ""
        typer.echo(f"  {e['at']:%Y-%m-%d %H:%M} {e['actor']:<18} {e['action']:<20} {move} {e['note']}")


@cases_app.command("stats")
def cases_stats(
    community: str | None = typer.Option(None, "--community"), as_json: JsonOption = False
) -> None:
    """Counts by category, state and community; on-time rate; median days to resolution."""
    stats = _run(lambda s: s.stats.summary(community), commit=False)
    if as_json:
        _echo_json(stats.to_dict())
        return
    typer.echo(f"cases: {stats.total} (open {stats.open}, resolved {stats.resolved})")
    for title, counts in (
        ("category", stats.by_category),
        ("state", stats.by_state),
        ("community", stats.by_community),
    ):
        typer.echo(f"by {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    rate = "-" if stats.on_time_rate is None else f"{stats.on_time_rate:.1%}"
    typer.echo(f"on time: {rate}; median days to resolution: {stats.median_days_to_resolution or '-'}")


@cases_app.command("export")
def cases_export(
    csv_file: Annotated[
        Path, typer.Option("--csv", help="Where to write the CSV (UTF-8 with BOM for Excel).")
    ],
    community: Annotated[str | None, typer.Option("--community")] = None,
) -> None:
    """Export every case (no personal data) as CSV."""
    count = _run(lambda s: s.stats.export_csv(csv_file, community), commit=False)
    typer.echo(f"wrote {count} cases to {csv_file}")


@cases_app.command("tick")
def cases_tick(as_json: JsonOption = False) -> None:
    """Run the clocks once: offer timeouts, reminders, overdue escalation, 司法确认 and 回访."""
    report = _run(lambda s: s.tick())
    _show_one(report, as_json, ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.to_dict().items()))


def register(app: typer.Typer) -> None:
    """Attach this feature's commands to the root app."""
    app.add_typer(db_app, name="db")
    app.add_typer(communities_app, name="communities")
    app.add_typer(staff_app, name="staff")
    app.add_typer(mediators_app, name="mediators")
    app.add_typer(cases_app, name="cases")
