"""The article-questions channel: one vector per everyday question written for an article
(:mod:`knowledge.article_questions`), searched exactly in memory.

A resident's question is compared with the questions written for each article (question to question,
which a small encoder does far better than question to statute text); an article's score in this
channel is its best-matching question. The vectors are not kept in Chroma: they would crowd the
article vectors out of the approximate search, and a brute-force product over all of them is cheap
(the bundled set: 8,932 questions, 13 MB, ~2 ms a query). Like the BM25 matrix the index is derived
data: rebuilt from the manifest and the embedding cache (the ingest encodes every question once) after
each change (reusing its own saved vectors, so only new questions are encoded), and saved with the
index generation it belongs to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from knowledge.embeddings import CachedEmbeddings


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class QuestionIndex:
    """Question vectors with the position (in the manifest's unit order) of the unit each belongs to."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._owners = np.zeros(0, dtype=np.int64)
        self._keys = np.zeros(0, dtype=np.str_)
        self._units = 0
        self.stamp = ""
        self._index_runs()

    def __len__(self) -> int:
        return len(self._owners)

    def build(
        self,
        ids: Sequence[str],
        questions: Iterable[tuple[str, Sequence[str]]],
        embeddings: CachedEmbeddings,
        stamp: str,
    ) -> None:
        """``questions``: (unit id, its question texts) for the units that have any."""
        position = {uid: i for i, uid in enumerate(ids)}
        owners: list[int] = []
        texts: list[str] = []
        for unit_id, unit_questions in questions:
            if unit_id in position:
                owners += [position[unit_id]] * len(unit_questions)
                texts += unit_questions
        keys = [_key(text) for text in texts]
        self._vectors = self._vectors_for(texts, keys, embeddings)
        self._keys = np.asarray(keys, dtype=np.str_)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._units = len(ids)
        self.stamp = stamp
        self._index_runs()
        self._save()

    def _vectors_for(self, texts: list[str], keys: list[str], embeddings: CachedEmbeddings) -> np.ndarray:
        """Vectors of ``texts``: the saved index's own first (so a lost embedding cache never means
        encoding every question again), the embedding cache or the encoder for new ones."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        saved = self._saved()
        new = [text for text, key in zip(texts, keys, strict=True) if key not in saved]
        encoded = dict(zip(map(_key, new), embeddings.passages(new), strict=True)) if new else {}
        return np.stack([saved[key] if key in saved else encoded[key] for key in keys]).astype(np.float32)

    def _saved(self) -> dict[str, np.ndarray]:
        files = [self._dir / name for name in ("keys.npy", "vectors.npy")]
        if not all(file.is_file() for file in files):
            return {}
        keys, vectors = (np.load(file) for file in files)
        return dict(zip(keys.tolist(), vectors, strict=True)) if len(keys) == len(vectors) else {}

    def _save(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        np.save(self._dir / "vectors.npy", self._vectors)
        np.save(self._dir / "keys.npy", self._keys)
        np.save(self._dir / "owners.npy", self._owners)
        (self._dir / "stamp.json").write_text(json.dumps({"stamp": self.stamp, "units": self._units}))

    def load(self, stamp: str) -> bool:
        """Load the saved index if it was built for ``stamp``; False when it must be rebuilt."""
        saved = self._dir / "stamp.json"
        if not saved.is_file():
            return False
        data = json.loads(saved.read_text())
        if data.get("stamp") != stamp:
            return False
        self._vectors = np.load(self._dir / "vectors.npy")
        self._owners = np.load(self._dir / "owners.npy")
        self._units = int(data["units"])
        self.stamp = stamp
        self._index_runs()
        return True

    def best(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit (manifest order): the cosine of its best-matching question, and whether it has any
        (units without questions get 0.0 and False)."""
        best = np.zeros(self._units, dtype=np.float32)
        if len(self._owners):
            best[self._runs_owner] = np.maximum.reduceat(self._vectors @ vector, self._runs_start)
        return best, self._has.copy()

    def _index_runs(self) -> None:
        """A unit's questions are stored next to each other: one max per run of equal owners."""
        owners = self._owners
        self._runs_start = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners
        self._runs_owner = owners[self._runs_start]
        self._has = np.zeros(self._units, dtype=bool)
        self._has[self._runs_owner] = True

    def size_on_disk(self) -> int:
        return sum(path.stat().st_size for path in self._dir.glob("*") if path.is_file())
