"""Measuring triage on a labelled file: accuracy, macro-F1, per-intent P/R, urgent recall, confusion."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from knowledge.triage.classifier import Triage
from knowledge.triage.rules import INTENTS


def load_items(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("intent") in INTENTS and str(r.get("text", "")).strip()]


def evaluate_intents(items: Iterable[dict[str, Any]], classify: Callable[[str], Triage]) -> dict[str, Any]:
    gold: list[str] = []
    predicted: list[str] = []
    category_total = category_right = 0
    misses: list[dict[str, str]] = []
    for item in items:
        triage = classify(item["text"])
        gold.append(item["intent"])
        predicted.append(triage.intent)
        if item["intent"] == "dispute" and item.get("category") and triage.intent == "dispute":
            category_total += 1
            category_right += triage.category == item["category"]
        if triage.intent != item["intent"]:
            misses.append({"text": item["text"], "gold": item["intent"], "predicted": triage.intent})
    return metrics(gold, predicted) | {
        "category_accuracy": round(category_right / category_total, 4) if category_total else None,
        "errors": misses,
    }


def metrics(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    n = len(gold)
    confusion = {g: dict.fromkeys(INTENTS, 0) for g in INTENTS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_intent: dict[str, dict[str, float | int]] = {}
    for intent in INTENTS:
        tp = confusion[intent][intent]
        predicted_n = sum(confusion[g][intent] for g in INTENTS)
        gold_n = sum(confusion[intent].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": gold_n,
        }
    present = [i for i in INTENTS if per_intent[i]["support"]]
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "n": n,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(sum(float(per_intent[i]["f1"]) for i in present) / len(present), 4)
        if present
        else 0.0,
        "urgent_recall": per_intent["urgent"]["recall"],
        "urgent_precision": per_intent["urgent"]["precision"],
        "per_intent": per_intent,
        "confusion": confusion,
    }
