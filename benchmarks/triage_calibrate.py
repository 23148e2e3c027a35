"""Choose the urgent neighbour-vote threshold by leave-one-out over the shipped TRAINING examples.

Each training example is classified by the urgent patterns plus the votes of its neighbours with
itself left out, for two vote shares: "raw" (share of the neighbours' weight that is urgent) and
"balanced" (each neighbour's weight divided by its class's share of the training file, so the urgent
decision does not depend on how many urgent examples the file holds); for each, the threshold with
the best F2 (recall weighted over precision: a missed danger costs more than a false alarm) is
printed. The evaluation sets are never read.

    python -m benchmarks.triage_calibrate
"""

from __future__ import annotations

import json
import platform
from collections import Counter

import numpy as np

from knowledge.triage.classifier import Classifier
from knowledge.triage.urgent import find_urgent

THRESHOLDS = [round(t, 2) for t in np.arange(0.10, 0.96, 0.05)]


def f_beta(tp: int, fp: int, fn: int, beta: float = 2.0) -> float:
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def main() -> None:
    classifier = Classifier()
    index = classifier.index
    assert index is not None, "triage embeddings are switched off"
    counts = Counter(example.intent for example in index.examples)
    class_share = {intent: n / len(index.examples) for intent, n in counts.items()}
    rows: dict[str, list[tuple[bool, bool, float]]] = {"raw": [], "balanced": []}
    for i, example in enumerate(index.examples):
        gold, by_rules = example.intent == "urgent", bool(find_urgent(example.text))
        votes = index.vote(index.vectors[i], exclude=i)
        rows["raw"].append((gold, by_rules, votes.intents["urgent"]))
        rows["balanced"].append((gold, by_rules, balanced_urgent_share(votes.intents, class_share)))
    print(
        json.dumps({"python": platform.python_version(), "examples": len(index.examples)}, ensure_ascii=False)
    )
    for share, share_rows in rows.items():
        results = [sweep(share_rows, threshold) | {"share": share} for threshold in THRESHOLDS]
        for r in results:
            print(json.dumps(r))
        best = max(results, key=lambda r: (r["f2"], r["threshold"]))
        print(json.dumps({"share": share, "best_threshold": best["threshold"], "f2": best["f2"]}))


def balanced_urgent_share(shares: dict[str, float], class_share: dict[str, float]) -> float:
    """The urgent vote share had every class been equally common among the training examples."""
    balanced = {intent: share / class_share[intent] for intent, share in shares.items() if share}
    return balanced.get("urgent", 0.0) / (sum(balanced.values()) or 1.0)


def sweep(rows: list[tuple[bool, bool, float]], threshold: float) -> dict[str, float | int]:
    """Urgent = a pattern fired or the vote share reaches the threshold; counts against the gold label."""
    outcome = Counter((gold, rules or vote >= threshold) for gold, rules, vote in rows)
    tp, fp, fn = outcome[True, True], outcome[False, True], outcome[True, False]
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "f2": round(f_beta(tp, fp, fn), 4)}


if __name__ == "__main__":
    main()
