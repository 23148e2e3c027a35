"""Measuring the answer layer on ``public_qa.jsonl``-format files plus ``in_scope: false`` items."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from knowledge.answers.assistant import Assistant
from knowledge.answers.model import Reply


def load_answer_items(paths: Iterable[Path], limit: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        items += rows[:limit] if limit else rows
    return [r for r in items if str(r.get("question", "")).strip()]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def evaluate_answers(items: list[dict[str, Any]], assistant: Assistant) -> dict[str, Any]:
    """A hit is an in-scope answer whose citations include any gold (law, article)."""
    in_scope = hit = refused_in = 0
    out_scope = refused_out = 0
    latencies: list[float] = []
    misses: list[dict[str, Any]] = []
    for item in items:
        started = time.perf_counter()
        answer = assistant.answer(item["question"])
        latencies.append((time.perf_counter() - started) * 1000)
        if item.get("in_scope") is False:
            out_scope += 1
            refused_out += answer.refused
            continue
        in_scope += 1
        refused_in += answer.refused
        gold = {(g["law"], g["article"]) for g in item.get("gold", [])}
        cited = {(c.law, c.article) for c in answer.citations}
        if gold & cited:
            hit += 1
        else:
            misses.append(
                {
                    "id": item.get("id"),
                    "refused": answer.refused,
                    "gold": sorted(gold),
                    "cited": sorted(cited),
                }
            )
    return {
        "n": len(items),
        "n_in_scope": in_scope,
        "n_out_of_scope": out_scope,
        "citation_exactness": round(hit / in_scope, 4) if in_scope else 0.0,
        "refusal_in_scope": round(refused_in / in_scope, 4) if in_scope else 0.0,
        "refusal_out_of_scope": round(refused_out / out_scope, 4) if out_scope else None,
        "p50_ms": round(_percentile(latencies, 0.5), 1),
        "p95_ms": round(_percentile(latencies, 0.95), 1),
        "misses": misses,
    }


def reply_json(reply: Reply) -> dict[str, Any]:
    """The JSON of ``heshi ask``: intent, category, urgent, refused, answer, citations, and more."""
    answer = reply.answer
    return {
        "intent": reply.intent,
        "category": reply.category,
        "urgent": reply.urgent,
        "dangers": list(reply.dangers),
        "refused": answer.refused if answer else None,
        "reason": answer.reason if answer else None,
        "answer": reply.text,
        "messages": list(reply.messages),
        "citations": [
            {
                "id": c.id,
                "law": c.law,
                "article": c.article,
                "quote": c.quote,
                "score": c.score,
                "kind": c.kind,
                "adopted_on": c.adopted_on,
                "version": c.version,
                "related": c.related,
            }
            for c in (answer.citations if answer else ())
        ],
        "replaced_laws": [
            r.__dict__ if hasattr(r, "__dict__") else {"old": r.old, "new": r.new, "on": r.on}
            for r in (answer.replaced_laws if answer else ())
        ],
        "offer_case": reply.offer_case.to_dict() if reply.offer_case else None,
        "composer": answer.composer if answer else None,
    }
