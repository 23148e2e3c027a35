"""Retrieval evaluation on question → gold-article files (``public_qa.jsonl``, ``stard_national.jsonl``).

Each line: ``{"id", "question", "gold": [{"law", "article", "doc"?, "alt"?: [{"doc", "article"}]}]}``.
A question is a hit at k when any gold article (or any of its ``alt`` copies) is in the top k.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.units import Hit, Unit

DEFAULT_KS = (1, 5, 10, 100)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class GoldArticle:
    law: str
    article: str  # "第五十六条"
    doc: str | None = None  # file under the corpus root, e.g. "民法典/总则.md"

    def matches(self, unit: Unit) -> bool:
        if (unit.label or "").replace(" ", "") != self.article:
            return False
        if self.doc:
            return Path(unit.source).as_posix().endswith("/" + self.doc) or unit.source == self.doc
        return unit.doc_title == self.law


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    gold: tuple[tuple[GoldArticle, ...], ...]  # one tuple per gold link: the article and its alt copies

    @property
    def laws(self) -> list[str]:
        return sorted({options[0].law for options in self.gold})


def load_questions(path: Path) -> list[Question]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        links = []
        for gold in row["gold"]:
            article = _SPACES.sub("", gold["article"])
            options = [GoldArticle(gold["law"], article, gold.get("doc"))]
            options += [
                GoldArticle(gold["law"], _SPACES.sub("", alt["article"]), alt["doc"])
                for alt in gold.get("alt", ())
            ]
            links.append(tuple(options))
        questions.append(Question(row["id"], row["question"].strip(), tuple(links)))
    return questions


def first_gold_rank(question: Question, hits: Sequence[Hit]) -> int | None:
    """1-based rank of the first hit that is a gold article, None if none is retrieved."""
    for rank, hit in enumerate(hits, start=1):
        if any(option.matches(hit.unit) for options in question.gold for option in options):
            return rank
    return None


def ndcg(question: Question, hits: Sequence[Hit], k: int = 10) -> float:
    """Binary-relevance nDCG@k; each gold link counts once however many copies are retrieved."""
    found: set[int] = set()
    gain = 0.0
    for rank, hit in enumerate(hits[:k], start=1):
        for index, options in enumerate(question.gold):
            if index not in found and any(option.matches(hit.unit) for option in options):
                found.add(index)
                gain += 1.0 / math.log2(rank + 1)
                break
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(question.gold), k) + 1))
    return gain / ideal if ideal else 0.0


@dataclass
class RetrievalReport:
    n: int
    recall: dict[int, float]
    mrr: float
    ndcg10: float
    p50_ms: float
    p95_ms: float
    per_law: dict[str, dict[str, float]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)  # ids of questions with no gold in the top max(k)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {f"recall@{k}": round(v, 4) for k, v in self.recall.items()}
        result["mrr"] = round(self.mrr, 4)
        result["ndcg@10"] = round(self.ndcg10, 4)
        result["n"] = self.n
        result["p50_ms"] = round(self.p50_ms, 1)
        result["p95_ms"] = round(self.p95_ms, 1)
        result["per_law"] = self.per_law
        return result


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def evaluate(
    questions: Sequence[Question],
    search: Callable[[str, int], Sequence[Hit]],
    ks: Sequence[int] = DEFAULT_KS,
    progress: bool = False,
) -> RetrievalReport:
    """Run every question through ``search(question, k)`` with k = max(ks) and score the rankings."""
    depth = max(ks)
    ranks: list[int | None] = []
    ndcgs: list[float] = []
    latencies: list[float] = []
    by_law: dict[str, list[int | None]] = defaultdict(list)
    iterator: Any = questions
    if progress:
        from tqdm import tqdm

        iterator = tqdm(questions, unit="q", desc="evaluating")
    for question in iterator:
        started = time.perf_counter()
        hits = search(question.text, depth)
        latencies.append((time.perf_counter() - started) * 1000)
        rank = first_gold_rank(question, hits)
        ranks.append(rank)
        ndcgs.append(ndcg(question, hits))
        for law in question.laws:
            by_law[law].append(rank)
    return RetrievalReport(
        n=len(questions),
        recall={k: _recall(ranks, k) for k in ks},
        mrr=sum(1.0 / r for r in ranks if r is not None) / max(len(ranks), 1),
        ndcg10=statistics.fmean(ndcgs) if ndcgs else 0.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        per_law={
            law: {"n": len(law_ranks), **{f"recall@{k}": _recall(law_ranks, k) for k in ks}}
            for law, law_ranks in sorted(by_law.items(), key=lambda item: -len(item[1]))
        },
        misses=[q.id for q, r in zip(questions, ranks, strict=True) if r is None],
    )


def _recall(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1)


def format_report(report: RetrievalReport) -> str:
    """Plain-text summary for the terminal."""
    lines = [f"questions: {report.n}"]
    lines += [f"recall@{k}: {value:.3f}" for k, value in report.recall.items()]
    lines += [
        f"MRR: {report.mrr:.3f}", f"nDCG@10: {report.ndcg10:.3f}",
        f"latency p50 {report.p50_ms:.0f} ms, p95 {report.p95_ms:.0f} ms", "", "per law:",
    ]
    ks = list(report.recall)
    for law, row in report.per_law.items():
        figures = "  ".join(f"r@{k} {row[f'recall@{k}']:.3f}" for k in ks)
        lines.append(f"  {law} (n={row['n']:.0f}): {figures}")
    return "\n".join(lines)
