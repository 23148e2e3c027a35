"""Labelled example messages shipped with heshi, and nearest-neighbour voting over them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.triage.rules import CATEGORIES, INTENTS


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    category: str | None = None


def shipped_examples_path() -> Path | None:
    path = Path(str(resources.files("knowledge").joinpath("data", "intent_examples.jsonl")))
    return path if path.is_file() else None


def load_examples(path: Path | None) -> list[Example]:
    """Read ``{"text", "intent", "category"?}`` lines; unknown intents and blank lines are skipped."""
    if path is None or not path.is_file():
        return []
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        intent = row.get("intent")
        category = row.get("category")
        if intent in INTENTS and str(row.get("text", "")).strip():
            examples.append(Example(row["text"], intent, category if category in CATEGORIES else None))
    return examples


@dataclass(frozen=True, slots=True)
class Votes:
    intents: dict[str, float]  # probability-like, sums to 1
    category: dict[str, float]
    top_similarity: float
    nearest: str


class NeighbourIndex:
    """k nearest labelled examples by cosine similarity, votes weighted by a softmax of similarity."""

    def __init__(self, examples: list[Example], vectors: np.ndarray, k: int = 7, temperature: float = 0.02):
        self.examples = examples
        self.vectors = vectors
        self.k = min(k, len(examples))
        self.temperature = temperature

    def vote(self, vector: np.ndarray, exclude: int | None = None) -> Votes:
        sims = self.vectors @ vector
        if exclude is not None:
            sims = sims.copy()
            sims[exclude] = -1.0
        top = np.argsort(-sims)[: self.k]
        weights = np.exp((sims[top] - sims[top[0]]) / self.temperature)
        intents = dict.fromkeys(INTENTS, 0.0)
        categories: dict[str, float] = {}
        for idx, weight in zip(top, weights, strict=True):
            example = self.examples[int(idx)]
            intents[example.intent] += float(weight)
            if example.category:
                categories[example.category] = categories.get(example.category, 0.0) + float(weight)
        total = sum(intents.values()) or 1.0
        cat_total = sum(categories.values()) or 1.0
        return Votes(
            {k: v / total for k, v in intents.items()},
            {k: v / cat_total for k, v in categories.items()},
            float(sims[top[0]]),
            self.examples[int(top[0])].text,
        )
