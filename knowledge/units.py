"""The retrievable unit: one article (条), one FAQ entry, or one 普法 passage.

This is the contract between parsing (sources → units), indexing and retrieval, and answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

NATIONAL_SCOPE = "national"


class UnitKind(StrEnum):
    LAW = "law"  # an article of a national law, regulation or judicial interpretation
    RULES = "rules"  # an article of a village rule / residents' or owners' convention
    FAQ = "faq"  # one question/answer pair of a service guide
    PROSE = "prose"  # a passage of a 普法 explainer


class UnitStatus(StrEnum):
    IN_FORCE = "in_force"
    REPEALED = "repealed"
    SUPERSEDED = "superseded"  # an older version; ``superseded_by`` names the replacement


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Unit:
    """One retrievable unit with its place in the hierarchy and a stable id.

    ``id`` examples: ``law/中华人民共和国民法典/296``, ``rules/ZJ-XX-001/村规民约/5``,
    ``faq/<source stem>/<n>``, ``prose/<source stem>/<n>``.
    """

    id: str
    kind: UnitKind
    doc_title: str
    text: str  # the article body as it stands in the source (for FAQ: the answer)
    path: tuple[str, ...] = ()  # headings from the document down: ("物权编", "第七章 相邻关系")
    label: str | None = None  # "第二百九十六条", "第五条", "3."; None for FAQ/prose
    number: int | None = None  # 296
    scope: str = NATIONAL_SCOPE  # "national" or a community code
    status: UnitStatus = UnitStatus.IN_FORCE
    superseded_by: str | None = None  # title of the replacing law / version
    source: str = ""  # the source file, as given to ingestion
    questions: tuple[str, ...] = ()  # FAQ: the question and its alternate phrasings
    meta: dict[str, Any] = field(default_factory=dict)  # adopted_on, version, effective_on, …
    hash: str = ""  # content hash of everything that changes what is indexed

    def __post_init__(self) -> None:
        if not self.hash:
            basis = "\x1f".join(
                [self.kind, self.doc_title, "/".join(self.path), self.label or "", self.text,
                 self.scope, self.status, self.superseded_by or "", "\x1e".join(self.questions),
                 repr(sorted(self.meta.items()))]
            )
            object.__setattr__(self, "hash", content_hash(basis))

    @property
    def citation(self) -> str:
        """Human citation: 《中华人民共和国民法典》第二百九十六条."""
        return f"《{self.doc_title}》{self.label}" if self.label else f"《{self.doc_title}》"


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed source file: its metadata and its units, plus what went wrong on the way."""

    source: str
    kind: UnitKind
    title: str
    units: tuple[Unit, ...]
    scope: str = NATIONAL_SCOPE
    status: UnitStatus = UnitStatus.IN_FORCE
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


class DocumentError(Exception):
    """A source that cannot be ingested at all (encrypted or scanned pdf, binary junk, empty)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason

    @property
    def code(self) -> str:
        """The short machine code that starts the reason (``encrypted_pdf``, ``empty``, …)."""
        head, sep, _ = self.reason.partition(":")
        return head.strip() if sep and head.strip().isidentifier() else "error"


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved unit with the relevance score the answer layer thresholds (higher is better)."""

    unit: Unit
    score: float
    dense: float | None = None
    lexical: float | None = None
    exact: bool = False  # found by an explicit reference ("民法典第296条")
