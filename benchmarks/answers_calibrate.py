"""Calibrate the refusal threshold (``HESHI_ANSWER_MIN_SCORE``) on data that is not an evaluation set.

    HESHI_DATA_DIR=<a data dir holding the 22-law index> python -m benchmarks.answers_calibrate

In scope: the shipped training examples labelled question or dispute (knowledge/data/intent_examples.jsonl).
Out of scope: our own off-topic examples (``knowledge/answers/scope_examples.yaml``) and the training
examples labelled chitchat. For each threshold it prints the share of each side whose best retrieval
score falls below it (= would be refused for weak evidence). Pick the knee: few in-scope refusals,
many out-of-scope ones; the out-of-scope detector catches most of the rest.
"""

from __future__ import annotations

import os
import platform
from importlib import resources

import yaml

from knowledge.answers.assistant import open_knowledge_base
from knowledge.triage.examples import load_examples, shipped_examples_path

THRESHOLDS = (0.15, 0.2, 0.22, 0.25, 0.28, 0.3, 0.33, 0.35, 0.4)


def main() -> None:
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    kb = open_knowledge_base()
    examples = load_examples(shipped_examples_path())
    inside = [e.text for e in examples if e.intent in ("question", "dispute")]
    raw = yaml.safe_load(
        resources.files("knowledge.answers").joinpath("scope_examples.yaml").read_text("utf-8")
    )
    outside = [t for items in raw["out_of_scope"].values() for t in items]
    outside += [e.text for e in examples if e.intent == "chitchat"]

    def best(question: str) -> float:
        hits = kb.search(question, k=3)
        return max((h.score for h in hits), default=0.0)

    scores_in = [best(q) for q in inside]
    scores_out = [best(q) for q in outside]
    print(f"in scope n={len(scores_in)}, out of scope n={len(scores_out)}")
    print("threshold  refused-in-scope  refused-out-of-scope")
    for threshold in THRESHOLDS:
        refused_in = sum(s < threshold for s in scores_in) / len(scores_in)
        refused_out = sum(s < threshold for s in scores_out) / len(scores_out)
        print(f"{threshold:9.2f}  {refused_in:16.3f}  {refused_out:20.3f}")


if __name__ == "__main__":
    main()
