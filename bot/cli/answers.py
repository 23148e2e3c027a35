"""CLI commands of the answer layer: ``heshi ask``, ``heshi classify``, ``heshi eval intent|answers``.

Heavy imports (the knowledge base, the embedding model) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from knowledge.answers import Assistant

eval_app = typer.Typer(help="Measure triage and answers on a labelled file.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _print_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def open_assistant() -> Assistant:
    """The assistant over the configured knowledge base (tests replace this)."""
    from knowledge.answers import Assistant

    return Assistant.open()


def ask(
    question: Annotated[str, typer.Argument(help="The question, as a resident would write it.")],
    community: Annotated[str | None, typer.Option("--community", help="Community code, e.g. QSC.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    as_json: JsonFlag = False,
) -> None:
    """Answer a question with cited articles (or refuse honestly)."""
    from knowledge.answers.evaluation import reply_json

    reply = open_assistant().respond(question, community=community, lang=lang)
    if as_json:
        _print_json(reply_json(reply))
        return
    typer.echo("\n\n".join(reply.messages))
    if reply.offer_case:
        typer.echo(f"\n[case draft: {reply.offer_case.category}]")


def classify(
    message: Annotated[str, typer.Argument(help="A free message.")],
    as_json: JsonFlag = False,
) -> None:
    """Triage one message: intent, dispute category, urgency."""
    from knowledge.triage import classify as run

    triage = run(message)
    data = {
        "intent": triage.intent,
        "category": triage.category,
        "urgent": triage.urgent,
        "confidence": triage.confidence,
        "dangers": list(triage.dangers),
        "matched": list(triage.matched),
        "hides_dispute": triage.hides_dispute,
    }
    if as_json:
        _print_json(data)
    else:
        typer.echo(" ".join(f"{k}={v}" for k, v in data.items() if k not in ("matched",)))


@eval_app.command("intent")
def eval_intent(
    dataset: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="jsonl: text, intent, category?")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Accuracy, macro-F1, per-intent precision/recall, urgent recall and a confusion matrix."""
    from knowledge.triage import default_classifier
    from knowledge.triage.evaluation import evaluate_intents, load_items

    result = evaluate_intents(load_items(dataset), default_classifier().classify)
    if as_json:
        _print_json(result)
        return
    typer.echo(
        f"n={result['n']}  accuracy={result['accuracy']:.3f}  macro-F1={result['macro_f1']:.3f}  "
        f"urgent recall={result['urgent_recall']:.3f}  urgent precision={result['urgent_precision']:.3f}"
    )
    typer.echo(f"{'intent':<11}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}")
    for intent, row in result["per_intent"].items():
        typer.echo(
            f"{intent:<11}{row['precision']:>7.3f}{row['recall']:>7.3f}{row['f1']:>7.3f}{row['support']:>6}"
        )
    intents = list(result["confusion"])
    typer.echo("confusion (rows gold, columns predicted):")
    typer.echo(" " * 11 + "".join(f"{i[:8]:>9}" for i in intents))
    for gold in intents:
        typer.echo(f"{gold:<11}" + "".join(f"{result['confusion'][gold][p]:>9}" for p in intents))


@eval_app.command("answers")
def eval_answers(
    dataset: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="public_qa.jsonl format")],
    extra: Annotated[
        list[Path] | None, typer.Option("--with", help="More jsonl files (e.g. out of scope).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Only the first N items of each file (0 = all).")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Citation exactness, refusal rates in and out of scope, answer latency p50/p95."""
    from knowledge.answers.evaluation import evaluate_answers, load_answer_items

    items = load_answer_items([dataset, *(extra or [])], limit)
    result = evaluate_answers(items, open_assistant())
    if as_json:
        _print_json(result)
        return
    typer.echo(
        f"n={result['n']} (in scope {result['n_in_scope']}, out of scope {result['n_out_of_scope']})\n"
        f"citation exactness   {result['citation_exactness']:.3f}\n"
        f"refusal in scope     {result['refusal_in_scope']:.3f}\n"
        f"refusal out of scope {_fmt(result['refusal_out_of_scope'])}\n"
        f"latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    """Attach this feature's commands to the root app."""
    app.command("ask")(ask)
    app.command("classify")(classify)
    app.add_typer(eval_app, name="eval")
