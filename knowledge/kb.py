"""The knowledge base facade: ingest sources, remove them, look units up and search.

    kb = KnowledgeBase.open()                       # settings from HESHI_* variables
    report = kb.ingest(["laws/"], kind="law")       # incremental: unchanged files cost nothing
    hits = kb.search("邻居家的树挡住我家采光怎么办", k=5, community="QSC")
    kb.get("law/中华人民共和国民法典/296")

Search scope: ``community=None`` searches national units only; ``community="QSC"`` national units and
QSC's own; another community's rules never answer. Repealed and superseded units are left out unless
``include_inactive``. ``Hit.score`` is in [0, 1] and comparable across queries (see
:mod:`knowledge.retrieval.hybrid`); exact references ("民法典第296条") come first with score 1.0.
Statuses (superseded versions, repeals) and unit ids are decided over every stored document after each
ingest and removal (:mod:`knowledge.indexing.statuses`), never over one call's files alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from knowledge.article_questions import OFF, QuestionBank
from knowledge.embeddings import CachedEmbeddings, EmbeddingCache, VectorEmbeddings, build_embeddings
from knowledge.indexing.ingest import TOKEN_SEPARATOR, Indexer, IngestReport, file_fingerprint
from knowledge.indexing.lexical import LexicalIndex
from knowledge.indexing.manifest import Manifest
from knowledge.indexing.questions import QuestionIndex
from knowledge.indexing.vectors import VectorStore
from knowledge.retrieval.hybrid import HybridRetriever, Scope
from knowledge.settings import KnowledgeSettings
from knowledge.units import Document, DocumentError, Hit, Unit, UnitKind

__all__ = ["IngestReport", "KnowledgeBase"]


def _slug(model_id: str) -> str:
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", model_id.split("|")[0]).strip("-")[:40]
    return f"{readable}-{hashlib.sha256(model_id.encode()).hexdigest()[:8]}"


def _folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


# Seconds between checks whether another process (``heshi kb ingest`` beside a running bot) changed the
# index; one small SQLite read each.
FOLLOW_EVERY = 5.0


class KnowledgeBase:
    """One index per encoder model under ``<data_dir>/kb/<model>/``; the embedding cache is shared."""

    def __init__(self, settings: KnowledgeSettings, embeddings: VectorEmbeddings) -> None:
        self.settings = settings
        kb_dir = settings.kb_dir
        self.cache = EmbeddingCache(kb_dir / "embeddings.sqlite3")
        self.embeddings = CachedEmbeddings(embeddings, self.cache, batch_size=settings.batch_size)
        slug = _slug(embeddings.model_id)
        self.index_dir = kb_dir / slug
        self.manifest = Manifest(self.index_dir / "manifest.sqlite3")
        collection = f"{settings.collection}-{slug}"[:500]
        self.vectors = VectorStore(settings.chroma_url, self.index_dir / "chroma", collection)
        self.lexical = LexicalIndex(self.index_dir / "bm25")
        self.question_index = QuestionIndex(self.index_dir / "questions")
        self.question_bank = QuestionBank.load(settings.article_questions)
        self.indexer = Indexer(self.manifest, self.vectors, self.embeddings)
        if not (self.lexical.load(self._stamp()) and self.question_index.load(self._stamp())):
            self._rebuild_derived()
        self.retriever = HybridRetriever(
            self.manifest, self.vectors, self.lexical, self.embeddings, settings.dense_weight,
            settings.candidates, self.question_index, settings.question_weight,
        )
        self._serving = self._stamp()  # the generation the in-memory indexes belong to
        self._followed_at = time.monotonic()
        self._reading = threading.Lock()  # a reload never runs beside a search of this process

    @classmethod
    def open(
        cls, settings: KnowledgeSettings | None = None, embeddings: VectorEmbeddings | None = None
    ) -> KnowledgeBase:
        """Open (or create) the knowledge base; ``embeddings`` overrides the encoder of the settings."""
        settings = settings or KnowledgeSettings()
        return cls(settings, embeddings or build_embeddings(settings))

    # -- ingestion -------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        kind: UnitKind | str | None = None,
        community: str | None = None,
        progress: bool = True,
    ) -> IngestReport:
        """Parse and index files and folders; unchanged files are skipped before parsing."""
        from knowledge.parsing import iter_documents, iter_source_files

        started = time.perf_counter()
        report = IngestReport()
        kind_value = UnitKind(kind).value if kind else None
        roots = [Path(p).expanduser().resolve() for p in paths]
        files: list[tuple[Path, str]] = []
        for file in iter_source_files(roots):
            try:
                files.append((file, file_fingerprint(file, kind_value, community, self._questions_key())))
            except OSError as error:
                report.errors.append((str(file), f"cannot read: {error.strerror or error}"))
        seen = {str(file) for file, _ in files}
        for root in roots:
            if root.is_dir():
                report.documents_removed += self._forget_vanished(root, seen, report)
        fresh: list[tuple[Document, str]] = []
        for file, fingerprint in files:
            if fingerprint == self.manifest.file_hash(str(file)):
                report.documents_unchanged += 1
                continue
            for item in iter_documents([file], kind=kind_value, community=community):
                if isinstance(item, DocumentError):
                    report.errors.append((item.source, item.reason))
                else:
                    fresh.append((self.question_bank.attach(item), fingerprint))
        if fresh or report.documents_removed:  # else no status can have changed
            self._store(fresh, report, progress)
        self._after_change(report.changed)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_documents(self, documents: Iterable[Document], progress: bool = False) -> IngestReport:
        """Index already parsed documents (their content decides what changed). A document's own
        non-in-force ``status`` is kept as if its metadata stated it."""
        started = time.perf_counter()
        report = IngestReport()
        fresh = []
        for document in map(self.question_bank.attach, documents):
            fingerprint = hashlib.sha256(
                f"{document.status}\x1f{''.join(u.hash for u in document.units)}".encode()
            ).hexdigest()
            if fingerprint == self.manifest.file_hash(document.source):
                report.documents_unchanged += 1
            else:
                fresh.append((document, fingerprint))
        if fresh:
            self._store(fresh, report, progress)
        self._after_change(report.changed)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, source: str | Path) -> int:
        """Remove a source (as ingested, or its path; a folder removes every source under it) from every
        index; returns the number of units removed."""
        resolved = Path(source).expanduser().resolve()
        prefix = str(resolved) + os.sep
        wanted = {str(source), str(resolved)}
        targets = [s for s in self.manifest.sources() if s in wanted or s.startswith(prefix)]
        removed = sum(self.indexer.remove_source(s) for s in targets)
        if targets:
            self._store([], IngestReport(), progress=False)  # statuses without the removed sources
        self._after_change(bool(targets))
        return removed

    # -- lookup and search -----------------------------------------------------------------------
    def get(self, unit_id: str) -> Unit | None:
        return self.manifest.get(unit_id)

    def search(
        self,
        query: str,
        k: int | None = None,
        community: str | None = None,
        include_inactive: bool = False,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """Best units for ``query``; exact article references first. Thread-safe for readers.

        ``mode`` "dense" or "lexical" uses one retriever alone (benchmarks compare them)."""
        scope = Scope(community=community or None, include_inactive=include_inactive)
        with self._reading:
            self._follow_changes()
            return self.retriever.search(query, k or self.settings.k_default, scope, mode=mode)

    def _follow_changes(self) -> None:
        """Load what another process ingested or removed (it saved the derived indexes under the new
        generation); until they are complete on disk, keep serving the old ones."""
        now = time.monotonic()
        if now - self._followed_at < FOLLOW_EVERY:
            return
        self._followed_at = now
        stamp = self._stamp()
        if stamp == self._serving:
            return
        if self.lexical.load(stamp) and self.question_index.load(stamp):
            self.retriever.refresh()
            self._serving = stamp

    def stats(self) -> dict[str, Any]:
        counts = self.manifest.counts()
        sizes = {
            "manifest": _folder_size(self.index_dir / "manifest.sqlite3"),
            "vectors": _folder_size(self.index_dir / "chroma"),
            "lexical": self.lexical.size_on_disk(),
            "questions": self.question_index.size_on_disk(),
            "embedding_cache": _folder_size(self.settings.kb_dir / "embeddings.sqlite3"),
        }
        return {
            **counts,
            "article_questions": len(self.question_index),
            "model": self.embeddings.model_id,
            "vector_store": self.settings.chroma_url or str(self.index_dir / "chroma"),
            "bytes_on_disk": sizes,
            "bytes_total": sum(sizes.values()),
        }

    def close(self) -> None:
        self.manifest.close()
        self.cache.close()

    # -- internals -------------------------------------------------------------------------------
    def _store(self, fresh: Sequence[tuple[Document, str]], report: IngestReport, progress: bool) -> None:
        """Decide statuses and ids over the whole stored collection with ``fresh`` documents in it, bring
        the stored units whose status or id changed up to date (metadata only), then index ``fresh``."""
        from knowledge.indexing.statuses import decide, document_profile

        profiles = {document.source: document_profile(document) for document, _ in fresh}
        parsed = [dataclasses.replace(document, meta={**document.meta, **profiles[document.source]["meta"]})
                  for document, _ in fresh]  # a status set on the Document itself counts as stated
        states = self.manifest.unit_states()
        decision = decide(self.manifest.profiles(), parsed, states)
        for final in decision.fresh:
            # Ids this source held that now belong to another document (this source became an older
            # version, renamed …@version): freed before the other document takes them.
            mine = {unit.id for unit in final.units}
            self.indexer.drop_units([state.id for state in states.get(final.source, [])
                                     if state.id not in mine and state.id in decision.claimed])
        # All at once: ids may pass from one stored document to another (a swap).
        report.units_restatused += self.indexer.restatus(
            [change for changes in decision.changes.values() for change in changes]
        )
        for source in decision.changes:
            self.manifest.set_document_status(source, decision.statuses[source].value)
        triples = [(final, fingerprint, profiles[final.source])
                   for final, (_, fingerprint) in zip(decision.fresh, fresh, strict=True)]
        self.indexer.ingest_documents(triples, report, progress=progress)

    def _forget_vanished(self, root: Path, seen: set[str], report: IngestReport) -> int:
        """Sources under a re-ingested folder whose files are gone."""
        prefix = str(root) + os.sep
        gone = [
            s for s in self.manifest.sources()
            if s.startswith(prefix) and s not in seen and not Path(s).exists()
        ]
        for source in gone:
            report.units_removed += self.indexer.remove_source(source)
        return len(gone)

    def _stamp(self) -> str:
        return self.manifest.get_meta("generation") or "0"

    def _after_change(self, changed: bool) -> None:
        if not changed:
            return
        self.manifest.set_meta("generation", str(int(self._stamp()) + 1))
        with self._reading:
            self._rebuild_derived()
            self.retriever.refresh()
            self._serving = self._stamp()

    def _questions_key(self) -> str:
        """Part of every file's ingest key: a new article-questions set re-reads the laws it covers."""
        return "" if self.question_bank.version == OFF else f"questions:{self.question_bank.version}"

    def _rebuild_derived(self) -> None:
        """The BM25 matrix and the article-questions index, both in the manifest's unit order."""
        ids, tokens = [], []
        for stored in self.manifest.iter_stored():
            ids.append(stored.id)
            tokens.append(stored.tokens.split(TOKEN_SEPARATOR) if stored.tokens else [])
        self.lexical.build(ids, tokens, self._stamp())
        self.question_index.build(ids, self.manifest.unit_questions(), self.embeddings, self._stamp())
