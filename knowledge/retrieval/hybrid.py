"""Hybrid retrieval: exact references first, then dense (Chroma) and BM25 candidates fused.

Ranking: ``(w − q) · z(cosine) + (1 − w) · z(bm25) + q · z(asked)`` where each z-score is taken
against the whole corpus for this query (BM25: every unit; dense: a fixed sample of unit vectors;
asked: every unit with article questions), ``w`` = ``dense_weight`` (0.8) and ``q`` =
``question_weight`` (0.4) times the share of the searchable units that have article questions.
``asked`` is the article-questions channel (:mod:`knowledge.indexing.questions`): the best cosine
between the query and the everyday questions written for a unit. A unit without such questions uses
its own ``z(cosine)`` there, so it ranks exactly as with ``w · z(cosine) + (1 − w) · z(bm25)``, the
ranking without questions. The share matters because ``z(asked)`` is taken over the units that have
questions: on the national corpus (4 % of it covered) the best of them would stand out for every
query, and recall@1 fell from 0.369 to 0.318 with an unscaled weight. Measured on the
22 laws z-score fusion ranks better than fusing the absolute scores below (recall@5 0.685 vs 0.668) –
but z-scores say how a unit stands out *within one query*, not how good it is.

Score (``Hit.score``, in [0, 1], higher is better, comparable across queries – what the answer layer
thresholds):

* an exact reference ("民法典第296条") scores 1.0;
* otherwise ``score = ½ · dense + ½ · lexical`` with
  ``dense = clip((cosine − 0.75) / (0.93 − 0.75), 0, 1)`` – the best cosine of the unit's vectors on
  a fixed scale (e5 puts unrelated Chinese text near 0.80, a paraphrase above 0.92) – and
  ``lexical = coverage · bm25 / (bm25 + 10)``: the idf-weighted share of the query's words the unit
  contains, damped by how strongly it matches. Both parts are absolute, not relative to other hits.

The score of each hit is capped by the score of the hit ranked above it, so scores never rise down the
list and a threshold keeps a prefix of the ranking.
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
from knowledge.indexing.questions import QuestionIndex
from knowledge.indexing.vectors import VectorStore, entry_id
from knowledge.retrieval.references import TitleResolver, find_references
from knowledge.units import NATIONAL_SCOPE, Hit, Unit, UnitStatus
from knowledge.vocabulary import expand_query

DENSE_FLOOR = 0.75
DENSE_CEIL = 0.93
LEXICAL_HALF = 10.0
SCORE_DENSE_SHARE = 0.5
DENSE_OVERFETCH = 3  # unfiltered dense candidates per wanted unit, before the scope is applied
# Units taken from the article-questions channel: its best matches are what it adds; deeper ones are
# mostly candidates of the other two already, and each new one costs a vector fetch from Chroma.
QUESTION_CANDIDATES = 30
DENSE_SAMPLE = 1000  # unit vectors kept in memory to z-score a query's cosines against the corpus


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


def calibrated_score(cosine: float, bm25: float, coverage: float) -> float:
    """The [0, 1] score of a ranked hit (module docstring): absolute, so comparable across queries."""
    dense = min(1.0, max(0.0, (cosine - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR)))
    lexical = coverage * bm25 / (bm25 + LEXICAL_HALF)
    return SCORE_DENSE_SHARE * dense + (1.0 - SCORE_DENSE_SHARE) * lexical


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest scores (in no particular order): a partition, not a full sort."""
    if len(scores) <= n:
        return np.arange(len(scores))
    return np.argpartition(-scores, n)[:n]


def _spread(values: np.ndarray) -> tuple[float, float]:
    """Mean and (non-zero) deviation of a channel's scores for one query."""
    if not len(values):
        return 0.0, 1.0
    return float(values.mean()), max(float(values.std()), 1e-6)


