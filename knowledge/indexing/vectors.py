"""The dense index: Chroma, on disk under data_dir or a server by URL, fed only with our own vectors.

The collection is created without an embedding function, so Chroma never loads (or downloads) its
default model: every ``add`` and ``query`` passes precomputed vectors. One entry per dense text:
``{unit_id}#{part}`` (part 0 = the whole unit, 1.. = paragraphs), with the filter metadata.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge.units import Unit

_HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 400, "max_neighbors": 32}
# Vectors fetched by id (the lexical-only candidates of a query) are remembered: each Chroma call costs
# ~0.6 ms, a tenth of an answer. 20,000 vectors of 384 floats are 30 MB.
REMEMBERED_VECTORS = 20_000
# Up to this many vectors (the 22 laws and a county's own rules hold ~4,000) the unfiltered search is
# an exact product with every vector held in memory: faster than Chroma's graph search at this size
# and exact. Above it (the national collection, 72,000) Chroma's HNSW index answers.
EXACT_UP_TO = 20_000


def entry_id(unit_id: str, part: int) -> str:
    return f"{unit_id}#{part}"


def unit_of_entry(entry: str) -> str:
    return entry.rpartition("#")[0]


def unit_metadata(unit: Unit, part: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "unit_id": unit.id, "part": part, "kind": unit.kind.value, "scope": unit.scope,
        "status": unit.status.value, "source": unit.source, "doc_title": unit.doc_title,
    }
    if unit.number is not None:
        meta["number"] = unit.number
    if unit.label:
        meta["label"] = unit.label
    return meta


@dataclass(frozen=True, slots=True)
class DenseMatch:
    unit_id: str
    similarity: float  # cosine similarity of the best-matching vector of the unit


def _client(chroma_url: str, directory: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost", port=url.port or 8000, ssl=url.scheme == "https",
            settings=settings,
        )
    directory.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(directory), settings=settings)


class VectorStore:
    def __init__(self, chroma_url: str, directory: Path, collection: str) -> None:
        self._client = _client(chroma_url, directory)
        self._collection = self._client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": _HNSW}
        )
        self._count: int | None = None
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()
        self._table: tuple[list[str], np.ndarray] | None = None  # every entry, when EXACT_UP_TO allows

    def forget(self) -> None:
        """Drop what this process remembers (the count, fetched vectors): the collection was changed,
        possibly by another process."""
        self._count = None
        self._remembered.clear()
        self._table = None

    def add(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        self._count = None
        self._table = None
        for entry in ids:
            self._remembered.pop(entry, None)
        batch = 2000  # below Chroma's maximum batch size
        for start in range(0, len(ids), batch):
            end = start + batch
            self._collection.upsert(
                ids=list(ids[start:end]), embeddings=vectors[start:end], metadatas=list(metadatas[start:end])
            )

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """New filter metadata for existing entries; their vectors stay."""
        for start in range(0, len(ids), 2000):
            end = start + 2000
            self._collection.update(ids=list(ids[start:end]), metadatas=list(metadatas[start:end]))

    def vectors_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Entry id → stored vector, for the given entries that exist."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), 2000):
            result = self._collection.get(ids=list(ids[start : start + 2000]), include=["embeddings"])
            for entry, vector in zip(result["ids"], result["embeddings"], strict=True):
                found[entry] = np.asarray(vector, dtype=np.float32)
        return found

    def delete(self, ids: Sequence[str]) -> None:
        self._count = None
        self._table = None
        for entry in ids:
            self._remembered.pop(entry, None)
        for start in range(0, len(ids), 2000):
            self._collection.delete(ids=list(ids[start : start + 2000]))

    def count(self) -> int:
        if self._count is None:
            self._count = int(self._collection.count())
        return self._count

    def get(self, ids: Sequence[str]) -> list[tuple[str, np.ndarray]]:
        """(unit id, vector) of the given entries that exist."""
        remembered = self._remembered
        missing = [entry for entry in ids if entry not in remembered]
        if missing:
            result = self._collection.get(ids=missing, include=["embeddings"])
            for entry, vector in zip(result["ids"], result["embeddings"], strict=True):
                remembered[entry] = np.asarray(vector, dtype=np.float32)
            while len(remembered) > REMEMBERED_VECTORS:
                remembered.popitem(last=False)
        found = []
        for entry in ids:
            vector = remembered.get(entry)
            if vector is not None:
                remembered.move_to_end(entry)
                found.append((unit_of_entry(entry), vector))
        return found

    def _all(self) -> tuple[list[str], np.ndarray] | None:
        """Every entry and its unit-length vector, loaded once, when the collection is small enough."""
        if self._table is None:
            if self.count() > EXACT_UP_TO:
                return None
            result = self._collection.get(include=["embeddings"])
            matrix = np.asarray(result["embeddings"], dtype=np.float32).reshape(len(result["ids"]), -1)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            self._table = (list(result["ids"]), matrix / np.maximum(norms, 1e-12))  # cosine, as Chroma's
        return self._table

    def sample(self, size: int) -> np.ndarray:
        """Up to ``size`` whole-unit vectors spread over the collection (for per-query statistics)."""
        total = self.count()
        if total == 0:
            return np.zeros((0, 0), dtype=np.float32)
        chunks, step = [], max(1, total // 4)
        for offset in range(0, total, step):
            result = self._collection.get(
                where={"part": 0}, offset=offset, limit=max(1, size // 4), include=["embeddings"]
            )
            if len(result["embeddings"]):
                chunks.append(np.asarray(result["embeddings"], dtype=np.float32))
        return np.concatenate(chunks)[:size] if chunks else np.zeros((0, 0), dtype=np.float32)

    def search(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[DenseMatch]:
        """Best ``n`` units (max over each unit's vectors), most similar first."""
        total = self.count()
        if total == 0:
            return []
        wanted = min(total, n + n // 4 + 5)
        table = self._all() if where is None else None
        if table is not None:
            entries, matrix = table
            query = np.asarray(vector, dtype=np.float32)
            similarities = matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
            top = np.argpartition(-similarities, wanted - 1)[:wanted]
            found = [(entries[i], float(similarities[i])) for i in top]
        else:
            # Only distances are fetched: the unit id is in the entry id, and skipping the metadata
            # makes a filtered query about 3x faster (69 → 22 ms for 200 results on the 22 laws).
            result = self._collection.query(
                query_embeddings=[vector], n_results=wanted, where=where, include=["distances"]
            )
            pairs = zip(result["ids"][0], result["distances"][0], strict=True)
            found = [(entry, 1.0 - float(distance)) for entry, distance in pairs]
        best: dict[str, float] = {}
        for entry, similarity in found:
            unit_id = unit_of_entry(entry)
            best[unit_id] = max(best.get(unit_id, -1.0), similarity)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:n]
        return [DenseMatch(unit_id, similarity) for unit_id, similarity in ranked]
