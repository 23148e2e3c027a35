"""What deciding statuses over the whole stored collection costs on each ingest or removal.

    python -m benchmarks.statuses [FOLDER]      (default: ../shared/corpus/national)

Parses the folder, stores every document's profile and units in a manifest in a temporary directory
(no encoder, no Chroma: only the manifest part of the index), then times the per-ingest work of
``KnowledgeBase._store`` that does not depend on the files ingested: reading profiles and unit states
from the manifest and ``decide`` with one newly parsed document (a newer version of a stored law).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from knowledge.indexing.manifest import Manifest
from knowledge.indexing.statuses import decide, document_profile
from knowledge.parsing import iter_documents
from knowledge.statutes import apply_statuses
from knowledge.units import Document

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _timed(label: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - started:.3f} s")
    return result


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else CORPUS / "national"
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    parsed = [d for d in iter_documents([folder]) if isinstance(d, Document)]
    decided = apply_statuses(parsed)
    units = sum(len(d.units) for d in decided)
    print(f"{folder}: {len(decided)} documents, {units} units")
    with tempfile.TemporaryDirectory() as scratch:
        manifest = Manifest(Path(scratch) / "manifest.sqlite3")
        for original, document in zip(parsed, decided, strict=True):
            manifest.put_units([(unit, seq, 1, "") for seq, unit in enumerate(document.units)])
            manifest.put_document(document.source, "-", document.kind.value, document.title, document.scope,
                                  document.status.value, len(document.units), (), document_profile(original))
        newest = max((d for d in parsed if d.meta.get("version_date")), key=lambda d: d.meta["version_date"])
        newer = dataclasses.replace(newest, source=newest.source + ".newer",
                                    meta={**newest.meta, "version_date": "2099-01-01"})
        print(f"one new version of {newest.title} ingested:")
        profiles = _timed("manifest.profiles()", manifest.profiles)
        states = _timed("manifest.unit_states()", manifest.unit_states)
        started = time.perf_counter()
        decision = decide(profiles, [newer], states)
        print(f"  decide: {time.perf_counter() - started:.3f} s "
              f"({sum(len(c) for c in decision.changes.values())} stored units change)")
        manifest.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
