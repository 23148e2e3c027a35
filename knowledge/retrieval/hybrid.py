"""Hybrid retrieval: exact references first, then dense (Chroma) and BM25 candidates fused into one score.

The score of a hit (``Hit.score``, in [0, 1], higher is better) is comparable across queries:

* an exact reference ("民法典第296条") scores 1.0;
* otherwise ``score = w · dense + (1 − w) · lexical`` with
  ``dense = clip((cosine − DENSE_FLOOR) / (DENSE_CEIL − DENSE_FLOOR), 0, 1)`` – the best cosine of the
  unit's vectors on a fixed scale (about 0 for unrelated text, 1 for a near paraphrase) – and
  ``lexical = coverage · saturation``: the idf-weighted share of the query's words the unit contains,
  damped by ``bm25 / (bm25 + LEXICAL_HALF)``; both are absolute, not relative to the other hits.

``Hit.dense`` and ``Hit.lexical`` carry the raw cosine and BM25 score for diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.embeddings import VectorEmbeddings
from knowledge.indexing.lexical import LexicalIndex, tokenize
from knowledge.indexing.manifest import Manifest
from knowledge.indexing.vectors import VectorStore, entry_id
from knowledge.retrieval.references import TitleResolver, find_references
from knowledge.units import NATIONAL_SCOPE, Hit, Unit, UnitStatus

try:
    from knowledge.vocabulary import expand_query
except ImportError:  # the vocabulary of the parsing layer is not merged yet

    def expand_query(text: str) -> list[str]:
        return []


DENSE_FLOOR = 0.75
DENSE_CEIL = 0.93
LEXICAL_HALF = 8.0


@dataclass(frozen=True, slots=True)
class Scope:
    """Which units a search may return: national ones plus one community's, in force unless asked."""

    community: str | None = None
    include_inactive: bool = False

    @property
    def scopes(self) -> list[str]:
        return [NATIONAL_SCOPE] + ([self.community] if self.community else [])

    def allows(self, scope: str, status: str) -> bool:
        return scope in self.scopes and (self.include_inactive or status == UnitStatus.IN_FORCE.value)

    def chroma_where(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = [{"scope": {"$in": self.scopes}}]
        if not self.include_inactive:
            clauses.append({"status": UnitStatus.IN_FORCE.value})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class HybridRetriever:
    def __init__(
        self,
        manifest: Manifest,
        vectors: VectorStore,
        lexical: LexicalIndex,
        embeddings: VectorEmbeddings,
        dense_weight: float,
        candidates: int,
    ) -> None:
        self.manifest = manifest
        self.vectors = vectors
        self.lexical = lexical
        self.embeddings = embeddings
        self.dense_weight = dense_weight
        self.candidates = candidates
        self.refresh()

    def refresh(self) -> None:
        """Reload what depends on the set of units: filter columns and the title resolver."""
        rows = self.manifest.filters()
        by_id = {uid: (scope, status) for uid, _, scope, status in rows}
        self._scope = np.array([by_id.get(uid, ("", ""))[0] for uid in self.lexical.ids], dtype=object)
        self._status = np.array([by_id.get(uid, ("", ""))[1] for uid in self.lexical.ids], dtype=object)
        self._resolver = TitleResolver((title, kind) for title, kind, _, _ in self.manifest.document_titles())

    # -- exact references ------------------------------------------------------------------------
    def exact(self, query: str, scope: Scope) -> list[Unit]:
        found: list[Unit] = []
        for reference in find_references(query):
            titles = self._resolver.resolve(reference)
            units = [u for u in self.manifest.find_articles(sorted(titles), reference.number)
                     if scope.allows(u.scope, u.status.value)]
            # The community's own rules before national text; in-force versions before older ones.
            units.sort(key=lambda u: (u.scope == NATIONAL_SCOPE, u.status != UnitStatus.IN_FORCE))
            found += [u for u in units if u not in found]
        return found

    # -- ranked search ---------------------------------------------------------------------------
    def search(self, query: str, k: int, scope: Scope, mode: str = "hybrid") -> list[Hit]:
        """Exact references first, then the ranked units. ``mode`` "dense" or "lexical" ranks by one
        retriever alone (for benchmarks); their hits carry that retriever's raw score."""
        query = query.strip()
        if not query:
            return []
        if mode != "hybrid":
            return self._single(query, k, scope, mode)
        exact = self.exact(query, scope)
        hits = [Hit(unit, 1.0, exact=True) for unit in exact[:k]]
        if len(hits) >= k:
            return hits
        ranked = self.rank(query, max(k, self.candidates), scope)
        exact_ids = {unit.id for unit in exact}
        wanted = [item for item in ranked if item[0] not in exact_ids][: k - len(hits)]
        units = self.manifest.get_many([uid for uid, *_ in wanted])
        hits += [
            Hit(units[uid], score, dense=dense, lexical=lexical)
            for uid, score, dense, lexical in wanted if uid in units
        ]
        return hits

    def _single(self, query: str, k: int, scope: Scope, mode: str) -> list[Hit]:
        if mode == "dense":
            ranked = list(self._dense(query, k, scope).items())
        elif mode == "lexical":
            scores, _ = self._lexical(query, scope)
            top = [i for i in np.argsort(-scores)[:k] if scores[i] > 0]
            ranked = [(self.lexical.ids[i], float(scores[i])) for i in top]
        else:
            raise ValueError(f"unknown search mode {mode!r}")
        units = self.manifest.get_many([uid for uid, _ in ranked])
        return [
            Hit(units[uid], score, dense=score if mode == "dense" else None,
                lexical=score if mode == "lexical" else None)
            for uid, score in ranked if uid in units
        ]

    def rank(self, query: str, n: int, scope: Scope) -> list[tuple[str, float, float, float]]:
        """(unit id, fused score, cosine, bm25) of the best ``n`` units, best first."""
        dense = self._dense(query, n, scope)
        lexical, coverage = self._lexical(query, scope)
        top_lexical = np.argsort(-lexical)[:n]
        candidates = set(dense)
        candidates.update(self.lexical.ids[i] for i in top_lexical if lexical[i] > 0)
        missing = [uid for uid in candidates if uid not in dense]
        dense.update(self._dense_of(query, missing))
        position = {uid: i for i, uid in enumerate(self.lexical.ids)}
        scored = []
        for uid in candidates:
            cosine = dense.get(uid, 0.0)
            i = position.get(uid)
            bm25 = float(lexical[i]) if i is not None else 0.0
            cover = float(coverage[i]) if i is not None else 0.0
            scored.append((uid, self.fuse(cosine, bm25, cover), cosine, bm25))
        scored.sort(key=lambda item: -item[1])
        return scored[:n]

    def fuse(self, cosine: float, bm25: float, coverage: float) -> float:
        dense = min(1.0, max(0.0, (cosine - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR)))
        lexical = coverage * bm25 / (bm25 + LEXICAL_HALF)
        return self.dense_weight * dense + (1.0 - self.dense_weight) * lexical

    def _dense(self, query: str, n: int, scope: Scope) -> dict[str, float]:
        self._query_vector = self.embeddings.query_vector(query)
        matches = self.vectors.search(self._query_vector, n, scope.chroma_where())
        return {match.unit_id: match.similarity for match in matches}

    def _dense_of(self, query: str, unit_ids: Sequence[str]) -> dict[str, float]:
        """Cosine of units the dense search did not return (found by BM25 only)."""
        if not unit_ids:
            return {}
        counts = self.manifest.vector_counts(unit_ids)
        entries = [entry_id(uid, part) for uid in unit_ids for part in range(counts.get(uid, 0))]
        best: dict[str, float] = {}
        for owner, vector in self.vectors.get(entries):
            similarity = float(np.dot(vector, self._query_vector))
            best[owner] = max(best.get(owner, -1.0), similarity)
        return best

    @staticmethod
    def query_tokens(query: str) -> list[str]:
        """The question's own tokens plus the statute terms its everyday words map to (房东 → 出租人)."""
        expansion = expand_query(query)
        extra = " ".join(expansion) if not isinstance(expansion, str) else expansion
        return tokenize(query) + (tokenize(extra) if extra and extra != query else [])

    def _lexical(self, query: str, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of every unit (0 outside the scope) and the idf-weighted share of query words it holds."""
        tokens = self.query_tokens(query)
        scores, coverage = self.lexical.scores(tokens)
        if len(scores):
            allowed = np.isin(self._scope, scope.scopes)
            if not scope.include_inactive:
                allowed &= self._status == UnitStatus.IN_FORCE.value
            scores = np.where(allowed, scores, 0.0)
        return scores, coverage
