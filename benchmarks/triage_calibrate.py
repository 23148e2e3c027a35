"""Choose the urgent neighbour-vote threshold by leave-one-out over the shipped TRAINING examples.

Each training example is classified by the urgent patterns plus the votes of its neighbours with
itself left out; the threshold with the best F2 (recall weighted over precision: a missed danger
costs more than a false alarm) is printed. The evaluation sets are never read.

    python -m benchmarks.triage_calibrate
"""

from __future__ import annotations

import json
import platform
from collections import Counter

import numpy as np

from knowledge.triage.classifier import Classifier
from knowledge.triage.urgent import find_urgent

THRESHOLDS = [round(t, 2) for t in np.arange(0.30, 0.96, 0.05)]


def f_beta(tp: int, fp: int, fn: int, beta: float = 2.0) -> float:
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def main() -> None:
    classifier = Classifier()
    index = classifier.index
    assert index is not None, "triage embeddings are switched off"
    rows = []
    for i, example in enumerate(index.examples):
        by_rules = bool(find_urgent(example.text))
        vote = index.vote(index.vectors[i], exclude=i).intents["urgent"]
        rows.append((example.intent == "urgent", by_rules, vote))
    results = []
    for threshold in THRESHOLDS:
        outcome = Counter((gold, rules or vote >= threshold) for gold, rules, vote in rows)
        tp, fp, fn = outcome[True, True], outcome[False, True], outcome[True, False]
        f2 = round(f_beta(tp, fp, fn), 4)
        results.append({"threshold": threshold, "tp": tp, "fp": fp, "fn": fn, "f2": f2})
    best = max(results, key=lambda r: (r["f2"], r["threshold"]))
    print(json.dumps({"python": platform.python_version(), "examples": len(rows)}, ensure_ascii=False))
    for r in results:
        print(json.dumps(r))
    print(json.dumps({"best_threshold": best["threshold"]}))


if __name__ == "__main__":
    main()
