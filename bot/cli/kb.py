"""CLI commands: ``heshi kb ingest|search|stats|remove|eval`` – the knowledge base for administrators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prompts import t

if TYPE_CHECKING:
    from knowledge.kb import KnowledgeBase

kb_app = typer.Typer(
    help="Knowledge base: ingest sources, search, statistics, evaluation.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach this feature's commands to the root app."""
    app.add_typer(kb_app, name="kb")


def _open() -> KnowledgeBase:
    from knowledge.kb import KnowledgeBase

    return KnowledgeBase.open()


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=None))


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@kb_app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to ingest."),  # noqa: B008
    kind: str | None = typer.Option(None, help="law | rules | faq | prose (default: detected per file)."),
    community: str | None = typer.Option(None, help="Community code the rules belong to, e.g. QSC."),
    progress: bool = typer.Option(True, help="Show a progress bar while encoding."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Ingest sources; unchanged files are skipped, changed units replaced, removed ones dropped."""
    if kind and kind not in ("law", "rules", "faq", "prose"):
        raise typer.BadParameter("--kind must be law, rules, faq or prose")
    kb = _open()
    report = kb.ingest(paths, kind=kind, community=community, progress=progress and not as_json)
    if as_json:
        _print_json(report.as_dict())
    else:
        for source, reason in report.errors:
            typer.echo(t("kb.ingest_error", source=source, reason=reason), err=True)
        for source, message in report.warnings:
            typer.echo(t("kb.ingest_warning", source=source, message=message), err=True)
        typer.echo(t(
            "kb.ingest_summary", new=report.documents_new, changed=report.documents_changed,
            unchanged=report.documents_unchanged, removed=report.documents_removed, added=report.units_added,
            replaced=report.units_replaced, same=report.units_unchanged, gone=report.units_removed,
            restatused=report.units_restatused,
            encoded=report.encoded, seconds=report.seconds,
        ))
    if report.errors and not (report.documents_new or report.documents_changed or report.documents_unchanged):
        raise typer.Exit(1)


@kb_app.command()
def search(
    query: str = typer.Argument(..., help="A question or an article reference (民法典第296条)."),
    k: int = typer.Option(5, "--k", min=1, help="Number of hits."),
    community: str | None = typer.Option(None, help="Also search this community's rules."),
    include_inactive: bool = typer.Option(False, help="Also return repealed and superseded units."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Search the knowledge base."""
    kb = _open()
    hits = kb.search(query, k=k, community=community, include_inactive=include_inactive)
    if as_json:
        _print_json({"query": query, "hits": [
            {"id": h.unit.id, "citation": h.unit.citation, "score": round(h.score, 4), "exact": h.exact,
             "dense": h.dense, "lexical": h.lexical, "kind": h.unit.kind.value, "scope": h.unit.scope,
             "status": h.unit.status.value, "path": list(h.unit.path), "text": h.unit.text}
            for h in hits
        ]})
        return
    if not hits:
        typer.echo(t("kb.no_hits"))
    for rank, hit in enumerate(hits, start=1):
        exact = t("kb.exact_mark") if hit.exact else ""
        typer.echo(t("kb.hit_line", rank=rank, citation=hit.unit.citation, score=hit.score, exact=exact))
        typer.echo(f"   {hit.unit.text}")


@kb_app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Documents, units by kind and status, size on disk."""
    data = _open().stats()
    if as_json:
        _print_json(data)
        return
    typer.echo(t(
        "kb.stats_summary", documents=data["documents"], units=data["units"], vectors=data["vectors"],
        size=_human_size(data["bytes_total"]),
    ))
    for key, field in (("kb.stats_by_kind", "units_by_kind"), ("kb.stats_by_status", "units_by_status")):
        typer.echo(t(key, counts=", ".join(f"{name} {count}" for name, count in data[field].items())))


@kb_app.command()
def remove(source: str = typer.Argument(..., help="A source as ingested (its path).")) -> None:
    """Remove a source and all its units from the index."""
    removed = _open().remove(source)
    if not removed:
        typer.echo(t("kb.not_found", source=source), err=True)
        raise typer.Exit(1)
    typer.echo(t("kb.removed", source=source, count=removed))


def _parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        ks = []
    if not ks or ks[0] < 1:
        raise typer.BadParameter(t("kb.bad_ks"))
    return ks


@kb_app.command("eval")
def evaluate(
    dataset: Path = typer.Argument(..., help="JSONL of questions with gold articles."),  # noqa: B008
    ks: str = typer.Option("1,5,10,100", "--k", help="Cut-offs, comma-separated."),
    community: str | None = typer.Option(None, help="Search as this community."),
    include_inactive: bool = typer.Option(False, help="Also return repealed and superseded units."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Recall@k, MRR, nDCG@10, latency and a per-law breakdown over a question file."""
    from knowledge.evaluation.retrieval import evaluate as run
    from knowledge.evaluation.retrieval import format_report, load_questions

    cutoffs = _parse_ks(ks)
    if not dataset.is_file():
        typer.echo(t("kb.no_dataset", path=dataset), err=True)
        raise typer.Exit(1)
    kb = _open()
    questions = load_questions(dataset)
    report = run(
        questions,
        lambda text, k: kb.search(text, k=k, community=community, include_inactive=include_inactive),
        cutoffs,
        progress=not as_json,
    )
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False) if as_json else format_report(report))
