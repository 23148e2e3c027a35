"""Incremental ingestion: parsed documents → manifest, dense vectors (Chroma) and lexical tokens.

Work is skipped at two levels: a source whose file hash is unchanged is not even parsed, and a unit
whose hash is unchanged is not re-encoded or rewritten. A changed unit replaces its old entries; units a
source no longer has (and sources that are gone from a re-ingested folder) disappear.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.embeddings import CachedEmbeddings
from knowledge.indexing.lexical import tokenize
from knowledge.indexing.manifest import Manifest
from knowledge.indexing.statuses import StatusChange
from knowledge.indexing.text import dense_texts, index_key, lexical_text, question_texts
from knowledge.indexing.vectors import VectorStore, entry_id, unit_metadata
from knowledge.units import Document, DocumentError, Unit

logger = logging.getLogger(__name__)
TOKEN_SEPARATOR = "\x1f"
FLUSH_TEXTS = 512  # encode and store in chunks of about this many texts (resumable, bounded memory)


@dataclass
class IngestReport:
    """What one ingest did. ``encoded`` counts texts actually sent to the encoder."""

    documents_new: int = 0
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_removed: int = 0
    units_added: int = 0
    units_replaced: int = 0
    units_unchanged: int = 0
    units_removed: int = 0
    units_restatused: int = 0  # stored units of other sources whose status or id changed (no encoding)
    encoded: int = 0
    encode_seconds: float = 0.0  # of ``seconds``, the time spent inside the encoder
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source, reason): not ingested
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (source, message): ingested anyway

    @property
    def changed(self) -> bool:
        return bool(
            self.documents_new or self.documents_changed or self.documents_removed
            or self.units_added or self.units_replaced or self.units_removed or self.units_restatused
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "documents_new": self.documents_new, "documents_changed": self.documents_changed,
            "documents_unchanged": self.documents_unchanged, "documents_removed": self.documents_removed,
            "units_added": self.units_added, "units_replaced": self.units_replaced,
            "units_unchanged": self.units_unchanged, "units_removed": self.units_removed,
            "units_restatused": self.units_restatused, "encoded": self.encoded,
            "encode_seconds": round(self.encode_seconds, 3),
            "seconds": round(self.seconds, 3),
            "errors": [{"source": s, "reason": r} for s, r in self.errors],
            "warnings": [{"source": s, "message": m} for s, m in self.warnings],
        }


def file_fingerprint(path: Path, kind: str | None, community: str | None, extra: str = "") -> str:
    """Hash of the bytes of a source (and its ``.meta.yaml`` sidecar) and of how it was asked to be read;
    ``extra`` names anything else that changes its units (the version of the article-questions set)."""
    digest = hashlib.sha256()
    digest.update(f"{kind or ''}\x1f{community or ''}\x1f".encode())
    if extra:
        digest.update(f"{extra}\x1f".encode())
    digest.update(path.read_bytes())
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.is_file():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


@dataclass
class _Pending:
    """A document whose changed units wait to be encoded and stored."""

    document: Document
    fingerprint: str
    profile: dict[str, Any]
    units: list[tuple[int, Unit, list[str], str]]  # (seq, unit, dense texts, tokens) to (re)write
    unchanged: list[tuple[int, Unit]]
    stale_entries: list[str]  # Chroma ids to delete
    removed_units: list[str]


class Indexer:
    def __init__(self, manifest: Manifest, vectors: VectorStore, embeddings: CachedEmbeddings) -> None:
        self.manifest = manifest
        self.vectors = vectors
        self.embeddings = embeddings

    def remove_source(self, source: str) -> int:
        """Drop a source's units from every index; returns how many units went."""
        stored = self.manifest.unit_hashes(source)
        self.vectors.delete([entry_id(uid, p) for uid, (_, n) in stored.items() for p in range(n)])
        removed = self.manifest.delete_document(source)
        return len(removed)

    def ingest_documents(
        self,
        documents: Iterable[tuple[Document, str, dict[str, Any]]],
        report: IngestReport,
        progress: bool = True,
    ) -> None:
        """Store (document with its final statuses and ids, fingerprint, profile), re-encoding only units
        whose indexed text changed."""
        pending = [self._plan(document, fingerprint, profile, report)
                   for document, fingerprint, profile in documents]
        to_encode = sum(len(texts) + len(question_texts(unit))
                        for item in pending for _, unit, texts, _ in item.units)
        bar = _progress_bar(to_encode, progress)
        chunk: list[_Pending] = []
        chunk_texts = 0
        for item in pending:
            chunk.append(item)
            chunk_texts += sum(len(texts) + len(question_texts(unit)) for _, unit, texts, _ in item.units)
            if chunk_texts >= FLUSH_TEXTS:
                self._store(chunk, report, bar.update if bar else None)
                chunk, chunk_texts = [], 0
        self._store(chunk, report, bar.update if bar else None)
        if bar:
            bar.close()

    def _plan(self, document: Document, fingerprint: str, profile: dict[str, Any], report: IngestReport
              ) -> _Pending:
        source = document.source
        before = self.manifest.unit_hashes(source)
        report.warnings.extend((source, message) for message in document.warnings)
        owners = self.manifest.owner_of(unit.id for unit in document.units)
        plan = _Pending(document, fingerprint, profile, [], [], [], [])
        seen: set[str] = set()
        for seq, unit in enumerate(document.units):
            owner = owners.get(unit.id, source)
            if unit.id in seen or owner != source:
                where = "this file" if unit.id in seen else owner
                report.warnings.append((source, f"{unit.id} already comes from {where}; kept the first"))
                continue
            seen.add(unit.id)
            texts = [t.text for t in dense_texts(unit)]
            old = before.get(unit.id)
            if old and old[0] == index_key(unit) and old[1] == len(texts):
                plan.unchanged.append((seq, unit))
                report.units_unchanged += 1
                continue
            if old:
                report.units_replaced += 1
                plan.stale_entries += [entry_id(unit.id, p) for p in range(len(texts), old[1])]
            else:
                report.units_added += 1
            tokens = TOKEN_SEPARATOR.join(tokenize(lexical_text(unit)))
            plan.units.append((seq, unit, texts, tokens))
        for unit_id, (_, count) in before.items():
            if unit_id not in seen:
                plan.removed_units.append(unit_id)
                plan.stale_entries += [entry_id(unit_id, p) for p in range(count)]
        report.units_removed += len(plan.removed_units)
        if not before:
            report.documents_new += 1
        elif plan.units or plan.removed_units or self.manifest.file_hash(source) != fingerprint:
            report.documents_changed += 1
        else:
            report.documents_unchanged += 1
        return plan

    def _store(
        self, chunk: Sequence[_Pending], report: IngestReport, on_batch: Callable[[int], object] | None
    ) -> None:
        if not chunk:
            return
        texts = [text for item in chunk for _, _, unit_texts, _ in item.units for text in unit_texts]
        # Article questions are encoded here too (into the embedding cache, which the question index is
        # built from) but are not stored in Chroma: see knowledge.indexing.questions.
        questions = [text for item in chunk for _, unit, _, _ in item.units for text in question_texts(unit)]
        before, before_seconds = self.embeddings.encoded, self.embeddings.encode_seconds
        vectors = self.embeddings.passages(texts + questions, on_batch=on_batch)[: len(texts)]
        report.encoded += self.embeddings.encoded - before
        report.encode_seconds += self.embeddings.encode_seconds - before_seconds
        ids, metadatas = [], []
        for item in chunk:
            for _, unit, unit_texts, _ in item.units:
                for part in range(len(unit_texts)):
                    ids.append(entry_id(unit.id, part))
                    metadatas.append(unit_metadata(unit, part))
        self.vectors.add(ids, vectors, metadatas)
        for item in chunk:
            self.vectors.delete(item.stale_entries)
            self.manifest.delete_units(item.removed_units)
            self.manifest.put_units([(u, seq, len(texts), tokens) for seq, u, texts, tokens in item.units])
            if item.unchanged:
                self.manifest.renumber(item.document.source, [(unit.id, seq) for seq, unit in item.unchanged])
                self._restatus_unchanged(item.unchanged)
            document = item.document
            self.manifest.put_document(
                document.source, item.fingerprint, document.kind.value, document.title, document.scope,
                document.status.value, len(document.units), document.warnings, item.profile,
            )

    def _restatus_unchanged(self, unchanged: Sequence[tuple[int, Unit]]) -> None:
        """Units whose text is unchanged but whose status is not what is stored: metadata only."""
        stored = self.manifest.get_many([unit.id for _, unit in unchanged])
        changes = [
            StatusChange(unit.id, unit.id, unit.status, unit.superseded_by)
            for _, unit in unchanged
            if unit.id in stored and (stored[unit.id].status, stored[unit.id].superseded_by)
            != (unit.status, unit.superseded_by)
        ]
        self.restatus(changes)

    def restatus(self, changes: Sequence[StatusChange]) -> int:
        """Give stored units a new id and/or status: metadata in Chroma and the manifest, vectors moved
        as they are (never re-encoded). Ids may be swapped among ``changes``. Returns units changed."""
        if not changes:
            return 0
        stored = self.manifest.get_many([change.old_id for change in changes])
        counts = self.manifest.vector_counts([change.old_id for change in changes])
        updated: list[tuple[str, Unit]] = []
        for change in changes:
            if change.old_id in stored:
                unit = dataclasses.replace(stored[change.old_id], id=change.new_id, status=change.status,
                                           superseded_by=change.superseded_by, hash="")
                updated.append((change.old_id, unit))
        same = [(old, unit) for old, unit in updated if old == unit.id]
        self.vectors.update_metadata(
            [entry_id(unit.id, p) for _, unit in same for p in range(counts[unit.id])],
            [unit_metadata(unit, p) for _, unit in same for p in range(counts[unit.id])],
        )
        moved = [(old, unit) for old, unit in updated if old != unit.id]
        old_entries = [entry_id(old, p) for old, _ in moved for p in range(counts[old])]
        vectors = self.vectors.vectors_of(old_entries)
        self.vectors.delete(old_entries)
        new_ids, new_vectors, metadatas = [], [], []
        for old, unit in moved:
            for part in range(counts[old]):
                if entry_id(old, part) in vectors:
                    new_ids.append(entry_id(unit.id, part))
                    new_vectors.append(vectors[entry_id(old, part)])
                    metadatas.append(unit_metadata(unit, part))
        if new_ids:
            self.vectors.add(new_ids, np.stack(new_vectors), metadatas)
        self.manifest.replace_units(updated)
        return len(updated)

    def drop_units(self, unit_ids: Sequence[str]) -> None:
        """Forget units (their text comes back from the embedding cache if they are stored again)."""
        counts = self.manifest.vector_counts(list(unit_ids))
        self.vectors.delete([entry_id(uid, p) for uid, n in counts.items() for p in range(n)])
        self.manifest.delete_units(list(counts))


def _progress_bar(total: int, enabled: bool) -> Any:
    """A tqdm bar with rate and ETA for ingests worth watching (more than a few batches)."""
    if not enabled or total < 64:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="text", desc="encoding", smoothing=0.05, dynamic_ncols=True)


def collect_errors(items: Iterable[Document | DocumentError], report: IngestReport) -> list[Document]:
    documents = []
    for item in items:
        if isinstance(item, DocumentError):
            report.errors.append((item.source, item.reason))
        else:
            documents.append(item)
    return documents


def timed(report: IngestReport, started: float) -> IngestReport:
    report.seconds = time.perf_counter() - started
    return report
