"""``heshi consult``: community consultations (众人商量) from the server's command line.

Run on the server by an administrator: ``create`` acts as the administrator unless ``--by`` names the
staff member it is done for (then their rights are checked). Results show counts only, never who voted
what, and counts only once the deadline has passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.cases import JsonOption, _run, _show_many, _show_one

if TYPE_CHECKING:
    from intake.services import Services

consult_app = typer.Typer(
    help="Community consultations (众人商量): proposals residents vote on.", no_args_is_help=True
)


def _line(view: Any) -> str:
    options = " / ".join(o.label for o in view.options)
    closes = view.closes_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"#{view.id} [{view.state}] {view.community} {view.title} — {options} — closes {closes} ({view.per})"
    )


@consult_app.command("create")
def consult_create(
    community: Annotated[str, typer.Option("--community", help="Village/community (or town) code.")],
    title: Annotated[str, typer.Option("--title", help="The question put to the residents.")],
    option: Annotated[list[str], typer.Option("--option", help="An answer (2 to 6 times).")],
    deadline: Annotated[str, typer.Option("--deadline", help="3天, 11-30, 2026-11-30 18:00 (local time).")],
    per: Annotated[str, typer.Option("--per", help="resident (one vote each) or household.")] = "resident",
    description: Annotated[str, typer.Option("--description", help="More detail.")] = "",
    by: Annotated[int | None, typer.Option("--by", help="Chat id of the staff member opening it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Open a consultation; every resident of the community is notified by the bot."""

    async def work(s: Services) -> Any:
        from intake.deadlines import parse_deadline

        closes_at = parse_deadline(deadline, s.clock.now(), s.settings.timezone)
        return await s.consultations.create(
            community.upper(),
            title,
            option,
            closes_at,
            per=per,
            description=description,
            staff_chat_id=by,
        )

    view = _run(work)
    _show_one(view, as_json, "opened " + _line(view))


@consult_app.command("list")
def consult_list(
    community: Annotated[
        str | None, typer.Option("--community", help="Only this community and below.")
    ] = None,
    state: Annotated[str | None, typer.Option("--state", help="open or closed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List consultations, newest first."""
    views = _run(
        lambda s: s.consultations.list_all(community.upper() if community else None, state), commit=False
    )
    _show_many(views, as_json, "consultations", _line)


@consult_app.command("results")
def consult_results(consultation_id: int, as_json: JsonOption = False) -> None:
    """Counts per option and turnout (counts once the consultation has closed)."""
    view = _run(lambda s: s.consultations.results(consultation_id), commit=False)
    turnout = f"{view.turnout:.0%}" if view.turnout is not None else "—"
    head = f"#{view.consultation_id} {view.title} [{view.state}]"
    lines = [f"{head} {view.votes} of {view.eligible} voted ({turnout})"]
    if view.counts is None:
        lines.append("counts are shown once the consultation has closed")
    else:
        lines += [f"  {count['label']}: {count['votes']}" for count in view.counts]
    _show_one(view, as_json, "\n".join(lines))


@consult_app.command("cancel")
def consult_cancel(
    consultation_id: int,
    by: Annotated[int | None, typer.Option("--by", help="Chat id of the staff member cancelling it.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw an open consultation: its votes are void and the residents are told."""
    view = _run(lambda s: s.consultations.cancel(consultation_id, by))
    _show_one(view, as_json, "cancelled " + _line(view))


def register(app: typer.Typer) -> None:
    app.add_typer(consult_app, name="consult")
