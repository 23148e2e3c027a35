"""The manifest: which sources and units are in the index, with their hashes (SQLite under data_dir).

It is the index's source of truth for units (``get``), for incremental ingestion (file hash first,
then unit hash) and for rebuilding the lexical index without re-reading any source.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.indexing.text import index_key, question_texts
from knowledge.units import Unit, UnitKind, UnitStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    units INTEGER NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    profile TEXT NOT NULL DEFAULT '{}',
    added INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS units (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    doc_title TEXT NOT NULL,
    number INTEGER,
    seq INTEGER NOT NULL,
    vectors INTEGER NOT NULL,
    tokens TEXT NOT NULL,
    body TEXT NOT NULL,
    questions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_units_source ON units (source);
CREATE INDEX IF NOT EXISTS ix_units_title_number ON units (doc_title, number);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Columns added after the first release: (table, column, declaration) for manifests created before.
_ADDED_COLUMNS = (
    ("documents", "profile", "TEXT NOT NULL DEFAULT '{}'"),
    ("documents", "added", "INTEGER NOT NULL DEFAULT 0"),
    ("units", "questions", "INTEGER NOT NULL DEFAULT 0"),  # texts of the article-questions channel
)


def unit_to_json(unit: Unit) -> str:
    return json.dumps(
        {
            "id": unit.id, "kind": unit.kind.value, "doc_title": unit.doc_title, "text": unit.text,
            "path": list(unit.path), "label": unit.label, "number": unit.number, "scope": unit.scope,
            "status": unit.status.value, "superseded_by": unit.superseded_by, "source": unit.source,
            "questions": list(unit.questions), "meta": unit.meta, "hash": unit.hash,
        },
        ensure_ascii=False,
        default=str,
    )


def unit_from_json(body: str) -> Unit:
    data: dict[str, Any] = json.loads(body)
    return Unit(
        id=data["id"], kind=UnitKind(data["kind"]), doc_title=data["doc_title"], text=data["text"],
        path=tuple(data["path"]), label=data["label"], number=data["number"], scope=data["scope"],
        status=UnitStatus(data["status"]), superseded_by=data["superseded_by"], source=data["source"],
        questions=tuple(data["questions"]), meta=data["meta"], hash=data["hash"],
    )


def _unit_row(unit: Unit, seq: int, vectors: int, tokens: str) -> tuple[Any, ...]:
    """A units row. Its ``hash`` is :func:`index_key` (not ``unit.hash``): it leaves the status out, so a
    status change never looks like new text to encode."""
    return (unit.id, unit.source, index_key(unit), unit.kind.value, unit.scope, unit.status.value,
            unit.doc_title, unit.number, seq, vectors, tokens, unit_to_json(unit), len(question_texts(unit)))


@dataclass(frozen=True, slots=True)
class StoredUnit:
    """A manifest row: enough to filter and to rebuild the lexical index without decoding the unit."""

    id: str
    hash: str
    kind: str
    scope: str
    status: str
    doc_title: str
    number: int | None
    vectors: int
    tokens: str


@dataclass(frozen=True, slots=True)
class UnitState:
    """Where a stored unit stands: its id, position in its source and status."""

    id: str
    seq: int
    status: str
    superseded_by: str | None


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._upgrade()
        self._db.commit()

    def _upgrade(self) -> None:
        """Add the columns a manifest from before lacks. Its documents have no profile yet, so their
        file hash is cleared: the next ingest of those files parses them again (nothing is re-encoded)."""
        added = []
        for table, column, declaration in _ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                added.append(column)
        if "profile" in added:
            self._db.execute("UPDATE documents SET file_hash = '', added = rowid")

    # -- documents -------------------------------------------------------------------------------
    def file_hash(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT file_hash FROM documents WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def sources(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT source FROM documents ORDER BY source")]

    def document_titles(self) -> list[tuple[str, str, str, str]]:
        """(title, kind, scope, status) of every document."""
        with self._lock:
            return list(self._db.execute("SELECT title, kind, scope, status FROM documents"))

    def put_document(
        self, source: str, file_hash: str, kind: str, title: str, scope: str, status: str, units: int,
        warnings: Sequence[str] = (), profile: dict[str, Any] | None = None,
    ) -> None:
        """Insert or replace a document; it keeps its place in the order of arrival (:meth:`profiles`)."""
        with self._lock:
            row = self._db.execute("SELECT added FROM documents WHERE source = ?", (source,)).fetchone()
            added = row[0] if row else self._db.execute(
                "SELECT COALESCE(MAX(added), 0) + 1 FROM documents"
            ).fetchone()[0]
            self._db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (source, file_hash, kind, title, scope, status, units, json.dumps(list(warnings)),
                 json.dumps(profile or {}, ensure_ascii=False), added),
            )
            self._db.commit()

    def profiles(self) -> list[tuple[str, dict[str, Any]]]:
        """(source, profile) of every document in order of first arrival; a profile is what deciding
        statuses needs (see :func:`knowledge.indexing.statuses.document_profile`). A document stored
        before profiles existed gets one from its columns: its stored status and current unit ids."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source, profile, kind, title, scope, status FROM documents ORDER BY added, source"
            ).fetchall()
        found = []
        states: dict[str, list[UnitState]] | None = None
        for source, profile, kind, title, scope, status in rows:
            data: dict[str, Any] = json.loads(profile)
            if not data:
                meta = {"status": status} if status != UnitStatus.IN_FORCE.value else {}
                states = self.unit_states() if states is None else states
                ids = [state.id for state in states.get(source, [])]
                data = {"kind": kind, "title": title, "scope": scope, "meta": meta, "repeals": [],
                        "unit_ids": ids}
            found.append((source, data))
        return found

    def set_document_status(self, source: str, status: str) -> None:
        with self._lock:
            self._db.execute("UPDATE documents SET status = ? WHERE source = ?", (status, source))
            self._db.commit()

    def delete_document(self, source: str) -> list[str]:
        """Forget a source and its units; returns the ids of the units that were removed."""
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT id FROM units WHERE source = ?", (source,))]
            self._db.execute("DELETE FROM units WHERE source = ?", (source,))
            self._db.execute("DELETE FROM documents WHERE source = ?", (source,))
            self._db.commit()
        return ids

    # -- units -----------------------------------------------------------------------------------
    def unit_hashes(self, source: str) -> dict[str, tuple[str, int]]:
        """id → (hash, number of vectors) of the units a source currently has in the index."""
        with self._lock:
            rows = self._db.execute("SELECT id, hash, vectors FROM units WHERE source = ?", (source,))
            return {row[0]: (row[1], row[2]) for row in rows}

    def unit_states(self) -> dict[str, list[UnitState]]:
        """Source → its units in the index, in document order (one query for the whole collection)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT source, id, seq, status, CASE WHEN status = 'in_force' THEN NULL "
                "ELSE json_extract(body, '$.superseded_by') END FROM units ORDER BY source, seq"
            ).fetchall()
        states: dict[str, list[UnitState]] = {}
        for source, *state in rows:
            states.setdefault(source, []).append(UnitState(*state))
        return states

    def replace_units(self, changes: Sequence[tuple[str, Unit]]) -> None:
        """Give stored units a new id and/or status (old id, unit as it is now) in one transaction;
        their position, vectors and tokens stay. Ids may be swapped among the changed units."""
        with self._lock:
            kept: dict[str, tuple[int, int, str]] = {}
            for old_id, _ in changes:
                row = self._db.execute(
                    "SELECT seq, vectors, tokens FROM units WHERE id = ?", (old_id,)
                ).fetchone()
                if row:
                    kept[old_id] = row
            self._db.executemany("DELETE FROM units WHERE id = ?", [(old_id,) for old_id in kept])
            self._db.executemany(
                "INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_unit_row(unit, *kept[old_id]) for old_id, unit in changes if old_id in kept],
            )
            self._db.commit()

    def owner_of(self, unit_ids: Iterable[str]) -> dict[str, str]:
        """id → source for the ids that some source already holds."""
        owners: dict[str, str] = {}
        ids = list(unit_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for uid, source in self._db.execute(
                    f"SELECT id, source FROM units WHERE id IN ({marks})", chunk
                ):
                    owners[uid] = source
        return owners

    def put_units(self, rows: Sequence[tuple[Unit, int, int, str]]) -> None:
        """Insert or replace (unit, seq, number of vectors, space-joined lexical tokens)."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_unit_row(u, seq, vectors, tokens) for u, seq, vectors, tokens in rows],
            )
            self._db.commit()

    def renumber(self, source: str, positions: Sequence[tuple[str, int]]) -> None:
        """Keep unchanged units in their new order within the source."""
        with self._lock:
            self._db.executemany(
                "UPDATE units SET seq = ? WHERE id = ? AND source = ?",
                [(seq, uid, source) for uid, seq in positions],
            )
            self._db.commit()

    def filters(self) -> list[tuple[str, str, str, str]]:
        """(id, kind, scope, status) of every unit, in the order of :meth:`iter_stored`."""
        with self._lock:
            return list(self._db.execute("SELECT id, kind, scope, status FROM units ORDER BY source, seq"))

    def delete_units(self, ids: Sequence[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM units WHERE id = ?", [(uid,) for uid in ids])
            self._db.commit()

    def get(self, unit_id: str) -> Unit | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM units WHERE id = ?", (unit_id,)).fetchone()
        return unit_from_json(row[0]) if row else None

    def get_many(self, unit_ids: Sequence[str]) -> dict[str, Unit]:
        found: dict[str, Unit] = {}
        with self._lock:
            for start in range(0, len(unit_ids), 500):
                chunk = list(unit_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                for uid, body in self._db.execute(f"SELECT id, body FROM units WHERE id IN ({marks})", chunk):
                    found[uid] = unit_from_json(body)
        return found

    def vector_counts(self, unit_ids: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for start in range(0, len(unit_ids), 500):
                chunk = list(unit_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                counts.update(self._db.execute(f"SELECT id, vectors FROM units WHERE id IN ({marks})", chunk))
        return counts

    def find_articles(self, titles: Sequence[str], number: int) -> list[Unit]:
        """Units numbered ``number`` in documents with one of these titles."""
        if not titles:
            return []
        marks = ",".join("?" * len(titles))
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM units WHERE number = ? AND doc_title IN ({marks}) ORDER BY seq",
                [number, *titles],
            ).fetchall()
        return [unit_from_json(row[0]) for row in rows]

    def iter_stored(self) -> Iterator[StoredUnit]:
        """Every unit in a stable order (source, position in the source)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, hash, kind, scope, status, doc_title, number, vectors, tokens FROM units "
                "ORDER BY source, seq"
            ).fetchall()
        for row in rows:
            yield StoredUnit(*row)

    def unit_questions(self) -> Iterator[tuple[str, list[str]]]:
        """(unit id, question texts) of the units with article questions, in :meth:`iter_stored` order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM units WHERE questions > 0 ORDER BY source, seq"
            ).fetchall()
        for (body,) in rows:
            unit = unit_from_json(body)
            yield unit.id, question_texts(unit)

    # -- statistics and bookkeeping --------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        with self._lock:
            documents = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            by_kind = dict(self._db.execute("SELECT kind, COUNT(*) FROM units GROUP BY kind"))
            by_status = dict(self._db.execute("SELECT status, COUNT(*) FROM units GROUP BY status"))
            vectors = self._db.execute("SELECT COALESCE(SUM(vectors), 0) FROM units").fetchone()[0]
        return {
            "documents": documents, "units": sum(by_kind.values()), "vectors": vectors,
            "units_by_kind": by_kind, "units_by_status": by_status,
        }

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()
