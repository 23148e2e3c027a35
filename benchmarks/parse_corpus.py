"""Parse throughput of the knowledge sources: files, units and articles per second, peak memory.

    python benchmarks/parse_corpus.py [FOLDER ...]      (default: ../shared/corpus/laws and national)

Prints the environment and, per folder, the parse time, apply_statuses time, unit counts by status
and the peak resident memory of the process.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from knowledge.parsing import iter_documents
from knowledge.statutes import apply_statuses
from knowledge.units import Document

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def measure(folder: Path) -> None:
    started = time.perf_counter()
    results = list(iter_documents([folder]))
    parsed = time.perf_counter() - started
    documents = [r for r in results if isinstance(r, Document)]
    started = time.perf_counter()
    documents = apply_statuses(documents)
    statuses = time.perf_counter() - started
    units = [u for d in documents for u in d.units]
    articles = sum(1 for u in units if u.label and u.label.startswith("第") and "条" in u.label)
    size = sum(Path(d.source).stat().st_size for d in documents)
    by_status = Counter(d.status.value for d in documents)
    print(f"{folder}")
    print(f"  files {len(results)} (errors {len(results) - len(documents)}), {size / 1e6:.1f} MB")
    print(f"  units {len(units)}, articles {articles}, documents by status {dict(by_status)}")
    print(f"  parse {parsed:.2f} s = {len(units) / parsed:,.0f} units/s, {size / 1e6 / parsed:.1f} MB/s")
    print(f"  apply_statuses {statuses:.3f} s")


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or [CORPUS / "laws", CORPUS / "national"]
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    for folder in folders:
        measure(folder)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
