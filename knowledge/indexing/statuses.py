"""Statuses over the whole stored collection, not just the files of one ingest.

Whether a document is in force depends on the others: a newer version of the same law or rules
supersedes it, a law stating "《X》同时废止" repeals X, and the document in force owns the plain unit ids
(an older version's become ``…@{version}/…``). So after every ingest and removal the statuses are
decided again over every stored document with :func:`knowledge.statutes.apply_statuses`. Stored
documents are not parsed again: the manifest keeps a small *profile* of each (kind, title, scope, the
metadata that dates it, the repeals it states, its units' ids as parsed), and a stand-in document is
built from it. Only units whose id, status or ``superseded_by`` changed are touched, and only their
metadata: status is not part of the indexed text, so nothing is re-encoded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.indexing.manifest import UnitState
from knowledge.units import Document, Unit, UnitKind, UnitStatus

# Document metadata that statuses read (knowledge.statutes: stated status, version and date keys).
STATUS_META_KEYS = (
    "status", "superseded_by", "version_date", "adopted_on", "amended", "version", "adopted", "effective",
)


def document_profile(document: Document) -> dict[str, Any]:
    """What deciding statuses needs of a parsed document (before statuses are applied to it)."""
    from knowledge.statutes import detect_repeals

    meta = {key: str(document.meta[key]) for key in STATUS_META_KEYS if document.meta.get(key)}
    if document.status is not UnitStatus.IN_FORCE and "status" not in meta:
        meta["status"] = document.status.value  # set by whoever built the document (tools, tests)
    repeals = [dataclasses.asdict(r) for r in detect_repeals([document])]
    return {
        "kind": document.kind.value, "title": document.title, "scope": document.scope, "meta": meta,
        "repeals": repeals, "unit_ids": [unit.id for unit in document.units],
    }


def stand_in(source: str, profile: dict[str, Any]) -> Document:
    """A document with the profile's metadata and unit ids but no text (enough for apply_statuses)."""
    kind, title, scope = UnitKind(profile["kind"]), profile["title"], profile["scope"]
    units = tuple(
        Unit(id=unit_id, kind=kind, doc_title=title, text="", scope=scope, source=source, hash="-")
        for unit_id in profile["unit_ids"]
    )
    return Document(source=source, kind=kind, title=title, units=units, scope=scope,
                    meta=dict(profile["meta"]))


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A stored unit whose id or status changes: ``old_id`` → ``new_id`` with the new status."""

    old_id: str
    new_id: str
    status: UnitStatus
    superseded_by: str | None


@dataclass
class Decision:
    """The outcome for one ingest or removal."""

    fresh: list[Document]  # the newly parsed documents with statuses and final ids, in input order
    changes: dict[str, list[StatusChange]]  # stored source → its units that change
    statuses: dict[str, UnitStatus]  # stored source → its document status (changed ones only)
    claimed: set[str]  # every final unit id


def decide(
    stored: Sequence[tuple[str, dict[str, Any]]],
    fresh: Sequence[Document],
    states: Mapping[str, Sequence[UnitState]],
) -> Decision:
    """Statuses and ids over ``stored`` profiles (in order of arrival) with ``fresh`` documents replacing
    or joining them; ``states`` holds each stored source's units as they are now."""
    from knowledge.statutes import Replacement, apply_statuses, default_registry

    fresh_by_source = {document.source: document for document in fresh}
    batch: list[Document] = []
    repeals: list[Replacement] = []
    for source, profile in stored:
        if source in fresh_by_source:
            batch.append(fresh_by_source.pop(source))
            continue
        batch.append(stand_in(source, profile))
        repeals += [Replacement(**{**r, "via": tuple(r.get("via", ()))}) for r in profile["repeals"]]
    batch += fresh_by_source.values()  # new sources arrive last
    decided = apply_statuses(batch, default_registry().merged(repeals))
    fresh_sources = {document.source for document in fresh}
    by_source = {document.source: document for document in decided}
    decision = Decision(
        fresh=[by_source[document.source] for document in fresh], changes={}, statuses={},
        claimed={unit.id for document in decided for unit in document.units},
    )
    for document in decided:
        if document.source in fresh_sources:
            continue
        changes = _changes(document.units, states.get(document.source, ()))
        if changes:
            decision.changes[document.source] = changes
            decision.statuses[document.source] = document.status
    return decision


def _changes(units: Sequence[Unit], current: Sequence[UnitState]) -> list[StatusChange]:
    changes = []
    for state in current:
        if state.seq >= len(units):
            continue
        unit = units[state.seq]
        if (unit.id, unit.status.value, unit.superseded_by) != (state.id, state.status, state.superseded_by):
            changes.append(StatusChange(state.id, unit.id, unit.status, unit.superseded_by))
    return changes