class HybridRetriever:
    def __init__(
        self,
        manifest: Manifest,
        vectors: VectorStore,
        lexical: LexicalIndex,
        embeddings: VectorEmbeddings,
        dense_weight: float,
        candidates: int,
        questions: QuestionIndex | None = None,
        question_weight: float = 0.0,
    ) -> None:
        self.manifest = manifest
        self.vectors = vectors
        self.lexical = lexical
        self.embeddings = embeddings
        self.dense_weight = dense_weight
        self.candidates = candidates
        self.questions = questions
        self.question_candidates = QUESTION_CANDIDATES
        self.question_weight = min(question_weight, dense_weight) if questions is not None else 0.0
        self.refresh()

    def refresh(self) -> None:
        """Reload what depends on the set of units: filter columns and the title resolver."""
        rows = self.manifest.filters()
        by_id = {uid: (scope, status) for uid, _, scope, status in rows}
        self._scope = np.array([by_id.get(uid, ("", ""))[0] for uid in self.lexical.ids], dtype=object)
        self._status = np.array([by_id.get(uid, ("", ""))[1] for uid in self.lexical.ids], dtype=object)
        self._resolver = TitleResolver((title, kind) for title, kind, _, _ in self.manifest.document_titles())
        self.vectors.forget()
        self._sample = self.vectors.sample(DENSE_SAMPLE)
        self._position = {uid: i for i, uid in enumerate(self.lexical.ids)}
        self._masks: dict[Scope, np.ndarray] = {}

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
        """Exact references first, then the ranked units. ``mode`` "dense", "lexical" or "questions" ranks
        by one retriever alone (for benchmarks); their hits carry that retriever's raw score."""
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
            ranked = list(self._dense(self.embeddings.query_vector(query), k, scope).items())
        elif mode in ("lexical", "questions"):
            if mode == "lexical":
                scores = self._lexical(query, scope)[0]
                present = scores > 0
            else:
                scores, present = self._asked(self.embeddings.query_vector(query), scope)
            top = [i for i in np.argsort(-np.where(present, scores, -np.inf))[:k] if present[i]]
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
        """(unit id, score, cosine, bm25) of the best ``n`` units in rank order."""
        vector = self.embeddings.query_vector(query)
        dense = self._dense(vector, n, scope)
        lexical, coverage = self._lexical(query, scope)
        asked, has_questions = self._asked(vector, scope)
        candidates = set(dense)
        candidates.update(self.lexical.ids[i] for i in _top(lexical, n) if lexical[i] > 0)
        if has_questions.any():
            top_asked = _top(np.where(has_questions, asked, -np.inf), self.question_candidates)
            candidates.update(self.lexical.ids[i] for i in top_asked if has_questions[i])
        missing = [uid for uid in candidates if uid not in dense]
        dense.update(self._dense_of(missing, vector))
        position = self._position
        dense_mean, dense_std = self._dense_spread(vector)
        lexical_mean, lexical_std = _spread(lexical)
        asked_mean, asked_std = _spread(asked[has_questions])
        # The channel's z-scores are relative to the units that have questions; when those are a small
        # part of what may be returned, the best of them stands out whatever the query. So the channel
        # speaks in proportion to the share of the scope it covers (22 laws: 0.93; national: 0.04).
        covered = float(has_questions.sum()) / max(int(self._allowed(scope).sum()), 1)
        weight_asked = self.question_weight * covered
        weight_dense = self.dense_weight - weight_asked
        ranked = []
        for uid in candidates:
            cosine = dense.get(uid, 0.0)
            i = position.get(uid)
            bm25 = float(lexical[i]) if i is not None else 0.0
            cover = float(coverage[i]) if i is not None else 0.0
            dense_z = (cosine - dense_mean) / max(dense_std, 1e-6)
            asked_z = dense_z  # a unit without article questions ranks as if the channel did not exist
            if i is not None and has_questions[i]:
                asked_z = (float(asked[i]) - asked_mean) / asked_std
            key = weight_dense * dense_z + weight_asked * asked_z
            key += (1.0 - self.dense_weight) * (bm25 - lexical_mean) / lexical_std
            ranked.append((key, uid, calibrated_score(cosine, bm25, cover), cosine, bm25))
        ranked.sort(key=lambda item: -item[0])
        result, ceiling = [], 1.0
        for _, uid, score, cosine, bm25 in ranked[:n]:
            ceiling = min(ceiling, score)
            result.append((uid, ceiling, cosine, bm25))
        return result

    def _asked(self, vector: np.ndarray, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: the cosine of its best article question, and whether it has any in the scope."""
        size = len(self.lexical.ids)
        if self.questions is None or not len(self.questions) or not self.question_weight:
            return np.zeros(size, dtype=np.float32), np.zeros(size, dtype=bool)
        asked, has = self.questions.best(vector)
        if len(asked) != size:  # built for another generation of the index: never mix positions
            return np.zeros(size, dtype=np.float32), np.zeros(size, dtype=bool)
        return asked, has & self._allowed(scope)

    def _dense_spread(self, vector: np.ndarray) -> tuple[float, float]:
        """Mean and deviation of this query's cosine over a sample of the corpus."""
        if not len(self._sample):
            return 0.0, 1.0
        similarities = self._sample @ vector
        return float(similarities.mean()), float(similarities.std())

    def _dense(self, vector: np.ndarray, n: int, scope: Scope) -> dict[str, float]:
        """The ``n`` best units the scope allows. Chroma's metadata filter lists every allowed entry
        first (254 ms a query on the national corpus's 72k vectors, against 11 ms unfiltered), so the
        search runs unfiltered for a few times more entries and the scope is applied here; only when
        too few allowed units come back does Chroma's filter run."""
        allowed = self._allowed(scope)
        wanted = min(n, int(allowed.sum()))
        position = self._position
        kept: dict[str, float] = {}
        for match in self.vectors.search(vector, DENSE_OVERFETCH * n, None):
            i = position.get(match.unit_id)
            if i is not None and allowed[i]:
                kept[match.unit_id] = match.similarity
                if len(kept) == n:
                    return kept
        if len(kept) >= wanted:
            return kept
        matches = self.vectors.search(vector, n, scope.chroma_where())
        return {match.unit_id: match.similarity for match in matches}

    def _dense_of(self, unit_ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of units the dense search did not return (found by BM25 only)."""
        if not unit_ids:
            return {}
        counts = self.manifest.vector_counts(unit_ids)
        entries = [entry_id(uid, part) for uid in unit_ids for part in range(counts.get(uid, 0))]
        best: dict[str, float] = {}
        for owner, stored in self.vectors.get(entries):
            similarity = float(np.dot(stored, vector))
            best[owner] = max(best.get(owner, -1.0), similarity)
        return best

    def _allowed(self, scope: Scope) -> np.ndarray:
        """Boolean mask over ``lexical.ids`` of the units the scope may return (cached per scope)."""
        mask = self._masks.get(scope)
        if mask is None:
            mask = np.isin(self._scope, scope.scopes)
            if not scope.include_inactive:
                mask &= self._status == UnitStatus.IN_FORCE.value
            self._masks[scope] = mask
        return mask

    @staticmethod
    def query_tokens(query: str) -> list[str]:
        """The question's own tokens plus the statute terms its everyday words map to (房东 → 出租人)."""
        return tokenize(query) + tokenize(" ".join(expand_query(query)))

    def _lexical(self, query: str, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of every unit (0 outside the scope) and the idf-weighted share of query words it holds."""
        tokens = self.query_tokens(query)
        scores, coverage = self.lexical.scores(tokens)
        if len(scores):
            scores = np.where(self._allowed(scope), scores, 0.0)
        return scores, coverage
